"""Per-community quantities: derived from geometry by hand, surveyed figures standing over
derived ones, and partial facts that add up over any split of the features."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from plans import write_plan

from gisplan.analysis.quantities import (
    PARTIAL_COLUMNS,
    building_quantities,
    community_quantities,
    finish_facts,
    partial_facts,
    sum_facts,
)
from gisplan.inputs.assign import assign_to_areas
from gisplan.inputs.validation import load_layers
from gisplan.plan.catalogue import load_catalogue
from gisplan.plan.settings import ScopeSettings

CATALOGUE = load_catalogue()


def buildings() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "floors": [3, 5], "households": [12, 20], "units": [2, 1],
        "roof": ["flat", "pitched"], "floor_area_m2": [np.nan, 480.0],
    }, geometry=[shapely.box(0, 0, 10, 20), shapely.box(50, 0, 60, 10)], index=[7, 9])


def test_building_quantities_by_hand():
    q = building_quantities(buildings(), CATALOGUE, settings=ScopeSettings())
    assert q.index.tolist() == [7, 9]
    flat, pitched = q.loc[7], q.loc[9]
    # 10x20 m, flat roof, 3 floors of 2.9 m: roof 200 m², façade 60 m * 3 * 2.9 = 522 m²
    assert flat["roof_flat_waterproof"] == 200
    assert flat["facade_paint"] == pytest.approx(522)
    assert flat["floor_area_m2"] == 600 and flat["footprint_area_m2"] == 200
    assert (flat["unit_door"], flat["unit_door_plate"]) == (2, 2)
    assert flat["roof_pitched_repair"] == 0 and flat["roof_pitched_waterproof"] == 0
    # 10x10 m pitched: roof 100 * 1.15; registered floor area 480 stands over 100 * 5
    assert pitched["roof_pitched_repair"] == pytest.approx(115)
    assert pitched["roof_pitched_waterproof"] == pytest.approx(115)
    assert pitched["roof_flat_waterproof"] == 0
    assert pitched["facade_paint"] == pytest.approx(40 * 5 * 2.9)
    assert pitched["floor_area_m2"] == 480
    assert (q["buildings"].tolist(), q["households"].tolist()) == ([1, 1], [12, 20])


def test_settings_change_the_derived_figures():
    s = ScopeSettings(storey_height_m=3.0, pitched_roof_factor=1.5)
    q = building_quantities(buildings(), CATALOGUE, settings=s)
    assert q.loc[7, "facade_paint"] == pytest.approx(60 * 3 * 3.0)
    assert q.loc[9, "roof_pitched_repair"] == pytest.approx(150)


def test_no_registered_floor_area_column():
    q = building_quantities(buildings().drop(columns="floor_area_m2"), CATALOGUE,
                            settings=ScopeSettings())
    assert q["floor_area_m2"].tolist() == [600, 500]


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    layers = load_layers(write_plan(tmp_path_factory.mktemp("quantities") / "mini"))
    return layers, assign_to_areas(layers)


def _lookup(frame: pd.DataFrame, column: str = "quantity") -> dict:
    return {(c, i): v for c, i, v in frame[["community_id", "item", column]].itertuples(
        index=False)}


def test_community_quantities_of_the_mini_plan(mini):
    layers, assignment = mini
    got = community_quantities(layers, assignment)
    q, derived, declared = _lookup(got), _lookup(got, "quantity_derived"), _lookup(
        got, "quantity_declared")
    # b1: its roof surveyed at 700 replaces the derived 60 * 12 = 720
    assert q[("A", "roof_flat_waterproof")] == 700
    assert _lookup(got, "derived_overridden")[("A", "roof_flat_waterproof")] == 720
    assert (derived[("A", "roof_flat_waterproof")], declared[("A", "roof_flat_waterproof")]) \
        == (0, 700)
    # B's façade surveyed at 1000 for the whole community replaces b2's 104 * 6 * 2.9
    assert q[("B", "facade_paint")] == 1000
    assert _lookup(got, "derived_overridden")[("B", "facade_paint")] == pytest.approx(
        104 * 6 * 2.9)
    assert q[("A", "asphalt_rebuild")] == 300 and q[("A", "stairwell_paint")] == 500
    assert q[("B", "greening")] == 400 and q[("unassigned", "ev_charger")] == 1
    assert q[("A", "structures_area_m2")] == 100 and ("B", "structures_area_m2") not in q
    assert q[("unassigned", "pipe:sewer:300")] == pytest.approx(100)
    assert q[("unassigned", "households")] == 8


def test_partial_facts_sum_again(mini):
    layers, assignment = mini
    decl = layers.declared[layers.declared["target_kind"] == "building"]
    facts = partial_facts(assignment, layers.catalogue, settings=layers.plan.scope,
                          declared=decl)
    assert list(facts.columns) == ["community_id", "item", *PARTIAL_COLUMNS]
    once = sum_facts(facts)
    twice = sum_facts(pd.concat([once, once.iloc[:0]], ignore_index=True))
    pd.testing.assert_frame_equal(once, twice)
    assert not once.duplicated(["community_id", "item"]).any()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.booleans(), min_size=4, max_size=4), st.booleans(), st.booleans())
def test_facts_of_any_split_add_up_to_the_whole(mini, in_first, pipes_first, others_first):
    layers, a = mini
    decl = layers.declared
    by_building = decl[decl["target_kind"] == "building"]

    def facts(first: bool):
        def pick(frame, here: bool):
            return frame[np.full(len(frame), here == first)]

        mask = np.array(in_first) == first
        part = replace(a, buildings=a.buildings[mask],
                       pipe_pieces=pick(a.pipe_pieces, pipes_first),
                       facilities=pick(a.facilities, others_first),
                       structures=pick(a.structures, others_first))
        return partial_facts(part, layers.catalogue, settings=layers.plan.scope,
                             declared=by_building)

    parts = pd.concat([facts(True), facts(False)], ignore_index=True)
    whole = community_quantities(layers, a)
    split = finish_facts(parts, decl[decl["target_kind"] == "community"])
    key = ["community_id", "item"]
    want = whole.set_index(key).sort_index()
    got = split.set_index(key).sort_index()
    extra = got.index.difference(want.index)  # empty sums of one half only
    assert (got.loc[extra] == 0).all().all()
    pd.testing.assert_frame_equal(got.reindex(want.index), want, check_exact=False)
