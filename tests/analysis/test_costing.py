"""Cost by funding source, the basic/upgrade scenarios, the factor method and the
reconciliation of stated totals, each on a small long table with answers by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gisplan.analysis.costing import (
    allocate_by_factors,
    funding_table,
    reconcile,
    scenario_table,
)
from gisplan.plan.catalogue import load_catalogue

NAN = np.nan


def long_table(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["level", "area_id", "area_name", *columns])


def test_cost_by_funding_source_and_its_share():
    t = long_table([
        ("community", "A", "甲", "central_fiscal", 100.0),
        ("community", "A", "甲", "central_budget", 300.0),
        ("community", "A", "甲", "central_fiscal", 50.0),
        ("community", "A", "甲", NAN, NAN),               # a metric: no cost, no source
        ("community", "B", "乙", "central_budget", 0.0),
        ("city", "city", "全市", "central_fiscal", 150.0),
        ("city", "city", "全市", "central_budget", 300.0),
    ], ["funding", "cost_cny"])
    got = funding_table(t)
    assert list(got.columns) == ["level", "area_id", "area_name", "funding", "funding_name_zh",
                                 "cost_cny", "share"]
    assert got[["area_id", "funding", "cost_cny"]].values.tolist() == [
        ["A", "central_fiscal", 150.0], ["A", "central_budget", 300.0],
        ["B", "central_budget", 0.0], ["city", "central_fiscal", 150.0],
        ["city", "central_budget", 300.0]]
    assert got["share"].tolist() == pytest.approx([1 / 3, 2 / 3, 0.0, 1 / 3, 2 / 3])
    assert got["funding_name_zh"].iloc[0] == "中央财政城镇保障性安居工程专项资金"


def test_basic_and_upgrade_scenarios():
    t = long_table([
        ("community", "A", "甲", "basic", 1.0, 100.0),
        ("community", "A", "甲", "upgrade", 2.0, 40.0),
        ("community", "A", "甲", "basic", 0.0, 0.0),      # nothing to do: not an item
        ("community", "A", "甲", NAN, 30.0, NAN),        # households: no tier
        ("community", "B", "乙", "upgrade", 5.0, 10.0),
    ], ["tier", "quantity", "cost_cny"])
    got = scenario_table(t).set_index("area_id")
    assert got.loc["A", ["cost_basic_cny", "cost_upgrade_cny", "cost_basic_and_upgrade_cny",
                         "items_basic", "items_upgrade"]].tolist() == [100, 40, 140, 1, 1]
    assert got.loc["B", ["cost_basic_cny", "cost_upgrade_cny", "cost_basic_and_upgrade_cny",
                         "items_basic", "items_upgrade"]].tolist() == [0, 10, 10, 0, 1]


def test_factor_method_by_hand():
    t = long_table([
        ("community", "A", "甲", "households", 30.0),
        ("community", "A", "甲", "buildings", 1.0),
        ("community", "B", "乙", "households", 10.0),
        ("community", "B", "乙", "buildings", 3.0),
        ("community", "B", "乙", "floor_area_m2", 999.0),  # weight 0: not a factor
        ("city", "city", "全市", "households", 40.0),       # not a community
    ], ["item", "quantity"])
    got = allocate_by_factors(t, weights={"households": 3, "buildings": 1, "floor_area_m2": 0},
                              total_cny=1000)
    # A: (3 * 30/40 + 1 * 1/4) / 4 = 0.625; B: (3 * 10/40 + 1 * 3/4) / 4 = 0.375
    assert got["area_id"].tolist() == ["A", "B"]
    assert got["share"].tolist() == pytest.approx([0.625, 0.375])
    assert got["allocation_cny"].tolist() == pytest.approx([625, 375])
    assert got[["factor_households", "factor_buildings"]].values.tolist() == [[30, 1], [10, 3]]
    assert "factor_floor_area_m2" not in got


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 10**6), st.integers(1, 500)), min_size=1,
                max_size=20),
       st.floats(0.01, 10), st.floats(0.01, 10), st.floats(0, 1e9))
def test_shares_add_up_to_one(figures, w_households, w_buildings, total):
    rows = []
    for k, (hh, b) in enumerate(figures):
        rows += [("community", f"c{k}", f"c{k}", "households", float(hh)),
                 ("community", f"c{k}", f"c{k}", "buildings", float(b))]
    got = allocate_by_factors(long_table(rows, ["item", "quantity"]),
                              weights={"households": w_households, "buildings": w_buildings},
                              total_cny=total)
    assert got["share"].sum() == pytest.approx(1.0)
    assert (got["share"] > 0).all()
    assert got["allocation_cny"].sum() == pytest.approx(total, abs=1e-6)


def test_reconciliation_item_by_item():
    city = long_table([
        ("city", "city", "全市", "households", "户数", "户", 78.0, 78.0, 0.0, "derived"),
        ("city", "city", "全市", "stairwell_paint", "楼梯间大白", "㎡", 500.0, 0.0, 0.0,
         "declared"),
        ("city", "city", "全市", "buildings", "楼栋数", "栋", 4.0, 4.0, 0.0, "derived"),
        ("community", "A", "甲", "households", "户数", "户", 30.0, 30.0, 0.0, "derived"),
    ], ["item", "name_zh", "unit", "quantity", "quantity_derived", "derived_overridden",
        "source"])
    stated = pd.DataFrame({"item": ["households", "stairwell_paint", "bench"],
                           "quantity": [80.0, 500.0, 2.0],
                           "source_text": ["共计80户", "楼梯间大白500㎡", "座椅2个"]})
    got = reconcile(city, stated, load_catalogue()).set_index("item")
    assert got.index.tolist() == ["households", "stairwell_paint", "bench", "buildings"]
    assert got["computed"].tolist() == [78, 500, 0, 4]
    assert got["difference"].tolist()[:3] == [-2, 0, -2]
    assert got["relative_difference"].tolist()[:3] == pytest.approx([-0.025, 0, -1])
    assert np.isnan(got.loc["buildings", "stated"])
    # the bench is in no city row: named from the catalogue
    assert got.loc["bench", ["name_zh", "unit"]].tolist() == ["座椅", "个"]
    assert got.loc["households", "derived_geometry"] == 78
    assert np.isnan(got.loc["stairwell_paint", "derived_geometry"])  # surveyed only
    assert got.loc["bench", "source_text"] == "座椅2个"
