"""Bad plans, one fault each: every check of ``gisplan validate`` (issue #2, section 3).

Each plan is the hand-made mini plan (``tests/plans.py``) with one thing broken.
For each, the CLI must exit 1 with a message that locates the problem (layer,
feature id or ``row N``, field) and says what was expected; ``--format json``
must give the same problem as data; and ``gisplan scope`` must write nothing
and leave the input files untouched.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
import shapely
from plans import MINI_QUANTITIES, PLAN_TOML, box, line, mini_layers, point, write_plan

from gisplan.cli.main import main
from gisplan.inputs.validation import load_layers

# Shapefile field names are cut to 10 bytes; [fields.*] maps them back.
SHORT = {"building_id": "building_i", "floor_area_m2": "floor_area",
         "community_id": "community_", "renovation_type": "renovation"}


def write(d: Path, layers=None, *, spec=None, head="", extra="", quantities=None) -> None:
    """The mini plan (or ``layers``) as GeoJSON, with plan.toml adjusted.

    ``spec`` overrides [layers] entries (raw TOML values; None drops one),
    ``head`` is added to [plan], ``extra`` appended as further sections.
    """
    layers = mini_layers() if layers is None else layers
    write_plan(d, layers, quantities=quantities)
    entries = {n: f'"{n}.geojson"' for n in layers} | (spec or {})
    text = PLAN_TOML.format(layers="\n".join(f"{k} = {v}" for k, v in entries.items() if v))
    text = text.replace('crs = "EPSG:4552"\n', f'crs = "EPSG:4552"\n{head}', 1)
    (d / "plan.toml").write_text(text + extra, encoding="utf-8")


def write_shp(gdf, path: Path, *, encoding="UTF-8", cpg: str | None = "keep") -> dict:
    """Write ``gdf`` as a Shapefile with short column names; return the [fields] mapping."""
    short = {k: v for k, v in SHORT.items() if k in gdf}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "crs was not provided"
        gdf.rename(columns=short).to_file(path, engine="pyogrio", encoding=encoding)
    if cpg is None:
        path.with_suffix(".cpg").unlink()
    elif cpg != "keep":
        path.with_suffix(".cpg").write_text(cpg)
    return short


def fields(layer: str, mapping: dict) -> str:
    return f"\n[fields.{layer}]\n" + "".join(f'{k} = "{v}"\n' for k, v in mapping.items())


def setting(layer: str, row: int, column: str, value) -> Callable[[Path], None]:
    """Builder: the mini plan with one cell (or geometry) changed."""
    def build(d: Path) -> None:
        layers = mini_layers()
        gdf = layers[layer]
        if column != "geometry" and isinstance(value, str):
            gdf[column] = gdf[column].astype(object)
        elif column != "geometry" and isinstance(value, float):
            gdf[column] = gdf[column].astype(float)
        gdf.loc[row, column] = value
        write(d, layers)
    return build


def quantity(row: int, column: str, value) -> Callable[[Path], None]:
    """Builder: the mini plan with one cell of quantities.csv changed (row is 0-based)."""
    def build(d: Path) -> None:
        q = MINI_QUANTITIES.copy()
        q.loc[row, column] = value
        write(d, quantities=q)
    return build


BOWTIE = shapely.Polygon([(611010, 4748010), (611070, 4748022), (611070, 4748010),
                          (611010, 4748022)])


def with_community_ids(ids: list) -> Callable[[Path], None]:
    def build(d: Path) -> None:
        layers = mini_layers()
        layers["buildings"]["community_id"] = ids
        write(d, layers)
    return build


def overlap(x1: float) -> Callable[[Path], None]:
    """Builder: community B starts at x1 instead of 100 (A ends at 100)."""
    return setting("communities", 1, "geometry", box(x1, 0, 200, 100))


def no_crs(head: str) -> Callable[[Path], None]:
    """Builder: buildings as a Shapefile without a .prj."""
    def build(d: Path) -> None:
        b = mini_layers()["buildings"].set_crs(None, allow_override=True)
        mapping = write_shp(b, d / "buildings.shp")
        write(d, spec={"buildings": '"buildings.shp"'}, head=head,
              extra=fields("buildings", mapping))
        (d / "buildings.geojson").unlink()
    return build


def gbk_communities(cpg: str | None) -> Callable[[Path], None]:
    """Builder: communities as a GBK Shapefile whose .cpg says ``cpg`` (None: no .cpg)."""
    def build(d: Path) -> None:
        mapping = write_shp(mini_layers()["communities"], d / "communities.shp",
                            encoding="GBK", cpg=cpg)
        write(d, spec={"communities": '"communities.shp"'},
              extra=fields("communities", mapping))
        (d / "communities.geojson").unlink()
    return build


def gbk_quantities(d: Path) -> None:
    """quantities.csv saved by Excel as plain 'CSV' on a Chinese Windows: GBK, not UTF-8."""
    write(d)
    q = MINI_QUANTITIES.assign(note=["楼梯间粉刷", "屋面防水", "沥青路面", "外墙涂料"])
    (d / "quantities.csv").write_bytes(q.to_csv(index=False).encode("gbk"))


def garbage(d: Path) -> None:
    write(d)
    (d / "buildings.geojson").write_bytes(b"\x00\x9f\xff not json {{{" * 20)


def missing_file(d: Path) -> None:
    write(d)
    (d / "pipes.geojson").unlink()


def surveyed(rename: dict, mapping: dict | None = None, edit=None,
             layer: str = "buildings") -> Callable[[Path], None]:
    """Builder: a layer with the survey's own column names and a [fields] mapping."""
    def build(d: Path) -> None:
        layers = mini_layers()
        if edit:
            edit(layers[layer])
        layers[layer] = layers[layer].rename(columns=rename)
        write(d, layers, extra=fields(layer, rename if mapping is None else mapping))
    return build


def _blank_id(b) -> None:
    b.loc[1, "building_id"] = ""


def _floor_text(b) -> None:
    b["floors"] = b["floors"].astype(object)
    b.loc[2, "floors"] = "四层"


def _community_z(b) -> None:
    b["community_id"] = ["Z", "B", "C", None]


def _teleporter(f) -> None:
    f.loc[0, "item"] = "teleporter"


SURVEY = {"building_id": "楼栋编号", "floors": "层数"}

# builder, (layer, check, feature_id, field), words the message must contain
ERRORS = [
    pytest.param(lambda d: write(d, {**mini_layers(), "buildings": mini_layers()["buildings"]
                                     .drop(columns="roof")}),
                 ("buildings", "missing_column", None, "roof"), ["missing", '"flat", "pitched"'],
                 id="missing-column"),
    pytest.param(setting("buildings", 1, "floors", "五"),
                 ("buildings", "bad_value", "b2", "floors"), ["'五'", "whole number >= 1"],
                 id="floors-text"),
    pytest.param(setting("buildings", 1, "floors", 5.5),
                 ("buildings", "bad_value", "b2", "floors"), ["5.5", "whole number >= 1"],
                 id="floors-not-integer"),
    pytest.param(setting("buildings", 2, "households", -3),
                 ("buildings", "bad_value", "b3", "households"), ["-3", "whole number >= 0"],
                 id="households-negative"),
    pytest.param(setting("buildings", 0, "roof", "curved"),
                 ("buildings", "bad_value", "b1", "roof"), ["'curved'", '"flat", "pitched"'],
                 id="roof-enum"),
    pytest.param(setting("pipes", 1, "network", "oil"),
                 ("pipes", "bad_value", "p2", "network"), ["'oil'", '"sewer"', '"telecom"'],
                 id="network-enum"),
    pytest.param(setting("pipes", 0, "action", "fix"),
                 ("pipes", "bad_value", "p1", "action"), ["'fix'", '"replace", "new", "keep"'],
                 id="action-enum"),
    pytest.param(setting("communities", 2, "renovation_type", "luxury"),
                 ("communities", "bad_value", "C", "renovation_type"),
                 ["'luxury'", '"basic", "upgrade"'], id="renovation-type-enum"),
    pytest.param(setting("structures", 0, "status", "pending"),
                 ("structures", "bad_value", "s1", "status"),
                 ["'pending'", '"identified", "confirmed", "demolished"'], id="status-enum"),
    pytest.param(setting("buildings", 1, "building_id", "b1"),
                 ("buildings", "duplicate_id", "b1", "building_id"), ["2 features", "unique"],
                 id="duplicate-id"),
    pytest.param(setting("buildings", 2, "geometry", None),
                 ("buildings", "empty_geometry", "b3", None), ["no geometry"], id="null-geometry"),
    pytest.param(setting("buildings", 2, "geometry", shapely.Polygon()),
                 ("buildings", "empty_geometry", "b3", None), ["no geometry"],
                 id="empty-geometry"),
    pytest.param(setting("buildings", 0, "geometry", BOWTIE),
                 ("buildings", "invalid_geometry", "b1", None), ["Self-intersection", "--repair"],
                 id="bowtie"),
    pytest.param(setting("buildings", 1, "geometry", point(100, 45)),
                 ("buildings", "wrong_geometry_type", "b2", None),
                 ["Point", "Polygon or MultiPolygon"], id="point-building"),
    pytest.param(no_crs(""), ("buildings", "no_crs", None, None), ["no CRS", "assume_crs"],
                 id="no-crs"),
    pytest.param(setting("facilities", 0, "item", "teleporter"),
                 ("facilities", "unknown_item", "f1", "item"), ["'teleporter'", "catalogue"],
                 id="facility-unknown-item"),
    pytest.param(quantity(1, "item", "gold_roof"),
                 ("quantities", "unknown_item", "line 3", "item"), ["'gold_roof'", "catalogue"],
                 id="quantities-unknown-item"),
    pytest.param(quantity(2, "quantity", -300),
                 ("quantities", "bad_value", "line 4", "quantity"), ["-300", "number >= 0"],
                 id="negative-quantity"),
    pytest.param(lambda d: write(d, quantities=MINI_QUANTITIES.drop(columns="item")),
                 ("quantities", "missing_column", None, "item"), ["missing", "text"],
                 id="quantities-missing-column"),
    pytest.param(quantity(3, "target_id", "Z9"),
                 ("quantities", "unknown_target", "line 5", "target_id"),
                 ["'Z9'", "community_id or building_id"], id="unknown-target"),
    pytest.param(overlap(90), ("communities", "overlapping_communities", "A", None),
                 ["'B'", "1,000.0 m²", "1 m²"], id="overlapping-communities"),
    pytest.param(gbk_quantities, ("quantities", "unreadable", None, None),
                 ["quantities.csv", "not UTF-8", "save it as 'CSV UTF-8'"], id="gbk-quantities"),
    pytest.param(garbage, ("buildings", "unreadable", None, None),
                 ["buildings.geojson", "cannot read"], id="garbage-file"),
    pytest.param(missing_file, ("pipes", "unreadable", None, None),
                 ["pipes.geojson", "file not found"], id="missing-file"),
    pytest.param(gbk_communities("UTF-8"), ("communities", "unreadable", None, None),
                 ["communities.shp", "not valid utf-8", "GBK"], id="gbk-cpg-says-utf8"),
    pytest.param(gbk_communities(None), ("communities", "unreadable", None, None),
                 ["communities.shp", "not valid utf-8", "GBK"], id="gbk-without-cpg"),
    pytest.param(surveyed({}, {"building_id": "楼栋编号"}),
                 ("buildings", "missing_column", None, "楼栋编号"),
                 ["'楼栋编号'", "building_id", "[fields.buildings]"], id="mapped-column-missing"),
    pytest.param(gbk_communities("bogus"), ("communities", "unreadable", None, None),
                 ["communities.cpg", "'bogus'", "not a known text encoding"], id="cpg-bogus"),
    pytest.param(surveyed(SURVEY, edit=_blank_id),
                 ("buildings", "missing_value", "row 2", "楼栋编号"), ["non-empty text id"],
                 id="mapped-id-blank"),
    pytest.param(surveyed(SURVEY, edit=_floor_text),
                 ("buildings", "bad_value", "b3", "层数"), ["'四层'", "whole number"],
                 id="mapped-bad-value"),
    pytest.param(with_community_ids(["Z", "B", "C", None]),
                 ("buildings", "unknown_community", "b1", "community_id"),
                 ["'Z'", "not in the communities layer"], id="unknown-community"),
    pytest.param(surveyed({"community_id": "所属社区"}, edit=_community_z),
                 ("buildings", "unknown_community", "b1", "所属社区"), ["'Z'"],
                 id="mapped-unknown-community"),
    pytest.param(surveyed({"item": "项目"}, edit=_teleporter, layer="facilities"),
                 ("facilities", "unknown_item", "f1", "项目"), ["'teleporter'"],
                 id="mapped-unknown-item"),
]

# builder, extra CLI args, (layer, check, feature_id) of the expected warning
PASSES = [
    pytest.param(write, [], ("buildings", "outside_communities", "b4"), id="outside"),
    pytest.param(write, [], ("facilities", "outside_communities", "f3"), id="facility-outside"),
    # Touching a community is not lying in it: warned, as it is counted as unassigned.
    pytest.param(setting("facilities", 1, "geometry", box(200, 60, 220, 80)), [],
                 ("facilities", "outside_communities", "f2"), id="facility-touching"),
    pytest.param(setting("pipes", 2, "geometry", line((500, 50), (600, 50))), [],
                 ("pipes", "outside_communities", "p3"), id="pipe-outside"),
    pytest.param(setting("buildings", 0, "geometry", BOWTIE), ["--repair"],
                 ("buildings", "invalid_geometry", "b1"), id="bowtie-repaired"),
    pytest.param(no_crs('assume_crs = "EPSG:4552"\n'), [], ("buildings", "assumed_crs", None),
                 id="no-crs-assumed"),
    pytest.param(with_community_ids(["C", "B", "C", None]), [],
                 ("buildings", "community_mismatch", "b1"), id="community-mismatch"),
    pytest.param(overlap(99.995), [], None, id="sliver-overlap"),
    pytest.param(surveyed({"building_id": "楼栋编号"}, {"building_id": "楼栋编号"}), [], None,
                 id="mapped-column-present"),
]


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run_json(plan: Path, *args: str, capsys) -> tuple[int, dict]:
    code = main(["validate", str(plan), "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("build", "where", "words"), ERRORS)
def test_fault_is_located_and_nothing_written(tmp_path, capsys, build, where, words):
    plan, out = tmp_path / "plan", tmp_path / "out"
    plan.mkdir()
    build(plan)
    before = digests(plan)
    layer, check, fid, field = where

    assert main(["validate", str(plan)]) == 1
    text = capsys.readouterr().out
    located = f"ERROR: {layer}" + (f" [{fid}]" if fid else "") + (
        f" field '{field}'" if field else "") + ":"
    lines = [ln for ln in text.splitlines() if ln.startswith(located)]
    assert lines, f"no line starting {located!r} in:\n{text}"
    assert any(all(w in ln for w in words) for ln in lines), text
    assert text.splitlines()[-1].startswith("FAILED: ")

    code, data = run_json(plan, capsys=capsys)
    assert code == 1 and data["ok"] is False and data["errors"] >= 1
    key = ("severity", "layer", "check", "feature_id", "field")
    same = [p for p in data["problems"]
            if tuple(p[k] for k in key) == ("error", layer, check, fid, field)]
    assert same, data["problems"]
    assert any(all(w in p["message"] for w in words) for p in same), same

    assert main(["scope", str(plan), "--out", str(out)]) == 1
    assert "nothing was written" in capsys.readouterr().err
    assert not out.exists()
    assert not list(tmp_path.glob(".out.staging-*"))
    assert digests(plan) == before


@pytest.mark.parametrize(("build", "args", "warning"), PASSES)
def test_warnings_let_the_run_go_on(tmp_path, capsys, build, args, warning):
    plan, out = tmp_path / "plan", tmp_path / "out"
    plan.mkdir()
    build(plan)
    before = digests(plan)
    code, data = run_json(plan, *args, capsys=capsys)
    assert code == 0 and data["ok"] is True and data["errors"] == 0, data
    found = [(p["layer"], p["check"], p["feature_id"]) for p in data["problems"]]
    assert all(p["severity"] == "warning" for p in data["problems"])
    assert "overlapping_communities" not in {p["check"] for p in data["problems"]}
    if warning is not None:
        assert warning in found

    assert main(["scope", str(plan), "--out", str(out), *args]) == 0
    err = capsys.readouterr().err
    if warning is not None:
        assert f"WARNING: {warning[0]}" in err
    assert (out / "scope.csv").is_file()
    assert not list(tmp_path.glob(".out.staging-*"))
    assert digests(plan) == before


def test_repair_makes_the_bowtie_valid(tmp_path):
    setting("buildings", 0, "geometry", BOWTIE)(tmp_path)
    b1 = load_layers(tmp_path, repair=True).buildings.set_index("building_id").geometry["b1"]
    assert b1.is_valid and b1.geom_type == "MultiPolygon"
    assert b1.area == pytest.approx(2 * 0.5 * 12 * 30)  # two triangles, apex at (40, 16)


def test_mapped_columns_come_back_under_contract_names(tmp_path):
    surveyed(SURVEY)(tmp_path)
    b = load_layers(tmp_path).buildings
    assert list(b["building_id"]) == ["b1", "b2", "b3", "b4"]
    assert list(b["floors"]) == [5, 6, 4, 4]


def test_every_fault_is_reported_at_once(tmp_path, capsys):
    layers = mini_layers()
    b = layers["buildings"]
    b["floors"] = b["floors"].astype(object)
    b.loc[1, "floors"] = "五"
    b.loc[0, "roof"] = "curved"
    layers["pipes"].loc[2, "pipe_id"] = "p1"
    layers["structures"].loc[1, "geometry"] = point(150, 85)
    q = MINI_QUANTITIES.copy()
    q.loc[0, "item"] = "gold_roof"
    write(tmp_path, layers, quantities=q)
    (tmp_path / "facilities.geojson").unlink()

    code, data = run_json(tmp_path, capsys=capsys)
    assert code == 1 and data["errors"] == 6
    assert {(p["layer"], p["check"], p["feature_id"]) for p in data["problems"]
            if p["severity"] == "error"} == {
        ("buildings", "bad_value", "b2"), ("buildings", "bad_value", "b1"),
        ("pipes", "duplicate_id", "p1"), ("structures", "wrong_geometry_type", "s2"),
        ("facilities", "unreadable", None), ("quantities", "unknown_item", "line 2")}
    assert main(["validate", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "FAILED: 6 errors, 0 warnings"


@pytest.mark.parametrize("build", [garbage, setting("buildings", 1, "floors", "五")],
                         ids=["garbage-file", "floors-text"])
def test_no_traceback_from_the_real_command(tmp_path, build):
    plan, out = tmp_path / "plan", tmp_path / "out"
    plan.mkdir()
    build(plan)
    for args in (["validate", str(plan)], ["scope", str(plan), "--out", str(out)]):
        done = subprocess.run([sys.executable, "-m", "gisplan", *args], capture_output=True,
                              text=True, encoding="utf-8", timeout=120)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert "buildings" in done.stdout + done.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".out.staging-*"))


def _households_1e30(layers):
    layers["buildings"]["households"] = layers["buildings"]["households"].astype(float)
    layers["buildings"].loc[0, "households"] = 1e30


def _floor_area_infinity(layers):
    layers["buildings"]["floor_area_m2"] = layers["buildings"]["floor_area_m2"].astype(object)
    layers["buildings"].loc[0, "floor_area_m2"] = "Infinity"


@pytest.mark.parametrize(("change", "quantity", "words"), [
    (_households_1e30, None, "buildings [b1] field 'households': value 1e+30 is not a whole "
                             "number >= 0 and <= 100,000"),
    (_floor_area_infinity, None, "field 'floor_area_m2': value 'Infinity' is not a number"),
    (None, "inf", "quantities [line 2] field 'quantity': value"),
    (None, "1e400", "quantities [line 2] field 'quantity': value"),
    (None, "both", "is both a community_id and a building_id"),
])
def test_numbers_that_mean_nothing_and_ambiguous_targets_are_errors(
        tmp_path, capsys, change, quantity, words):
    layers = mini_layers()
    if change is not None:
        change(layers)
    q = MINI_QUANTITIES.copy()
    if quantity == "both":
        layers["buildings"].loc[0, "building_id"] = layers["communities"]["community_id"][0]
        q.loc[0, "target_id"] = layers["communities"]["community_id"][0]
    elif quantity is not None:
        q["quantity"] = q["quantity"].astype(object)
        q.loc[0, "quantity"] = quantity
    plan = write_plan(tmp_path / "plan", layers, quantities=q)
    out = tmp_path / "out"
    assert main(["run", str(plan), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not out.exists()
