"""The work-item catalogue and the reference tables shipped as data (gisplan/plan/data)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gisplan.errors import PlanError
from gisplan.plan.catalogue import (
    ITEM_COLUMNS,
    describe_items,
    labels,
    load_catalogue,
    load_funding_sources,
    load_metrics,
    load_networks,
    pipe_item,
)

UNITS = {"㎡", "m", "樘", "个", "组", "株", "盏", "座"}
DERIVED = {"roof_area:flat", "roof_area:pitched", "facade_area", "units", "pipe"}


def test_73_items_with_unique_codes_and_units():
    cat = load_catalogue()
    assert len(cat) == 73 and cat.index.is_unique
    assert set(ITEM_COLUMNS) <= set(cat.columns)
    assert (cat["unit"].str.len() > 0).all() and set(cat["unit"]) <= UNITS
    assert (cat["name_zh"].str.len() > 0).all() and (cat["name_en"].str.len() > 0).all()
    assert set(cat["tier"]) == {"basic", "upgrade"}
    assert set(cat["funding"]) <= set(load_funding_sources().index)
    assert (cat["unit_price_cny"] > 0).all() and cat["unit_price_cny"].dtype == float
    assert set(cat["derived_from"]) - {""} <= DERIVED


def test_groups_follow_the_plans_two_lists():
    cat = load_catalogue()
    assert (cat["group"] == "building").sum() == 21  # 楼体维修
    pipes = cat.index[cat.index.str.startswith("pipe:")]
    assert (cat.loc[pipes, "group"] == "pipes").all() and (cat.loc[pipes, "unit"] == "m").all()
    assert all(re.fullmatch(r"pipe:[a-z]+(:\d+)?", c) for c in pipes)
    assert {c.split(":")[1] for c in pipes} <= set(load_networks().index)
    assert list(cat.index[-2:]) == ["pipe:heating", "pipe:gas"]  # the list ends with these


def test_prices_times_the_plans_quantities_make_its_140_million():
    """The data README: Σ quantity x price over the plan's own figures (source_text; 公里
    in metres) is 140,388,264 CNY: the three projects' 建安工程费用约14000万元, to which
    layers/calibrate_prices.py fits the prices, plus 38.8万 of work outside every
    community that no project claims (tests/e2e/test_hunchun_prices.py)."""
    cat = load_catalogue()
    quantity = cat["source_text"].map(lambda t: float(re.findall(r"[\d.]+", t)[-1])
                                      * (1000 if "公里" in t else 1))
    assert (quantity * cat["unit_price_cny"]).sum() == pytest.approx(140_388_264)


def test_prices_override_and_the_shared_table_is_not_changed():
    cat = load_catalogue(prices={"pipe:sewer:300": 650.5, "bench": 0})
    assert cat.loc["pipe:sewer:300", "unit_price_cny"] == 650.5
    assert cat.loc["bench", "unit_price_cny"] == 0
    again = load_catalogue()
    assert again.loc["pipe:sewer:300", "unit_price_cny"] == 833.3  # work_items.csv
    assert again.loc["bench", "unit_price_cny"] == 2091.2
    with pytest.raises(PlanError, match=r"unknown work-item codes \['benchh', 'pipe:oil'\]"):
        load_catalogue(prices={"benchh": 1, "pipe:oil": 2, "bench": 3})


def test_reference_tables():
    assert load_metrics().loc["households", ["name_zh", "unit"]].tolist() == ["户数", "户"]
    assert load_networks().loc["gas", "name_zh"] == "燃气"
    # the seed's 资金使用 sources, six of them
    assert set(load_funding_sources().index) == {"central_fiscal", "central_budget",
                                                 "local_government", "pipeline_operator",
                                                 "owners", "social_capital"}
    zh, en = labels(), labels(lang="en")
    assert set(zh) == set(en) and (zh["level.street"], en["level.street"]) == ("街道", "street")


def test_pipe_items_by_hand():
    got = pipe_item(pd.Series(["gas", "water", "sewer", "water"]),
                    pd.Series([None, 110.0, 300.0, 110.0]))
    assert got.tolist() == ["pipe:gas", "pipe:water:110", "pipe:sewer:300", "pipe:water:110"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["water", "gas", "sewer", "heating"]),
                          st.one_of(st.none(), st.integers(20, 1200))), min_size=1,
                max_size=30))
def test_pipe_items_are_spelled_row_by_row(rows):
    network = pd.Series([n for n, _ in rows], index=np.arange(len(rows)) * 10)
    diameter = pd.Series([np.nan if d is None else float(d) for _, d in rows],
                         index=network.index)
    want = [f"pipe:{n}" if d is None else f"pipe:{n}:{d}" for n, d in rows]
    got = pipe_item(network, diameter)
    assert got.tolist() == want and got.index.equals(network.index)


def test_describe_items_fills_metrics_and_unknown_pipe_sizes():
    got = describe_items(["households", "bench", "pipe:water:200", "bench", "pipe:oil:50"],
                         load_catalogue())
    assert got.index.tolist() == ["households", "bench", "pipe:water:200", "pipe:oil:50"]
    assert got.loc["households", ["name_zh", "unit", "group"]].tolist() == ["户数", "户",
                                                                            "metric"]
    assert got.loc["bench", ["name_zh", "unit_price_cny"]].tolist() == ["座椅", 2091.2]
    assert got.loc["pipe:water:200", ["name_zh", "name_en", "unit", "group", "tier",
                                      "funding", "unit_price_cny"]].tolist() == [
        "给水管 DN200", "water supply pipe DN200", "m", "pipes", "basic", "pipeline_operator",
        0.0]
    assert got.loc["pipe:oil:50", ["name_zh", "funding"]].tolist() == ["管线管 DN50",
                                                                       "pipeline_operator"]
