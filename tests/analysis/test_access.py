"""Walking access on the mini plan: every walk and every sum worked out by hand
(see ``access_layers`` in tests/plans.py for the figures)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from plans import ACCESS_TOML, access_layers, mini_layers, write_access_plan

from gisplan.analysis.access import ACCESS_COLUMNS, COVERAGE_COLUMNS, compute_access
from gisplan.errors import GisplanError
from gisplan.inputs.validation import load_layers
from gisplan.plan.access import load_service_standards


@pytest.fixture
def access(tmp_path):
    return compute_access(load_layers(write_access_plan(tmp_path / "plan")))


def test_walks_and_nearest_services(access):
    t = access.table
    assert list(t.columns) == ACCESS_COLUMNS
    assert len(t) == 4 * 2  # (building, kind present) pairs, buildings in layer order
    got = {(r.building_id, r.kind): (r.service_id, r.walk_m, r.within)
           for r in t.itertuples(index=False)}
    assert got == {
        ("b1", "kindergarten"): ("k1", 56.0, True), ("b1", "market"): ("m1", 216.0, True),
        ("b2", "kindergarten"): ("k1", 116.0, True), ("b2", "market"): ("m1", 176.0, True),
        ("b3", "kindergarten"): ("k1", 305.0, False), ("b3", "market"): ("m1", 165.0, True),
        ("b4", "kindergarten"): ("k1", 475.0, False), ("b4", "market"): ("m1", 335.0, True),
    }
    assert t["community_id"].tolist()[::2] == ["A", "B", "C", "unassigned"]


def test_coverage_per_community_street_and_city(access):
    c = access.coverage
    assert list(c.columns) == COVERAGE_COLUMNS
    k = c[c["kind"] == "kindergarten"].set_index(["level", "area_id"])
    rows = {key: (r.households, r.households_within) for key, r in k.iterrows()}
    assert rows == {("community", "A"): (30, 30), ("community", "B"): (24, 24),
                    ("community", "C"): (16, 0), ("unassigned", "unassigned"): (8, 0),
                    ("street", "S1"): (54, 54), ("street", "S2"): (16, 0),
                    ("city", "city"): (78, 54)}
    assert k.loc[("city", "city"), "share_within"] == pytest.approx(54 / 78, abs=1e-4)
    assert (k["max_walk_m"] == 300).all()
    assert c["level"].unique().tolist() == ["community", "unassigned", "street", "city"]


def test_unreachable_service_is_a_warning_naming_it(access):
    [problem] = access.report.warnings
    assert (problem.layer, problem.feature_id, problem.check) == ("services", "k2",
                                                                  "unreachable")
    assert "50 m" in problem.message
    assert access.services.set_index("service_id")["snapped"].to_dict() == {
        "k1": True, "k2": False, "m1": True}


def test_plan_overrides_the_standard_walking_distance(tmp_path):
    plan = write_access_plan(tmp_path / "plan",
                             access=ACCESS_TOML + "max_walk_m = { kindergarten = 310 }\n")
    t = compute_access(load_layers(plan)).table.set_index(["building_id", "kind"])
    assert bool(t.loc[("b3", "kindergarten"), "within"])  # 305 m <= 310 m
    assert not bool(t.loc[("b4", "kindergarten"), "within"])


def test_a_building_far_from_every_road_is_unreachable_and_named(tmp_path):
    plan = write_access_plan(tmp_path / "plan", access="[access]\nsnap_max_m = 12\n")
    access = compute_access(load_layers(plan))
    t = access.table.set_index(["building_id", "kind"])
    # b1 is 11 m from r2, b2 16 m, b3 25 m, b4 15 m: only b1 reaches the network; of the
    # services only k1 (10 m): m1 is 20 m off
    kinder = t.xs("kindergarten", level="kind")
    assert kinder["walk_m"].tolist()[0] == 56.0 and kinder["walk_m"].isna().tolist() == [
        False, True, True, True]
    assert t.xs("market", level="kind")["walk_m"].isna().all()
    assert not t.loc["b2", "within"].any() and t.loc["b2", "service_id"].isna().all()
    named = {(p.layer, p.feature_id) for p in access.report.warnings}
    assert named == {("buildings", "b2"), ("buildings", "b3"), ("buildings", "b4"),
                     ("services", "k2"), ("services", "m1")}


def test_walkable_false_roads_are_not_walked(tmp_path):
    layers = {**mini_layers(), **access_layers()}
    layers["roads"].loc[3, "walkable"] = True  # the expressway, 14 m from b2
    t = compute_access(load_layers(write_access_plan(tmp_path / "plan", layers=layers))).table
    b2 = t[(t["building_id"] == "b2") & (t["kind"] == "kindergarten")].iloc[0]
    # b2 now snaps to the expressway (14 m, r3 is 16 m), which joins no other road
    assert np.isnan(b2["walk_m"])  # with walkable = false it is 116 m (above)


def test_kinds_follow_the_standard_and_count_services(access):
    k = access.kinds.set_index("kind")
    assert k.index.tolist() == ["kindergarten", "market"]  # the standard's order
    assert k["services"].tolist() == [2, 1]
    std = load_service_standards()
    assert k.loc["market", "source"] == std.loc["market", "source"]
    assert k.loc["market", "life_circle"] == 10


def test_without_roads_or_services_it_says_what_is_missing(tmp_path, mini_plan):
    with pytest.raises(GisplanError, match="no roads or services"):
        compute_access(load_layers(mini_plan))


def test_inputs_are_not_changed(tmp_path):
    layers = load_layers(write_access_plan(tmp_path / "plan"))
    before = {n: layers.layer(n).copy() for n in ("buildings", "roads", "services")}
    compute_access(layers)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(layers.layer(name), frame)


def test_a_plan_with_no_services_gives_empty_tables(tmp_path):
    layers = load_layers(write_access_plan(tmp_path / "plan"))
    access = compute_access(dataclasses.replace(layers, services=layers.services.iloc[:0]))
    assert access.table.empty and list(access.table.columns) == ACCESS_COLUMNS
    assert access.coverage.empty and access.kinds.empty
