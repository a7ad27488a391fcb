"""Site-plan review: one hand-made proposal per rule, each with its measured value.

The plan is the mini plan of tests/plans.py plus a kept heating pipe along
y=95 in B, an identified structure s3 in C and a confirmed one (s4) in no
community. A fire lane L1, 6 m wide, runs north along x=170 in B.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from plans import CRS, box, line, mini_layers, point, write_plan
from rfc7946 import check_rfc7946

from gisplan.analysis.review import (
    FINDING_COLUMNS,
    fire_lane_clearance,
    review_proposals,
)
from gisplan.cli.main import main
from gisplan.errors import LayerReadError, RulesError, ValidationError
from gisplan.inputs.proposals import load_rules, read_fire_lanes, read_markup, read_proposal
from gisplan.inputs.validation import load_layers

# facility_id -> (item, claimed community, geometry)
PROPOSALS = {
    "fine": ("ev_charger", "A", point(30, 60)),
    "out_poly": ("bike_shed", "A", box(95, 2, 105, 6)),         # 5x4 m in B
    "out_pt": ("ev_charger", "A", point(110, 5)),               # 10 m into B
    "on_bldg": ("bike_shed", "A", box(65, 18, 75, 30)),         # 5x4 m on b1
    "pt_in_bldg": ("litter_bin", "A", point(40, 15)),           # inside b1
    "charger": ("ev_charger", "A", point(40, 8)),               # 2 m below b1's wall
    "near_gas": ("ev_charger", "A", point(50, 89.2)),           # 0.8 m from gas p3
    "near_heat": ("bike_shed", "B", point(120, 94)),            # 1 m from heating h1
    "pair1": ("pavilion", "A", box(20, 30, 30, 40)),            # 5x5 m on pair2
    "pair2": ("pavilion", "A", box(25, 35, 35, 45)),
    "on_illegal": ("bike_shed", "A", box(62, 62, 66, 66)),      # 4x4 m on s1
    "lane_block": ("parking_marked", "B", box(170.5, 60, 175, 64)),  # 0.5 m short of centre
    "lane_ok": ("parking_marked", "B", box(172, 20, 176, 24)),  # 2 m short of centre
    "lane_pt": ("ev_charger", "B", point(170, 40)),             # on the centreline
}
NETWORKS = ["water", "sewer", "heating", "gas"]  # present in the plan, in rules order
RULES = ["inside_community", "building_overlap", "proposal_overlap", "illegal_structure",
         "building_setback", *(f"pipe_setback_{n}" for n in NETWORKS), "fire_lane_clear_width"]

# (rule, facility_id) -> (measured, limit, unit, passed), worked out by hand
EXPECTED = {
    ("inside_community", "out_poly"): (20.0, 0.0, "m²", False),
    ("inside_community", "out_pt"): (10.0, 0.0, "m", False),
    ("inside_community", "fine"): (0.0, 0.0, "m", True),
    ("building_overlap", "on_bldg"): (20.0, 0.0, "m²", False),
    ("building_setback", "on_bldg"): (0.0, 3.0, "m", False),  # on it is 0 m from it
    ("building_overlap", "pt_in_bldg"): (1.0, 0.0, "features", False),
    ("building_setback", "pt_in_bldg"): (0.0, 3.0, "m", False),
    ("building_setback", "charger"): (2.0, 3.0, "m", False),
    ("building_setback", "fine"): (38.0, 3.0, "m", True),
    ("pipe_setback_gas", "near_gas"): (0.8, 1.0, "m", False),
    ("pipe_setback_heating", "near_heat"): (1.0, 1.5, "m", False),
    ("pipe_setback_water", "fine"): (20.0, 1.0, "m", True),
    ("proposal_overlap", "pair1"): (25.0, 0.0, "m²", False),
    ("proposal_overlap", "pair2"): (25.0, 0.0, "m²", False),
    ("illegal_structure", "on_illegal"): (16.0, 0.0, "m²", False),
    # lane 6 m: 3 m + 0.5 m left beside the shed; 3 + 2; a point on the centre leaves 3
    ("fire_lane_clear_width", "lane_block"): (3.5, 4.0, "m", False),
    ("fire_lane_clear_width", "lane_ok"): (5.0, 4.0, "m", True),
    ("fire_lane_clear_width", "lane_pt"): (3.0, 4.0, "m", False),
    ("fire_lane_clear_width", "fine"): (np.nan, 4.0, "m", True),
}


def review_plan_layers() -> dict[str, gpd.GeoDataFrame]:
    layers = mini_layers()
    p = layers["pipes"]
    layers["pipes"] = pd.concat([p, gpd.GeoDataFrame(
        {"pipe_id": ["h1"], "network": ["heating"], "diameter_mm": [None], "action": ["keep"]},
        geometry=[line((110, 95), (190, 95))], crs=CRS)], ignore_index=True)
    s = layers["structures"]
    layers["structures"] = pd.concat([s, gpd.GeoDataFrame(
        {"structure_id": ["s3", "s4"], "kind": ["仓房", "违建"],
         "status": ["identified", "confirmed"]},
        geometry=[box(320, 60, 330, 70), box(250, 80, 255, 85)], crs=CRS)], ignore_index=True)
    return layers


def proposal_frame(rows: dict = PROPOSALS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"facility_id": list(rows),
                             "item": [v[0] for v in rows.values()],
                             "community_id": [v[1] for v in rows.values()]},
                            geometry=[v[2] for v in rows.values()], crs=CRS)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("review")
    plan = write_plan(root / "plan", review_plan_layers())
    proposal_frame().to_file(root / "proposal.geojson", engine="pyogrio")
    gpd.GeoDataFrame({"lane_id": ["L1"], "width_m": [6.0]},
                     geometry=[line((170, 0), (170, 100))], crs=CRS).to_file(
        root / "lanes.geojson", engine="pyogrio")
    return root, plan


@pytest.fixture(scope="module")
def layers(files):
    return load_layers(files[1])


@pytest.fixture(scope="module")
def review(files, layers):
    root, _ = files
    return review_proposals(layers, read_proposal(root / "proposal.geojson", layers),
                            rules=load_rules(),
                            fire_lanes=read_fire_lanes(root / "lanes.geojson", layers))


def test_one_row_per_rule_per_proposal_passes_included(review):
    f = review.findings
    assert list(f.columns[:6]) == FINDING_COLUMNS
    assert len(f) == len(PROPOSALS) * len(RULES)
    got = f.groupby("feature_id", sort=False)["rule"].apply(list)
    assert got.to_dict() == {fid: RULES for fid in PROPOSALS}


@pytest.mark.parametrize("key", sorted(EXPECTED), ids=lambda k: f"{k[0]}-{k[1]}")
def test_measured_by_hand(review, key):
    row = review.findings.set_index(["rule", "feature_id"]).loc[key]
    measured, limit, unit, passed = EXPECTED[key]
    if np.isnan(measured):
        assert np.isnan(row["measured"])
    else:
        assert row["measured"] == pytest.approx(measured, abs=1e-9)
    assert (row["limit"], row["unit"], bool(row["passed"])) == (limit, unit, passed)


def test_each_proposal_fails_only_its_own_rules(review):
    failed = review.findings[~review.findings["passed"]]
    got = failed.groupby("feature_id")["rule"].apply(set).to_dict()
    want = {}
    for (rule, fid), (*_, passed) in EXPECTED.items():
        if not passed:
            want.setdefault(fid, set()).add(rule)
    assert got == want
    verdict = review.proposals.set_index("facility_id")
    assert verdict.loc["fine", "passed"] and verdict.loc["fine", "failed_rules"] == ""
    assert verdict.loc["charger", "failed_rules"] == "building_setback"


def test_messages_name_the_conflicting_features(review):
    f = review.findings.set_index(["rule", "feature_id"])
    assert f.loc[("building_setback", "charger"), "related_ids"] == "b1"
    assert "2.000 m from the nearest building wall (b1)" in f.loc[
        ("building_setback", "charger"), "message"]
    assert f.loc[("proposal_overlap", "pair1"), "related_ids"] == "pair2"
    assert f.loc[("illegal_structure", "on_illegal"), "related_ids"] == "s1"
    assert "1.000 m taken" in f.loc[("fire_lane_clear_width", "lane_ok"), "message"]


def test_findings_are_located(review):
    f = review.findings.set_index(["rule", "feature_id"])
    row = f.loc[("building_setback", "charger")]
    assert (row["x"], row["y"]) == pytest.approx(shapely.get_coordinates(point(40, 8))[0])
    assert 130 < row["lon"] < 131 and 42 < row["lat"] < 43


def test_fire_lane_clearance_by_hand():
    lane = shapely.linestrings([[[0, 0], [100, 0]]])
    props = np.array([shapely.Point(50, 0), shapely.Point(50, -1), shapely.box(40, -5, 45, -2),
                      shapely.Point(50, 3), shapely.Point(50, 10), shapely.box(40, -1, 45, 2),
                      shapely.Point(101, 0)])
    clear, width, idx = fire_lane_clearance(props, lane, np.array([6.0]))
    # centre 3; 1 m off centre 4; shed 2 m short of the centre 5; on the edge 6; outside;
    # straddling from -1 to +2 leaves the 2 m below it; beyond the lane's flat end.
    np.testing.assert_allclose(clear, [3, 4, 5, 6, np.nan, 2, np.nan])
    assert idx.tolist() == [0, 0, 0, 0, -1, 0, -1]
    assert np.isnan(width[4]) and width[0] == 6


def test_demolition_ledger(review):
    ledger = review.ledger
    assert ledger["structure_id"].tolist() == ["s1", "s3"]  # s2 demolished, s4 in no community
    s1 = ledger.iloc[0]
    assert (s1["community_id"], s1["community_name"], s1["area_m2"]) == ("A", "甲社区", 100.0)
    assert ledger.iloc[1]["status"] == "identified"


def test_rules_file_overrides_defaults(files, layers, tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text("[buildings]\nsetback_m = 1.5\n[pipes.setback_m]\ngas = 0.5\n",
                    encoding="utf-8")
    rules = load_rules(path)
    assert rules.pipe_setback_m["heating"] == 1.5  # default kept
    r = review_proposals(layers, read_proposal(files[0] / "proposal.geojson", layers),
                         rules=rules)
    f = r.findings.set_index(["rule", "feature_id"])
    assert f.loc[("building_setback", "charger"), ["measured", "limit", "passed"]].tolist() == [
        2.0, 1.5, True]
    assert f.loc[("pipe_setback_gas", "near_gas"), "passed"]
    assert "fire_lane_clear_width" not in set(r.findings["rule"])  # no lanes given


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


def test_rules_file_not_utf8(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_bytes("# 消防车道\n[fire_lanes]\nmin_clear_width_m = 4\n".encode("gbk"))
    with pytest.raises(RulesError, match="cannot read it as UTF-8"):
        load_rules(path)


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


MARKUP = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"reviewer": "张工", "time": "2024-05-01T09:30:00+08:00",
                                       "comment": "充电桩离楼太近", "status": "open"},
     "geometry": {"type": "Point", "coordinates": [130.3588, 42.8596]}},
    {"type": "Feature", "properties": {"reviewer": "李工", "time": "2024-05-02T10:00:00+08:00",
                                       "comment": "<script>alert(1)</script>",
                                       "status": "resolved"},
     "geometry": {"type": "Polygon", "coordinates": [[[130.3586, 42.8595], [130.3590, 42.8595],
                                                      [130.3590, 42.8598], [130.3586, 42.8595]]]}},
]}


def test_cli_review_writes_json_csv_html_and_lists_markup(files, tmp_path):
    root, plan = files
    markup = tmp_path / "markup.geojson"
    markup.write_text(json.dumps(MARKUP, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["review", str(plan), "--proposal", str(root / "proposal.geojson"),
                 "--fire-lanes", str(root / "lanes.geojson"), "--markup", str(markup),
                 "--out", str(out)]) == 0  # exit 0 whatever the verdict
    assert sorted(p.name for p in out.iterdir()) == [
        ".gisplan-files", "ledger.csv", "review.csv", "review.geojson", "review.html",
        "review.json", "warnings.csv"]
    csv = pd.read_csv(out / "review.csv", encoding="utf-8-sig")
    assert list(csv.columns[:6]) == FINDING_COLUMNS
    assert len(csv) == len(PROPOSALS) * len(RULES)
    row = csv.set_index(["rule", "feature_id"]).loc[("building_setback", "charger")]
    assert (row["measured"], row["limit"], row["passed"]) == (2.0, 3.0, False)
    doc = json.loads((out / "review.json").read_text(encoding="utf-8"))
    assert doc["summary"]["checks"] == len(csv)
    assert doc["summary"]["proposals_passed"] == 2  # fine, lane_ok
    assert [m["reviewer"] for m in doc["markup"]] == ["张工", "李工"]
    first = doc["markup"][0]
    assert (first["mark_id"], first["comment"], first["status"]) == ("M1", "充电桩离楼太近",
                                                                     "open")
    assert first["lon"] == pytest.approx(130.3588) and first["time"].startswith("2024-05-01")
    assert [r["structure_id"] for r in doc["ledger"]] == ["s1", "s3"]
    page = (out / "review.html").read_text(encoding="utf-8")
    start, end = page.index('<section id="map">'), page.rindex("</section>")
    tables = page[:start] + page[end:]  # the map is tested on its own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in tables
    assert "<script" not in tables and "http://" not in tables and "https://" not in tables
    assert "GisplanReview.init" in page[start:end] and "<script>alert(1)" not in page
    assert "充电桩离楼太近" in page and "building_setback" in page
    check_rfc7946(out / "review.geojson")


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
