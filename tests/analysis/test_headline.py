"""Headline figures and the reconciliation verdict, from a hand-made scope table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gisplan.analysis.headline import MATCH_TOLERANCE, headline, reconciliation
from gisplan.analysis.scope import Scope


def scope_of(table: pd.DataFrame, reconciliation: pd.DataFrame | None = None) -> Scope:
    return Scope(table=table, reconciliation=reconciliation, funding=None, scenarios=None,
                 allocation=None, assignment=None)


TABLE = pd.DataFrame({
    "level": ["city"] * 6 + ["community"] * 2,
    "area_id": ["city"] * 6 + ["A"] * 2,
    "item": ["communities", "buildings", "households", "floor_area_m2", "bench", "greening",
             "households", "bench"],
    "quantity": [3, 4, 78, 8780.5, 2, 400, 30, 1],
    "cost_cny": [np.nan, np.nan, np.nan, np.nan, 3600, 72000, np.nan, 1800],
})


def test_city_totals_by_hand():
    assert headline(scope_of(TABLE)) == {"communities": 3, "buildings": 4, "households": 78,
                                         "floor_area_m2": 8780.5, "cost_cny": 75600}


def test_missing_figures_are_zero():
    t = TABLE[~TABLE["item"].isin(["buildings", "bench", "greening"])]
    h = headline(scope_of(t))
    assert (h["buildings"], h["cost_cny"]) == (0.0, 0.0)
    assert all(isinstance(v, float) for v in h.values())


def test_no_stated_figures_no_verdict():
    assert reconciliation(scope_of(TABLE)) is None


def test_matches_within_the_tolerance():
    stated = [80, 500, np.nan, 1e6, 1e6, 0]
    difference = [-2, 0, 5, 0.9, 1.1, 1e-7]
    r = pd.DataFrame({"item": list("abcdef"), "stated": stated, "difference": difference})
    got = reconciliation(scope_of(TABLE, r))
    assert got["item"].tolist() == ["a", "b", "d", "e", "f"]  # c states nothing
    # 1e6 stated: up to 1e6 * 1e-6 = 1 off still matches; 0 stated: up to 1e-6
    assert got["matches"].tolist() == [False, True, True, False, True]
    assert MATCH_TOLERANCE == 1e-6
    assert list(r.columns) == ["item", "stated", "difference"]  # the input is not changed


@pytest.mark.parametrize("stated", [1.0, 250.0, 12345.0])
def test_a_computed_figure_off_by_a_thousandth_does_not_match(stated):
    r = pd.DataFrame({"item": ["x"], "stated": [stated], "difference": [stated / 1000]})
    assert not reconciliation(scope_of(TABLE, r))["matches"].iloc[0]
