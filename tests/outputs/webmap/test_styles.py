"""Map styles and labels come from the data files; class breaks are computed."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from gisplan.outputs.webmap.styles import (
    facility_kind,
    map_labels,
    network_styles,
    quantile_breaks,
    ramp,
    styles,
)
from gisplan.plan.catalogue import load_catalogue, read_data


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


def _lab(colour: str) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB ``#rrggbb`` colour."""
    rgb = np.array([int(colour[k:k + 2], 16) / 255 for k in (1, 3, 5)])
    rgb = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ rgb / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_facility_kinds_cover_every_outdoor_item_and_have_a_style():
    cat = load_catalogue()
    outdoor = cat.index[cat["group"] == "outdoor"]
    table = read_data("map_facility_kinds.csv")
    assert table["item"].is_unique and set(table["item"]) <= set(cat.index)
    assert set(outdoor) <= set(table["item"])
    kinds = styles()["facility_kind"]
    assert set(table["kind"]) | {"other"} <= set(kinds)
    assert facility_kind(pd.Series(["bench", "sewer_manhole", "ev_charger", "made_up"])) == [
        "leisure", "drainage", "charging", "other"]
    assert all(v["label_zh"] and v["label_en"] for v in kinds.values())


def test_facility_colours_stand_apart_from_pipe_networks_and_each_other():
    # CIE76 colour difference: about 2.3 is just noticeable; pipes and facilities both
    # sit on the same map, so a facility must never read as a pipe network (#12.1).
    kinds = {k: v["value"] for k, v in styles()["facility_kind"].items()}
    nets = [n["color"] for n in network_styles().values()]
    for kind, colour in kinds.items():
        nearest = min(np.linalg.norm(_lab(colour) - _lab(n)) for n in nets)
        assert nearest >= 30, f"facility kind {kind} {colour} looks like a pipe network"
    names = list(kinds)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert np.linalg.norm(_lab(kinds[a]) - _lab(kinds[b])) >= 25, (a, b)
