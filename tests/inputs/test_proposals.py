"""Reading a review's files: rules, proposals, fire lanes and reviewer markup.

Each reader checks its file like a plan layer and locates every problem by
file, feature id and field. The files are those of the review plan of
tests/plans.py (the review itself is tested in tests/analysis/test_review.py).
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from plans import CRS, MARKUP, PROPOSALS, line, point, proposal_frame, write_review_files

from gisplan.analysis.review import review_proposals
from gisplan.cli.main import main
from gisplan.errors import LayerReadError, RulesError, ValidationError
from gisplan.inputs.proposals import (
    MARKUP_COLUMNS,
    load_rules,
    locate,
    read_fire_lanes,
    read_markup,
    read_proposal,
)
from gisplan.inputs.validation import load_layers


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_review_files(tmp_path_factory.mktemp("proposals"))


@pytest.fixture(scope="module")
def layers(files):
    return load_layers(files[1])


# -- rules -----------------------------------------------------------------------------------

def test_default_rules_are_the_data_file():
    rules = load_rules()
    # the numbers of gisplan/plan/data/review_rules.toml
    assert rules.building_setback_m == 3.0
    assert rules.pipe_setback_m == {"water": 1.0, "sewer": 1.0, "storm": 1.0, "heating": 1.5,
                                    "gas": 1.0, "power": 0.5, "telecom": 0.5}
    assert rules.fire_lane_min_clear_width_m == 4.0
    assert rules.as_dict() == {"source": "gisplan/plan/data/review_rules.toml",
                               "building_setback_m": 3.0,
                               "pipe_setback_m": rules.pipe_setback_m,
                               "fire_lane_min_clear_width_m": 4.0}


def test_rules_file_is_named_as_the_source(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text("[fire_lanes]\nmin_clear_width_m = 3.5\n", encoding="utf-8")
    rules = load_rules(path)
    assert (rules.fire_lane_min_clear_width_m, rules.building_setback_m) == (3.5, 3.0)
    assert rules.as_dict()["source"] == str(path)


@pytest.mark.parametrize("text,match", [
    ("[buildings\nsetback_m = 3", "not valid TOML"),
    ("[buildings]\nsetbak_m = 3\n", "unknown key 'buildings.setbak_m'"),
    ("[pipes.setback_m]\noil = 1\n", "unknown key 'pipes.setback_m.oil'"),
    ("[fire_lanes]\nmin_clear_width_m = -4\n", "'fire_lanes.min_clear_width_m' must be a number"),
    ("[buildings]\nsetback_m = \"3 m\"\n", "must be a number >= 0"),
])
def test_bad_rules_file(tmp_path, text, match):
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match=match):
        load_rules(path)


def test_true_is_not_a_distance_and_every_problem_is_listed(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text("[buildings]\nsetback_m = true\nsetbak_m = 2\n", encoding="utf-8")
    with pytest.raises(RulesError) as exc:
        load_rules(path)
    text = str(exc.value)
    assert "'buildings.setback_m' must be a number >= 0 (metres), got True" in text
    assert "unknown key 'buildings.setbak_m'" in text
    with pytest.raises(RulesError, match="file not found"):
        load_rules(tmp_path / "nope.toml")


def test_rules_file_not_utf8(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_bytes("# 消防车道\n[fire_lanes]\nmin_clear_width_m = 4\n".encode("gbk"))
    with pytest.raises(RulesError, match="cannot read it as UTF-8"):
        load_rules(path)


# -- proposals -------------------------------------------------------------------------------

def test_rows_are_named_by_id_else_by_number():
    frame = pd.DataFrame({"id": ["a", None, " ", 7.0]}, dtype=object)
    assert locate(frame, "id").tolist() == ["a", "row 2", "row 3", "7"]
    assert locate(frame, None).tolist() == ["row 1", "row 2", "row 3", "row 4"]


def test_proposal_comes_back_in_the_working_crs(files, layers):
    got = read_proposal(files[0] / "proposal.geojson", layers)
    assert got.crs.to_epsg() == 4552
    assert got["facility_id"].tolist() == list(PROPOSALS)
    assert got.set_index("facility_id").geometry["out_poly"].area == pytest.approx(40.0)


def test_proposal_problems_are_located(layers, tmp_path):
    rows = {"ok": ("bench", "A", point(30, 60)), "bad_com": ("bench", "Q", point(30, 62)),
            "ok2": ("bench", "A", line((1, 1), (2, 2)))}
    frame = proposal_frame(rows)
    frame.loc[1, "item"] = None
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)  # duplicate id 'ok'
    frame.to_file(tmp_path / "p.geojson", engine="pyogrio")
    with pytest.raises(ValidationError) as exc:
        read_proposal(tmp_path / "p.geojson", layers)
    got = {(p.check, p.feature_id, p.field) for p in exc.value.report.errors}
    assert got == {("duplicate_id", "ok", "facility_id"), ("missing_value", "bad_com", "item"),
                   ("unknown_community", "bad_com", "community_id"),
                   ("wrong_geometry_type", "ok2", None)}
    assert all(p.layer == "proposal (p.geojson)" for p in exc.value.report.errors)


def test_bowtie_proposal_is_invalid_geometry_located_on_its_id(layers, tmp_path):
    bowtie = shapely.Polygon(shapely.get_coordinates(
        [point(20, 30), point(30, 40), point(30, 30), point(20, 40)]))
    assert not bowtie.is_valid
    proposal_frame({"ok": ("bench", "A", point(30, 60)),
                    "bow": ("bike_shed", "A", bowtie)}).to_file(tmp_path / "p.geojson")
    with pytest.raises(ValidationError) as exc:
        read_proposal(tmp_path / "p.geojson", layers)
    [problem] = exc.value.report.errors
    assert (problem.check, problem.feature_id, problem.field) == ("invalid_geometry", "bow",
                                                                  None)
    assert "Self-intersection" in problem.message


def test_proposal_reads_the_same_with_fiona(files, layers):
    a = read_proposal(files[0] / "proposal.geojson", layers)
    b = read_proposal(files[0] / "proposal.geojson", layers, engine="fiona")
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                  pd.DataFrame(b.drop(columns="geometry")))
    assert shapely.hausdorff_distance(np.asarray(a.geometry.array),
                                      np.asarray(b.geometry.array)).max() < 1e-6


def test_proposal_in_lon_lat_is_measured_in_the_working_crs(layers, tmp_path):
    proposal_frame({"charger": PROPOSALS["charger"]}).to_crs("EPSG:4326").to_file(
        tmp_path / "p.geojson", engine="pyogrio", RFC7946="YES", COORDINATE_PRECISION=9)
    r = review_proposals(layers, read_proposal(tmp_path / "p.geojson", layers),
                         rules=load_rules())
    row = r.findings.set_index("rule").loc["building_setback"]
    assert (row["measured"], row["passed"]) == (2.0, False)


def test_proposal_missing_column_and_file(layers, tmp_path):
    proposal_frame().drop(columns="community_id").to_file(tmp_path / "p.geojson")
    with pytest.raises(ValidationError) as exc:
        read_proposal(tmp_path / "p.geojson", layers)
    (problem,) = exc.value.report.errors
    assert (problem.check, problem.field) == ("missing_column", "community_id")
    with pytest.raises(LayerReadError, match="file not found"):
        read_proposal(tmp_path / "nope.geojson", layers)


# -- fire lanes ------------------------------------------------------------------------------

def test_fire_lanes_come_back_with_their_width(files, layers):
    lanes = read_fire_lanes(files[0] / "lanes.geojson", layers)
    assert lanes.crs.to_epsg() == 4552
    assert lanes["lane_id"].tolist() == ["L1"] and lanes["width_m"].tolist() == [6.0]
    assert lanes.geometry.length.tolist() == pytest.approx([100.0])


@pytest.mark.parametrize("width", [-2.0, 0.0, "six"])
def test_fire_lane_width_must_be_a_number_above_0(layers, tmp_path, width):
    gpd.GeoDataFrame({"lane_id": ["L1", "L2"], "width_m": [width, 6.0]},
                     geometry=[line((170, 0), (170, 100)), line((20, 0), (20, 100))],
                     crs=CRS).to_file(tmp_path / "lanes.geojson", engine="pyogrio")
    with pytest.raises(ValidationError) as exc:
        read_fire_lanes(tmp_path / "lanes.geojson", layers)
    assert [(p.check, p.feature_id, p.field) for p in exc.value.report.errors] == [
        ("bad_value", "L1", "width_m")]
    assert "is not a number > 0 (metres)" in exc.value.report.errors[0].message


def test_fire_lane_must_be_a_line(layers, tmp_path):
    gpd.GeoDataFrame({"lane_id": ["P"], "width_m": [6.0]}, geometry=[point(1, 1)],
                     crs=CRS).to_file(tmp_path / "lanes.geojson", engine="pyogrio")
    with pytest.raises(ValidationError) as exc:
        read_fire_lanes(tmp_path / "lanes.geojson", layers)
    [problem] = exc.value.report.errors
    assert (problem.check, problem.feature_id) == ("wrong_geometry_type", "P")
    assert "expected LineString or MultiLineString" in problem.message


# -- markup ----------------------------------------------------------------------------------

def test_markup_is_numbered_and_an_empty_status_is_open(layers, tmp_path):
    marks = json.loads(json.dumps(MARKUP))
    marks["features"][1]["properties"]["status"] = ""
    path = tmp_path / "m.geojson"
    path.write_text(json.dumps(marks, ensure_ascii=False), encoding="utf-8")
    got = read_markup(path, layers)
    assert list(got.columns) == ["mark_id", *MARKUP_COLUMNS, "geometry"]
    assert got["mark_id"].tolist() == ["M1", "M2"]
    assert got["status"].tolist() == ["open", "open"]
    assert got["reviewer"].tolist() == ["张工", "李工"]
    assert got.crs.to_epsg() == 4552
    marks["features"][0]["properties"]["mark_id"] = "K7"
    path.write_text(json.dumps(marks, ensure_ascii=False), encoding="utf-8")
    assert read_markup(path, layers)["mark_id"].tolist() == ["K7", "M2"]


def test_markup_problems(layers, tmp_path):
    bad = json.loads(json.dumps(MARKUP))
    bad["features"][0]["properties"]["time"] = "yesterday"
    bad["features"][1]["properties"]["reviewer"] = ""
    path = tmp_path / "m.geojson"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        read_markup(path, layers)
    got = {(p.check, p.feature_id, p.field) for p in exc.value.report.errors}
    assert got == {("bad_value", "M1", "time"), ("missing_value", "M2", "reviewer")}


# -- the command -----------------------------------------------------------------------------

@pytest.mark.parametrize("extra,message", [
    (["--proposal", "missing.geojson"], "file not found"),
    (["--proposal", "{root}/proposal.geojson", "--rules", "{root}/nope.toml"], "file not found"),
    (["--proposal", "{root}/bad.geojson"], "[x] field 'community_id': community_id 'Q'"),
])
def test_cli_invalid_input_exits_1_and_writes_nothing(files, tmp_path, capsys, extra, message):
    root, plan = files
    proposal_frame({"x": ("bench", "Q", point(1, 1))}).to_file(root / "bad.geojson")
    out = tmp_path / "out"
    args = [a.format(root=root) for a in extra]
    assert main(["review", str(plan), "--out", str(out), *args]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert not out.exists()
