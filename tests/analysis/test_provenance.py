"""How each figure was obtained (issue #13), on the hand-made mini plan (tests/plans.py)."""

from __future__ import annotations

import pytest
from plans import MINI_QUANTITIES, mini_layers, write_plan

from gisplan.analysis.provenance import count_obtained, feature_kinds, obtained_by
from gisplan.analysis.scope import compute_scope
from gisplan.inputs.assign import assign_to_areas
from gisplan.inputs.validation import load_layers


def _obtained(plan):
    layers = load_layers(plan)
    kinds = feature_kinds(layers, assign_to_areas(layers))
    return obtained_by(compute_scope(layers).table, layers.catalogue, kinds)


def test_mini_plan_by_hand(mini_plan):
    o = _obtained(mini_plan)
    got = o["obtained"].to_dict()
    assert got["communities"] == got["buildings"] == "counted"
    assert got["households"] == got["units"] == "attribute"
    # b3 has a registered floor area (1500); b1, b2 and b4 are footprint x floors
    assert got["floor_area_m2"] == "measured+attribute"
    assert o.loc["floor_area_m2", "attribute"] == pytest.approx(1500)
    assert o.loc["floor_area_m2", "measured"] == pytest.approx(60 * 12 * 5 + 40 * 12 * 6
                                                               + 20 * 10 * 4)
    # b1's flat roof is declared (700, over its derived 720); b3's (40 x 10) and b4's
    # (20 x 10, in no community) are measured
    assert got["roof_flat_waterproof"] == "measured+declared"
    assert o.loc["roof_flat_waterproof", ["measured", "declared"]].tolist() == [600, 700]
    assert got["stairwell_paint"] == got["asphalt_rebuild"] == "declared"
    assert got["facade_paint"] == "measured+declared"  # B declared, A and C measured
    assert got["pipe:sewer:300"] == got["pipe:water:110"] == "measured"
    assert got["bench"] == got["ev_charger"] == "counted"   # points without a quantity
    assert got["greening"] == "measured"                     # a polygon: its area
    assert got["unit_door"] == "attribute"                   # the buildings' units


def test_a_typed_quantity_is_an_attribute_sum(tmp_path):
    layers = mini_layers()
    layers["facilities"]["quantity"] = [3.0, 400.0, None]  # bench x3; greening = its area
    o = _obtained(write_plan(tmp_path / "p", layers, quantities=MINI_QUANTITIES))
    assert o.loc["bench", "obtained"] == "attribute"
    assert o.loc["greening", "obtained"] == "measured"
    layers["facilities"]["quantity"] = [1.0, 250.0, None]  # greening typed, not its area
    o = _obtained(write_plan(tmp_path / "q", layers, quantities=MINI_QUANTITIES))
    assert o.loc["bench", "obtained"] == "counted"
    assert o.loc["greening", "obtained"] == "attribute"


def test_reconciliation_carries_the_labels_and_hunchun_counts_them():
    from conftest import HUNCHUN

    r = compute_scope(load_layers(HUNCHUN)).reconciliation.dropna(subset=["stated"])
    # the generated Hunchun layout: 21 figures measured from geometry (4 roof and façade
    # areas, 15 pipe lengths, 2 polygon areas), the rest counted, summed or declared
    assert count_obtained(r["obtained"]) == {"measured": 21, "counted": 28, "attribute": 5,
                                             "declared": 23}
    by_item = r.set_index("item")["obtained"]
    assert by_item["facade_paint"] == "measured" and by_item["parking_paved"] == "attribute"
