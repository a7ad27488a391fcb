"""Exports for design firms: GeoJSON (RFC 7946), GeoPackage, and all formats at once.

Every file is written through GDAL and reopened with pyogrio and fiona;
features, attributes (Chinese text exactly) and geometry (to 1 cm in the
working CRS) must come back. The plan is the export plan of tests/plans.py: the
mini plan with a courtyard hole in community C and Chinese building names. The
Shapefile and DXF writers are tested in test_shapefile.py and test_dxf.py.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import ezdxf
import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from plans import export_layers, line, mini_layers, shp_parts, write_plan
from rfc7946 import assert_same_features, check_rfc7946

from gisplan.analysis.scope import compute_scope
from gisplan.analysis.zones import detect_zones
from gisplan.cli.main import main
from gisplan.errors import GisplanError
from gisplan.inputs.validation import load_layers
from gisplan.outputs.exports.layer_files import (
    ID_COLUMNS,
    enrich_layers,
    select_community,
    write_exports,
)

H = 2.9  # storey height
ENGINES = ["pyogrio", "fiona"]


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    folder = write_plan(tmp_path_factory.mktemp("export") / "plan", export_layers())
    layers = load_layers(folder)
    zones = detect_zones(layers)
    return layers, compute_scope(layers, zones=zones.membership), zones


@pytest.fixture(scope="module")
def enriched(plan):
    return enrich_layers(*plan)


@pytest.fixture(scope="module")
def out(plan, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("exports")
    write_exports(*plan, folder)
    return folder


def test_every_format_is_written(out):
    assert sorted(p.name for p in out.iterdir()) == ["geojson", "layers.dxf", "layers.gpkg",
                                                     "shp"]
    assert (out / "shp" / "buildings.cpg").read_text() == "GBK"  # the default encoding


# -- enrichment ------------------------------------------------------------------------------

def test_enriched_figures_by_hand(enriched):
    com = enriched["communities"].set_index("community_id")
    assert com.loc["A", ["buildings", "households", "floor_area_m2"]].tolist() == [1, 30, 3600]
    assert com["zone_id"].to_dict() == {"A": "Z001", "B": "Z001", "C": "Z002"}
    assert com.loc["C", "area_m2"] == pytest.approx(10000 - 400)
    b = enriched["buildings"].set_index("building_id")
    assert b.loc["b1", "roof_flat_waterproof"] == 700  # declared stands over derived 720
    assert b.loc["b1", "stairwell_paint"] == 500  # declared for b1 only
    assert b.loc["b2", "stairwell_paint"] == 0
    assert b.loc["b1", "facade_paint"] == pytest.approx(144 * 5 * H)
    assert b.loc["b3", "floor_area_m2"] == 1500  # registered
    assert b.loc["b4", ["community_id", "zone_id"]].tolist() == ["unassigned", None]
    pipes = enriched["pipes"].set_index("pipe_id")
    assert pipes.loc["p1", ["community_ids", "length_m", "item"]].tolist() == [
        "A,B,C", 300, "pipe:sewer:300"]
    assert pipes.loc["p3", "cost_cny"] == 0  # keep: not in scope
    fac = enriched["facilities"].set_index("facility_id")
    assert fac.loc["f2", ["community_id", "quantity", "unit"]].tolist() == ["B", 400, "㎡"]


def test_community_costs_match_the_scope(plan, enriched):
    _, scope, _ = plan
    t = scope.table[scope.table["level"] == "community"]
    want = t.groupby("area_id")["cost_cny"].sum()
    got = enriched["communities"].set_index("community_id")["cost_cny"]
    assert got.to_dict() == pytest.approx(want.to_dict())


def test_inputs_are_not_mutated(plan):
    layers, scope, zones = plan
    before = {n: layers.layer(n).copy() for n in ("communities", "buildings", "pipes")}
    enrich_layers(layers, scope, zones)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(layers.layer(name), frame)


def test_select_community_cuts_pipes_at_the_boundary(plan, enriched):
    _, scope, _ = plan
    a = select_community(enriched, "A")
    assert a["buildings"]["building_id"].tolist() == ["b1"]
    pipes = a["pipes"].set_index("pipe_id")
    assert pipes.loc["p1", "length_m"] == pytest.approx(50)
    assert pipes.loc["p1", "cost_cny"] == pytest.approx(50 * pipes.loc["p1", "unit_price_cny"])
    t = scope.table.set_index(["level", "area_id", "item"])
    assert t.loc[("community", "A", "pipe:sewer:300"), "quantity"] == pytest.approx(50)
    assert a["zones"]["zone_id"].tolist() == ["Z001"]
    with pytest.raises(GisplanError, match="'Q' is not in the communities layer"):
        select_community(enriched, "Q")


def test_a_pipe_along_a_shared_border_counts_once_as_in_the_scope(tmp_path):
    """Real streets bound real blocks (momepy's Bubeneč): the stretch on the border of A and
    B is A's, listed first, in the packages as in the scope; it was once in both."""
    layers = mini_layers()
    layers["pipes"].loc[1, "geometry"] = line((100, 10), (100, 90), (150, 90))
    scoped = load_layers(write_plan(tmp_path / "p", layers))
    scope = compute_scope(scoped)
    cut = {c: select_community(enrich_layers(scoped, scope), c)["pipes"].set_index("pipe_id")
           for c in ("A", "B")}
    assert cut["A"].loc["p2", "length_m"] == pytest.approx(80)
    assert cut["B"].loc["p2", "length_m"] == pytest.approx(50)
    assert cut["B"].loc["p2"].geometry.length == pytest.approx(50)
    t = scope.table.set_index(["level", "area_id", "item"])["quantity"]
    for c in ("A", "B"):
        assert t[("community", c, "pipe:water:110")] == pytest.approx(
            cut[c].loc["p2", "length_m"])


# -- GeoJSON ---------------------------------------------------------------------------------

@pytest.mark.parametrize("layer", ["communities", "buildings", "pipes", "facilities",
                                   "structures", "zones"])
def test_geojson_is_rfc7946(out, layer):
    doc = check_rfc7946(out / "geojson" / f"{layer}.geojson")
    assert doc["features"]


def test_geojson_hole_winds_clockwise_and_chinese_is_raw_utf8(out):
    doc = check_rfc7946(out / "geojson" / "communities.geojson")
    c = next(f for f in doc["features"] if f["properties"]["community_id"] == "C")
    assert len(c["geometry"]["coordinates"]) == 2  # exterior + courtyard hole
    text = (out / "geojson" / "buildings.geojson").read_text(encoding="utf-8")
    assert "二号楼（珲春·新区）" in text


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("layer", ["communities", "buildings", "pipes", "facilities",
                                   "structures", "zones"])
def test_geojson_round_trip(out, enriched, engine, layer):
    got = gpd.read_file(out / "geojson" / f"{layer}.geojson", engine=engine)
    assert got.crs.to_epsg() == 4326
    assert_same_features(enriched[layer], got, ID_COLUMNS[layer])


# -- GeoPackage ------------------------------------------------------------------------------

def test_gpkg_holds_every_layer_in_the_working_crs(out, enriched):
    names = [row[0] for row in pyogrio.list_layers(out / "layers.gpkg")]
    assert names == [n for n, g in enriched.items() if len(g)]
    assert pyogrio.read_info(out / "layers.gpkg", layer="buildings")["crs"] == "EPSG:4552"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("layer", ["communities", "buildings", "pipes", "facilities",
                                   "structures", "zones"])
def test_gpkg_round_trip(out, enriched, engine, layer):
    got = gpd.read_file(out / "layers.gpkg", layer=layer, engine=engine)
    assert got.crs.to_epsg() == 4552
    assert_same_features(enriched[layer], got, ID_COLUMNS[layer], tolerance_m=1e-6)


# -- CLI and atomic writes -------------------------------------------------------------------

def test_cli_export_one_format_one_community(plan, tmp_path):
    folder = plan[0].plan.root
    out = tmp_path / "out"
    assert main(["export", str(folder), "--out", str(out), "--format", "geojson",
                 "--community", "B"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [".gisplan-files", "geojson", "warnings.csv"]
    got = gpd.read_file(out / "geojson" / "buildings.geojson")
    assert got["building_id"].tolist() == ["b2"]
    assert not list(tmp_path.glob(".out.staging-*"))


def test_cli_unknown_community_writes_nothing(plan, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["export", str(plan[0].plan.root), "--out", str(out), "--community", "Q"]) == 1
    assert "'Q' is not in the communities layer" in capsys.readouterr().err
    assert not out.exists()


def test_failed_export_leaves_an_existing_out_dir_untouched(tmp_path, capsys):
    layers = export_layers()
    layers["buildings"].loc[0, "name"] = "楼🏠"  # GBK cannot hold it: the Shapefile fails
    folder = write_plan(tmp_path / "plan", layers)
    out = tmp_path / "out"
    (out / "geojson").mkdir(parents=True)
    (out / "geojson" / "buildings.geojson").write_text("old", encoding="utf-8")
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    assert main(["export", str(folder), "--out", str(out)]) == 1
    assert "cannot be written in GBK" in capsys.readouterr().err
    assert sorted(p.name for p in out.rglob("*")) == ["buildings.geojson", "geojson", "keep.txt"]
    assert (out / "geojson" / "buildings.geojson").read_text(encoding="utf-8") == "old"
    assert not list(tmp_path.glob(".out.staging-*"))
    assert main(["export", str(folder), "--out", str(out), "--shp-encoding", "UTF-8"]) == 0
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert {"geojson", "shp", "layers.gpkg", "layers.dxf"} <= {p.name for p in out.iterdir()}


def test_hunchun_exports_round_trip(tmp_path):
    """The real plan: a MultiPolygon community, 4,967 facilities, mixed barriers."""
    layers = load_layers(Path(__file__).resolve().parents[3] / "layers" / "hunchun2020")
    zones = detect_zones(layers)
    scope = compute_scope(layers, zones=zones.membership)
    enriched = enrich_layers(layers, scope, zones)
    write_exports(layers, scope, zones, tmp_path, formats=["geojson", "shp", "dxf"])
    for name in ("communities", "facilities", "barriers"):
        check_rfc7946(tmp_path / "geojson" / f"{name}.geojson")
        got = gpd.read_file(tmp_path / "geojson" / f"{name}.geojson")
        assert_same_features(enriched[name], got, ID_COLUMNS[name])
    fields = pd.read_csv(tmp_path / "shp" / "fields.csv", encoding="utf-8-sig")
    for stem, want in shp_parts(enriched, "barriers") + shp_parts(enriched, "buildings"):
        mapping = fields[fields["file"] == f"{stem}.shp"].set_index("column")["field"].to_dict()
        got = gpd.read_file(tmp_path / "shp" / f"{stem}.shp")
        assert_same_features(want, got, ID_COLUMNS[stem.split("_")[0]], columns=mapping,
                             tolerance_m=1e-6)
    counts = Counter(e.dxf.layer for e in ezdxf.readfile(tmp_path / "layers.dxf").modelspace())
    # 4,959 points and 8 polygons of one ring each
    assert sum(n for k, n in counts.items() if k.startswith("FAC_")) == 4959 + 8
