"""plan.toml parsing (issue #2, 'The plan folder'): every key, and every mistake located."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from plans import PLAN_TOML, write_plan

from gisplan.cli.main import main
from gisplan.errors import PlanError, ValidationError
from gisplan.inputs.validation import load_layers
from gisplan.plan.settings import DEFAULT_FACTOR_WEIGHTS, read_plan

FULL = """\
[plan]
name = "2020年珲春市老旧小区改造"
crs = "EPSG:4552"
assume_crs = "EPSG:4326"

[layers]
communities = "survey/communities.gpkg:社区"
buildings = { path = "survey/楼栋.shp", encoding = "GBK" }
pipes = "survey/pipes.geojson"
facilities = { path = "survey/facilities.gpkg", layer = "facilities" }
structures = "survey/structures.parquet"
barriers = "survey/barriers.geojson"

[fields.buildings]
building_id = "楼栋编号"
floors = "层数"

[fields.quantities]
target_id = "对象"

[quantities]
declared = "quantities.csv"
stated = "stated.csv"

[zones]
max_gap_m = 80
renovation_type = "basic"
min_households = 100

[scope]
storey_height_m = 3.0
pitched_roof_factor = 1.2
sliver_m2 = 2.5

[funding]
central_allocation_cny = 12_000_000

[funding.factor_weights]
floor_area_m2 = 0.5
households = 0.3
buildings = 0.1
communities = 0.1

[prices]
"pipe:sewer:300" = 850
roof_flat_waterproof = 100
"""

MINIMAL = PLAN_TOML.format(layers='communities = "c.geojson"\nbuildings = "b.geojson"\n'
                                  'pipes = "p.geojson"')


def plan_file(tmp_path: Path, text: str) -> Path:
    (tmp_path / "plan.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_full_example_parses(tmp_path):
    plan = read_plan(plan_file(tmp_path, FULL))
    root = tmp_path.resolve()
    assert plan.root == root and plan.name == "2020年珲春市老旧小区改造"
    assert (plan.crs, plan.assume_crs) == ("EPSG:4552", "EPSG:4326")
    assert list(plan.layers) == ["communities", "buildings", "pipes", "facilities",
                                 "structures", "barriers"]
    com, bld, fac = plan.layers["communities"], plan.layers["buildings"], plan.layers["facilities"]
    assert (com.path, com.layer, com.encoding) == (root / "survey/communities.gpkg", "社区", None)
    assert com.describe() == "communities.gpkg:社区"
    assert (bld.path, bld.layer, bld.encoding) == (root / "survey/楼栋.shp", None, "GBK")
    assert (fac.path, fac.layer) == (root / "survey/facilities.gpkg", "facilities")
    assert plan.layers["structures"].path == root / "survey/structures.parquet"
    assert plan.fields == {"buildings": {"building_id": "楼栋编号", "floors": "层数"},
                           "quantities": {"target_id": "对象"}}
    assert (plan.declared, plan.stated) == (root / "quantities.csv", root / "stated.csv")
    assert (plan.zones.max_gap_m, plan.zones.renovation_type, plan.zones.min_households) == (
        80.0, "basic", 100)
    s = plan.scope
    assert (s.storey_height_m, s.pitched_roof_factor, s.sliver_m2) == (3.0, 1.2, 2.5)
    assert s.central_allocation_cny == 12_000_000.0
    assert s.factor_weights == {"floor_area_m2": 0.5, "households": 0.3, "buildings": 0.1,
                                "communities": 0.1}
    assert plan.prices == {"pipe:sewer:300": 850.0, "roof_flat_waterproof": 100.0}


def test_defaults(tmp_path):
    plan = read_plan(plan_file(tmp_path, MINIMAL.replace('crs = "EPSG:4552"\n', "")) / "plan.toml")
    assert (plan.crs, plan.assume_crs) == ("EPSG:4552", None)
    assert set(plan.layers) == {"communities", "buildings", "pipes"}
    assert plan.fields == {} and plan.prices == {} and plan.stated is None
    assert (plan.zones.max_gap_m, plan.zones.renovation_type, plan.zones.min_households) == (
        50.0, None, 0)
    assert (plan.scope.storey_height_m, plan.scope.pitched_roof_factor,
            plan.scope.sliver_m2) == (2.9, 1.15, 1.0)
    assert plan.scope.factor_weights == DEFAULT_FACTOR_WEIGHTS


def test_missing_plan_toml(tmp_path, capsys):
    with pytest.raises(PlanError, match=r"no plan\.toml found"):
        read_plan(tmp_path)
    (tmp_path / "plan").mkdir()
    assert main(["scope", str(tmp_path / "plan"), "--out", str(tmp_path / "out")]) == 1
    assert "no plan.toml found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_invalid_toml_names_the_line(tmp_path):
    plan_file(tmp_path, MINIMAL.replace("max_gap_m = 50", "max_gap_m = = 50"))
    with pytest.raises(PlanError, match=r"not valid TOML: .*line 14"):
        read_plan(tmp_path)
    done = subprocess.run([sys.executable, "-m", "gisplan", "validate", str(tmp_path)],
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert done.returncode == 1
    assert "not valid TOML" in done.stderr and "Traceback" not in done.stderr


def test_plan_toml_not_utf8(tmp_path):
    (tmp_path / "plan.toml").write_bytes(MINIMAL.encode("gbk"))
    with pytest.raises(PlanError, match="not UTF-8 text"):
        read_plan(tmp_path)


# replace one line of MINIMAL (or append), and a fragment the message must hold
BAD = [
    pytest.param('crs = "EPSG:4552"', 'crs = "EPSG:4326"',
                 "'crs' = 'EPSG:4326' must be a projected CRS in metres", id="geographic-crs"),
    pytest.param('crs = "EPSG:4552"', 'crs = "EPSG:2227"',  # California zone 3, US feet
                 "must be a projected CRS in metres", id="crs-in-feet"),
    pytest.param('crs = "EPSG:4552"', 'crs = "EPSG:999999"', "is not a CRS pyproj knows",
                 id="unknown-crs"),
    pytest.param("", "[colours]\nroof = 'red'", "[colours] unknown section", id="unknown-section"),
    pytest.param('pipes = "p.geojson"', 'pipes = "p.geojson"\nrivers = "r.geojson"',
                 "unknown layer 'rivers'", id="unknown-layer"),
    pytest.param('pipes = "p.geojson"', "", "[layers] 'pipes' is required",
                 id="missing-required-layer"),
    pytest.param('pipes = "p.geojson"', 'pipes = { path = "p.geojson", colour = "red" }',
                 "pipes: unknown keys ['colour']", id="unknown-layer-key"),
    pytest.param('pipes = "p.geojson"', "pipes = 3", "pipes: expected a relative file path",
                 id="layer-not-a-path"),
    pytest.param("", "[fields.rivers]\nid = 'x'", "[fields.rivers] unknown layer",
                 id="fields-unknown-layer"),
    pytest.param("max_gap_m = 50", "max_gap_m = -5", "'max_gap_m' must be a finite number >= 0",
                 id="negative-gap"),
    pytest.param("max_gap_m = 50", "max_gap = 500",
                 "[zones] unknown key 'max_gap'; did you mean 'max_gap_m'?", id="unknown-zone-key"),
    pytest.param("max_gap_m = 50", "max_gap_m = inf", "'max_gap_m' must be a finite number",
                 id="infinite-gap"),
    pytest.param("max_gap_m = 50", "max_gap_m = nan", "'max_gap_m' must be a finite number",
                 id="nan-gap"),
    pytest.param("", "[scope]\nstorey_height = 30",
                 "[scope] unknown key 'storey_height'; did you mean 'storey_height_m'?",
                 id="unknown-scope-key"),
    pytest.param('name = "测试计划"', 'name = "测试计划"\ncrs_assume = "EPSG:4326"',
                 "[plan] unknown key 'crs_assume'", id="unknown-plan-key"),
    pytest.param("", "[zone]\nmax_gap_m = 5", "[zone] unknown section; did you mean [zones]?",
                 id="unknown-section"),
    pytest.param("max_gap_m = 50", 'renovation_type = "gold"',
                 "'renovation_type' must be \"basic\" or \"upgrade\"", id="zone-type"),
    pytest.param("", "[funding.factor_weights]\nroads = 1", "unknown factor 'roads'",
                 id="unknown-factor"),
    pytest.param('name = "测试计划"', 'name = ""', "'name' is required", id="no-name"),
    pytest.param("", "[scope]\nstorey_height_m = 0",
                 "[scope] 'storey_height_m' must be a finite number >= 0.1 and <= 20, got 0",
                 id="zero-storey-height"),
    pytest.param('declared = "quantities.csv"', "declared = 5",
                 "[quantities] 'declared' must be a relative file path", id="declared-not-a-path"),
    pytest.param("", "[fields.buildings]\nfloors = 3",
                 "[fields.buildings] expected contract_column = \"file column\" pairs",
                 id="fields-not-text-pairs"),
    pytest.param("", '[map]\nbasemap = "gaode"', "[map] 'basemap' must be one of",
                 id="map-basemap"),
    pytest.param("", '[map]\nmetric = "x"', "[map] 'metric' must be one of", id="map-metric"),
    pytest.param("", "[map]\ntianditu_token = 5", "[map] 'tianditu_token' must be",
                 id="map-token-not-text"),
    pytest.param("", "[map]\ncolour = 1", "[map] unknown key 'colour'", id="map-unknown-key"),
]


@pytest.mark.parametrize(("old", "new", "words"), BAD)
def test_bad_plan_toml_is_located(tmp_path, capsys, old, new, words):
    text = MINIMAL.replace(old, new, 1) if old else MINIMAL + new + "\n"
    assert text != MINIMAL
    plan_file(tmp_path, text)
    with pytest.raises(PlanError) as err:
        read_plan(tmp_path)
    assert words in str(err.value)
    assert str(tmp_path / "plan.toml") in str(err.value)
    assert main(["validate", str(tmp_path)]) == 1
    assert words in capsys.readouterr().err


def test_every_plan_toml_problem_at_once(tmp_path):
    text = MINIMAL.replace('crs = "EPSG:4552"', 'crs = "EPSG:4326"').replace(
        'pipes = "p.geojson"', 'rivers = "r.geojson"') + "[colours]\n"
    with pytest.raises(PlanError) as err:
        read_plan(plan_file(tmp_path, text))
    message = str(err.value)
    for words in ("projected CRS in metres", "unknown layer 'rivers'", "'pipes' is required",
                  "[colours] unknown section"):
        assert words in message


@pytest.mark.parametrize(("spec", "path", "layer"), [
    ('"data/mini.gpkg:楼栋"', "data/mini.gpkg", "楼栋"),
    ('"DATA.GPKG:b"', "DATA.GPKG", "b"),
    ('"mini.gpkg"', "mini.gpkg", None),
    ('"b.geojson"', "b.geojson", None),
    ('"odd:name.geojson"', "odd:name.geojson", None),  # only containers are split
    ('{ path = "mini.gpkg", layer = "a:b" }', "mini.gpkg", "a:b"),
])
def test_gpkg_layer_split(tmp_path, spec, path, layer):
    plan = read_plan(plan_file(tmp_path, MINIMAL.replace('"b.geojson"', spec)))
    source = plan.layers["buildings"]
    assert (source.path, source.layer) == (tmp_path.resolve() / path, layer)


def test_prices_override_the_catalogue(tmp_path):
    write_plan(tmp_path)
    text = (tmp_path / "plan.toml").read_text(encoding="utf-8")
    plan_file(tmp_path, text + '\n[prices]\n"pipe:sewer:300" = 850\n')
    assert load_layers(tmp_path).catalogue.loc["pipe:sewer:300", "unit_price_cny"] == 850.0


def test_unknown_price_code_is_a_validation_error(tmp_path, capsys):
    write_plan(tmp_path)
    text = (tmp_path / "plan.toml").read_text(encoding="utf-8")
    plan_file(tmp_path, text + '\n[prices]\n"pipe:sewer:300" = 850\ngold_roof = 9\n')
    with pytest.raises(ValidationError) as err:
        load_layers(tmp_path)
    [problem] = err.value.report.errors
    assert (problem.layer, problem.check) == ("plan.toml", "unknown_item")
    assert "[prices]" in problem.message and "'gold_roof'" in problem.message
    assert "pipe:sewer:300" not in problem.message
    assert main(["validate", str(tmp_path), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [(p["layer"], p["check"]) for p in data["problems"] if p["severity"] == "error"] == [
        ("plan.toml", "unknown_item")]


def test_plan_toml_problem_as_json(tmp_path, capsys):
    plan_file(tmp_path, MINIMAL.replace('crs = "EPSG:4552"', 'crs = "EPSG:4326"'))
    assert main(["validate", str(tmp_path), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["problems"][0]["layer"] == "plan.toml"


def test_map_section(tmp_path):
    plan = read_plan(plan_file(tmp_path, MINIMAL + '\n[map]\nbasemap = "osm"\nmetric = "cost"\n'
                                                   'tianditu_token = "abc"\n'))
    assert (plan.map.basemap, plan.map.metric, plan.map.tianditu_token) == ("osm", "cost", "abc")
    assert read_plan(plan_file(tmp_path, MINIMAL)).map.basemap == "none"
