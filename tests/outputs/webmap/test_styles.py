"""Map styles and labels come from the data files; class breaks are computed."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gisplan.outputs.webmap.styles import (
    map_labels,
    network_styles,
    quantile_breaks,
    ramp,
    styles,
)


def test_styles_hold_the_csv_rows():
    s = styles()
    assert s["roof"]["pitched"] == {"value": "#d94801", "label_zh": "坡屋面",
                                    "label_en": "pitched roof"}
    assert set(s["status"]) == {"identified", "confirmed", "demolished"}


def test_ramps_run_light_to_dark_in_numeric_order():
    assert ramp("households") == ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]
    assert ramp("cost")[-1] == "#993404"


def test_labels_in_both_languages_include_the_shared_ones():
    zh, en = map_labels(), map_labels(lang="en")
    assert (zh["head.households"], en["head.households"]) == ("户数", "households")
    assert (zh["level.street"], en["level.street"]) == ("街道", "street")  # labels.csv
    assert set(zh) == set(en)


def test_network_styles():
    nets = network_styles()
    assert nets["gas"] == {"name": "燃气", "color": "#ff7f00"}
    assert set(nets) == {"water", "sewer", "storm", "heating", "gas", "power", "telecom"}


def test_quantile_breaks_by_hand():
    # quartiles of 0..100 are 25, 50, 75; span 100 keeps 0 decimals
    assert quantile_breaks(np.arange(101), classes=4) == [25.0, 50.0, 75.0]
    # span 0.9: two decimals; quintiles of 0.1..1.0
    assert quantile_breaks(np.linspace(0.1, 1.0, 10), classes=5) == [0.28, 0.46, 0.64, 0.82]
    assert quantile_breaks([5, 5, 5], classes=5) == []
    assert quantile_breaks([np.nan, 3.0], classes=5) == []
    assert quantile_breaks([1, 1, 1, 1, 9], classes=5) == [1.0, 2.6]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(-10**8, 10**8), min_size=2, max_size=50), st.integers(2, 7))
def test_breaks_are_few_sorted_distinct_and_inside_the_range(cents, classes):
    values = [c / 100 for c in cents]  # figures to the cent (households, yuan, m²)
    breaks = quantile_breaks(values, classes=classes)
    assert len(breaks) <= classes - 1
    assert breaks == sorted(set(breaks))
    span = max(values) - min(values)
    for b in breaks:  # rounding moves a break by at most half a unit of its last digit
        assert min(values) - span / 100 <= b <= max(values) + span / 100
