"""Site-plan review: one hand-made proposal per rule, each with its measured value.

The plan is the review plan of tests/plans.py: the mini plan plus a kept heating
pipe along y=95 in B, an identified structure s3 in C and a confirmed one (s4) in
no community. A fire lane L1, 6 m wide, runs north along x=170 in B. Reading the
review's files is tested in tests/inputs/test_proposals.py, writing them in
tests/outputs/pages/test_review.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from plans import PROPOSALS, RULES, point, write_review_files

from gisplan.analysis.review import (
    FINDING_COLUMNS,
    fire_lane_clearance,
    review_proposals,
)
from gisplan.inputs.proposals import load_rules, read_fire_lanes, read_proposal
from gisplan.inputs.validation import load_layers

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


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_review_files(tmp_path_factory.mktemp("review"))


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
