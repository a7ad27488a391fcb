"""Assigning features to communities on the mini plan of tests/plans.py, by hand:
buildings whole (largest share, or their own community_id), pipes cut at the borders,
facilities and structures where they lie, the rest to ``unassigned``."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from plans import box, mini_layers, write_plan

from gisplan.inputs.assign import (
    assign_to_areas,
    building_homes,
    pipe_split,
    scope_pipe_split,
)
from gisplan.inputs.validation import load_layers


@pytest.fixture(scope="module")
def layers(tmp_path_factory):
    return load_layers(write_plan(tmp_path_factory.mktemp("assign") / "mini"))


@pytest.fixture(scope="module")
def assignment(layers):
    return assign_to_areas(layers)


def test_buildings_go_whole_to_their_largest_share(assignment):
    got = assignment.buildings.set_index("building_id")["community_id"].to_dict()
    # b2 straddles A|B: 10 m of its 40 m length in A, 30 m in B
    assert got == {"b1": "A", "b2": "B", "b3": "C", "b4": "unassigned"}


def test_a_given_community_id_stands_over_the_geometry(tmp_path):
    plan = mini_layers()
    plan["buildings"]["community_id"] = [None, "A", None, "C"]  # b2 said A, b4 said C
    layers = load_layers(write_plan(tmp_path / "given", plan))
    assert building_homes(layers).tolist() == ["A", "A", "C", "C"]
    assert layers.geo_community.tolist() == ["A", "B", "C", "unassigned"]


def test_pipes_are_cut_at_community_borders(assignment):
    pieces = assignment.pipe_pieces
    assert set(pieces["pipe_id"]) == {"p1", "p2"}  # p3 is kept: not scope
    p1 = pieces[pieces["pipe_id"] == "p1"].set_index("community_id")["length_m"]
    assert p1.to_dict() == pytest.approx({"A": 50, "B": 100, "unassigned": 100, "C": 50})
    p2 = pieces[pieces["pipe_id"] == "p2"]
    assert p2[["community_id", "item", "length_m"]].values.tolist() == [
        ["A", "pipe:water:110", 60.0]]
    assert set(pieces.loc[pieces["pipe_id"] == "p1", "item"]) == {"pipe:sewer:300"}


def test_scope_split_leaves_out_kept_pipes(layers):
    li, _, length = pipe_split(layers)
    si, _, slen = scope_pipe_split(layers)
    p3 = int(np.flatnonzero(layers.pipes["pipe_id"] == "p3")[0])  # positions, not labels
    assert p3 in li and p3 not in si
    assert slen.sum() == pytest.approx(300 + 60)
    assert length.sum() == pytest.approx(300 + 60 + 100)


def test_split_is_made_again_when_validation_did_not_keep_it(layers):
    kept = pipe_split(layers)
    fresh = pipe_split(replace(layers, pipe_split=None))
    order = [np.lexsort((k[1], k[0])) for k in (kept, fresh)]
    for a, b in zip(kept, fresh, strict=True):
        np.testing.assert_allclose(a[order[0]], b[order[1]])


def test_facility_quantities_default_by_kind(assignment):
    f = assignment.facilities.set_index("facility_id")
    assert f["community_id"].to_dict() == {"f1": "A", "f2": "B", "f3": "unassigned"}
    # a bench point is 1 bench; the 20x20 m greening polygon is 400 m² (priced per m²)
    assert f["quantity"].to_dict() == {"f1": 1.0, "f2": 400.0, "f3": 1.0}


def test_given_quantity_stands_and_a_polygon_counted_by_piece_is_one(tmp_path):
    plan = mini_layers()
    fac = plan["facilities"]
    fac["quantity"] = [None, 123.0, None]
    fac.loc[0, ["item", "geometry"]] = ["pavilion", box(20, 40, 30, 50)]  # priced per piece
    got = assign_to_areas(load_layers(write_plan(tmp_path / "q", plan))).facilities
    assert got.set_index("facility_id")["quantity"].to_dict() == {"f1": 1.0, "f2": 123.0,
                                                                  "f3": 1.0}


def test_structures_where_they_lie_and_inputs_unchanged(layers, assignment):
    s = assignment.structures.set_index("structure_id")["community_id"].to_dict()
    assert s == {"s1": "A", "s2": "B"}
    assert "community_id" not in layers.buildings and "community_id" not in layers.facilities
    assert layers.facilities["quantity"].isna().all()
