"""The catalogue's unit prices are the ones layers/calibrate_prices.py fits (issue #13).

The calibration fits one price factor per catalogue (group, tier) so that each
Hunchun project's construction cost is its stated total times the plan's
construction share (14000万 / 18000万). These tests rerun the fit on the
shipped prices: it must find nothing to change, and the projects must land on
their targets, so a price edited by hand (or a change to the plan's quantities
or projects) without recalibrating fails here.
"""

from __future__ import annotations

import importlib.util

import pytest
from conftest import REPO


@pytest.fixture(scope="module")
def fitted():
    spec = importlib.util.spec_from_file_location("calibrate_prices",
                                                  REPO / "layers" / "calibrate_prices.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fit()


def test_a_second_run_changes_no_price(fitted):
    assert (fitted["factors"] == 1.0).all(), fitted["factors"].to_dict()
    changed = fitted["prices"][fitted["prices"] != fitted["old"]]
    assert changed.empty, changed.to_dict()


def test_each_project_lands_on_its_construction_target(fitted):
    inv = fitted["investment"]["after"].set_index("project_id")
    target = fitted["target"]
    # 14000 / 18000 of 5400万, 7600万 and 5000万
    assert target.to_dict() == pytest.approx({"P1": 42e6, "P2": 7600e4 * 14 / 18,
                                              "P3": 5000e4 * 14 / 18})
    got = inv.loc[target.index, "construction_cny"]
    assert ((got - target).abs() / target).max() < 2e-4  # prices rounded to 0.1 yuan


def test_what_is_left_is_the_plans_own_gap_and_the_unallocated_cost(fitted):
    inv = fitted["investment"]["after"].set_index("project_id")
    assert inv.loc["all", "stated_gap_cny"] == pytest.approx(7e6)  # 18000 - 17300 万
    # every project misses its stated total by the same share: 17300 / 18000 - 1
    rel = inv.loc[["P1", "P2", "P3"], "relative_difference"]
    assert rel.to_numpy() == pytest.approx(173 / 180 - 1, abs=3e-4)
    unallocated = inv.loc["unallocated", "construction_cny"]
    assert 0 < unallocated < 1e6  # pipes and points outside every community
    assert inv.loc["all", "construction_cny"] == pytest.approx(
        inv.loc[["P1", "P2", "P3", "unallocated"], "construction_cny"].sum())
