"""Scope on the hand-made mini plan (see tests/plans.py), answers worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from plans import mini_layers, write_plan

from gisplan.analysis.scope import compute_scope
from gisplan.cli.main import main
from gisplan.inputs.validation import load_layers

H = 2.9  # storey height
F = 1.15  # pitched roof factor

# item -> {area: quantity}; areas A, B, C, unassigned (U), streets S1/S2, city.
EXPECTED = {
    "buildings": {"A": 1, "B": 1, "C": 1, "U": 1, "S1": 2, "S2": 1, "city": 4},
    "households": {"A": 30, "B": 24, "C": 16, "U": 8, "S1": 54, "S2": 16, "city": 78},
    # b1 60x12x5, b2 40x12x6 (in B by largest share), b3 registered 1500, b4 20x10x4
    "floor_area_m2": {"A": 3600, "B": 2880, "C": 1500, "U": 800, "city": 8780},
    "communities": {"A": 1, "S1": 2, "S2": 1, "city": 3},
    # b1 derived 720 is replaced by its declared 700
    "roof_flat_waterproof": {"A": 700, "C": 400, "U": 200, "city": 1300},
    "roof_pitched_repair": {"B": 480 * F, "city": 480 * F},
    # façades: b1 144*5*H, b3 100*4*H, b4 60*4*H; B's derived 104*6*H replaced by 1000
    "facade_paint": {"A": 144 * 5 * H, "B": 1000, "C": 100 * 4 * H, "U": 60 * 4 * H,
                     "city": (144 * 5 + 100 * 4 + 60 * 4) * H + 1000},
    "unit_door": {"A": 3, "B": 2, "C": 2, "U": 1, "city": 8},
    "stairwell_paint": {"A": 500, "city": 500},
    "asphalt_rebuild": {"A": 300, "S1": 300, "city": 300},
    # p1 crosses A (50 m), B (100), the gap (100), C (50)
    "pipe:sewer:300": {"A": 50, "B": 100, "C": 50, "U": 100, "S1": 150, "city": 300},
    "pipe:water:110": {"A": 60, "city": 60},
    "bench": {"A": 1, "city": 1},
    "greening": {"B": 400, "city": 400},
    "ev_charger": {"U": 1, "city": 1},
    "structures_area_m2": {"A": 100, "city": 100},  # s2 is demolished
}


@pytest.fixture
def scope(mini_plan):
    return compute_scope(load_layers(mini_plan))


def _lookup(table: pd.DataFrame) -> pd.Series:
    ids = table["area_id"].replace({"unassigned": "U"})
    return pd.Series(table["quantity"].to_numpy(), index=pd.MultiIndex.from_arrays(
        [table["item"], ids]))


@pytest.mark.parametrize("item", sorted(EXPECTED))
def test_hand_computed_quantities(scope, item):
    got = _lookup(scope.table)
    for area, want in EXPECTED[item].items():
        assert got[(item, area)] == pytest.approx(want, rel=1e-9), (item, area)


def test_keep_pipes_are_not_scope(scope):
    assert not scope.table["item"].str.startswith("pipe:gas").any()


def test_declared_stands_and_derived_is_shown_beside(scope):
    t = scope.table.set_index(["level", "area_id", "item"])
    row = t.loc[("community", "A", "roof_flat_waterproof")]
    assert row["source"] == "declared"
    assert row["derived_overridden"] == pytest.approx(720)
    city = t.loc[("city", "city", "facade_paint")]
    assert city["source"] == "derived+declared"
    assert city["derived_overridden"] == pytest.approx(104 * 6 * H)
    assert t.loc[("community", "C", "facade_paint"), "source"] == "derived"


def test_pipe_pieces_add_up_to_each_pipe(scope):
    pieces = scope.assignment.pipe_pieces.groupby("pipe_id")["length_m"].sum()
    assert pieces.to_dict() == pytest.approx({"p1": 300.0, "p2": 60.0})


def test_straddling_building_goes_to_largest_share(scope):
    b = scope.assignment.buildings.set_index("building_id")["community_id"]
    assert b.to_dict() == {"b1": "A", "b2": "B", "b3": "C", "b4": "unassigned"}


def test_cost_is_quantity_times_price(scope):
    t = scope.table.dropna(subset=["unit_price_cny"])
    assert (t["cost_cny"] - t["quantity"] * t["unit_price_cny"]).abs().max() < 1e-6


def test_conservation_communities_plus_unassigned_equal_city(scope):
    t = scope.table
    parts = t[t["level"].isin(["community", "unassigned"])].groupby("item")["quantity"].sum()
    city = t[t["level"] == "city"].set_index("item")["quantity"]
    pd.testing.assert_series_equal(parts.sort_index(), city.sort_index(), check_names=False)


def test_scenarios_and_funding_add_up(scope):
    t = scope.table
    city_cost = t[t["level"] == "city"]["cost_cny"].sum()
    s = scope.scenarios.set_index("level").loc["city"]
    assert s["cost_basic_and_upgrade_cny"] == pytest.approx(city_cost)
    assert s["cost_basic_cny"] < s["cost_basic_and_upgrade_cny"]
    f = scope.funding[scope.funding["level"] == "city"]
    assert f["cost_cny"].sum() == pytest.approx(city_cost)
    assert f["share"].sum() == pytest.approx(1.0)


def test_factor_allocation_shares(mini_plan):
    toml = mini_plan / "plan.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + """
[funding]
central_allocation_cny = 1000000
factor_weights = { floor_area_m2 = 0, households = 1, buildings = 0, communities = 1 }
""", encoding="utf-8")
    alloc = compute_scope(load_layers(mini_plan)).allocation.set_index("area_id")
    # households 30/24/16 of 70; communities 1/3 each; equal weights
    want = {c: (h / 70 + 1 / 3) / 2 for c, h in {"A": 30, "B": 24, "C": 16}.items()}
    assert alloc["share"].to_dict() == pytest.approx(want)
    assert alloc["allocation_cny"].sum() == pytest.approx(1_000_000)


def test_same_quantities_from_wgs84_inputs(tmp_path, scope):
    layers = {k: v.to_crs("EPSG:4326") for k, v in mini_layers().items()}
    plan = write_plan(tmp_path / "wgs84", layers)
    other = compute_scope(load_layers(plan)).table
    key = ["level", "area_id", "item"]
    merged = scope.table.merge(other, on=key, suffixes=("", "_4326"))
    assert len(merged) == len(scope.table)
    rel = (merged["quantity_4326"] - merged["quantity"]).abs() / merged["quantity"].abs()
    assert rel.max() < 1e-3


def test_cli_writes_the_contract_files(mini_plan, tmp_path):
    out = tmp_path / "out"
    assert main(["scope", str(mini_plan), "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"scope.csv", "scope.xlsx", "funding.csv"} <= names
    csv = pd.read_csv(out / "scope.csv", encoding="utf-8-sig")
    assert list(csv.columns[:8]) == ["level", "area_id", "item", "unit", "quantity", "name_zh",
                                     "source", "cost_cny"]
    assert set(csv["level"]) == {"community", "unassigned", "street", "zone", "city"}
    zone_of = csv[csv["level"] == "community"].groupby("area_id")["zone_id"].first()
    assert zone_of.to_dict() == {"A": "Z001", "B": "Z001", "C": "Z002"}
    assert not list(tmp_path.glob(".out.staging-*"))
