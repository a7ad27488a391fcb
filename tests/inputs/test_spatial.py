"""gisplan.inputs.spatial: the fast paths agree with plain shapely, case by case and at random."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gisplan.inputs.spatial import keep_family, largest_share, split_lengths

# Two squares sharing the border x = 10, a third apart.
AREAS = shapely.box([0, 10, 30], 0, [10, 20, 40], 10)


def reference_share(geom, areas) -> int:
    """The rule of largest_share, one geometry at a time with plain shapely."""
    dim = shapely.get_dimensions(geom)
    if dim == 0:
        hits = [i for i, a in enumerate(areas) if a.covers(geom)]
        return hits[0] if hits else -1
    covering = [i for i, a in enumerate(areas) if a.covers(geom)]
    if covering:
        return covering[0]
    measure = shapely.area if dim == 2 else shapely.length
    shares = [float(measure(a.intersection(geom))) for a in areas]
    best = max(shares)
    return shares.index(best) if best > 0 else -1


def test_hand_made_cases():
    geoms = np.array([
        shapely.Point(5, 5),                 # inside the first
        shapely.Point(10, 5),                # on the shared border: the first listed
        shapely.box(20, 2, 25, 4),           # touches the second (x = 20) from outside
        shapely.box(4, 2, 10, 4),            # inside the first, touching the border
        shapely.box(7, 2, 11, 4),            # 3 in the first, 1 in the second
        shapely.box(8, 2, 12, 4),            # split evenly: the first listed
        shapely.box(50, 0, 60, 10),          # in none
        shapely.LineString([(9, 1), (30, 1)]),  # 1 in the first, 10 in the second
    ])
    assert largest_share(geoms, AREAS).tolist() == [0, 0, -1, 0, 0, 0, -1, 1]


def test_listing_order_breaks_ties_whatever_the_tree_returns():
    areas = AREAS[::-1]  # the shared border now lies between areas 1 and 2
    geoms = np.array([shapely.Point(10, 5), shapely.box(8, 2, 12, 4)])
    assert largest_share(geoms, areas).tolist() == [1, 1]


def test_a_line_along_the_shared_border_goes_to_the_first_area_only():
    line = np.array([shapely.LineString([(10, 0), (10, 10)])])
    li, ai, ln = split_lengths(line, AREAS)
    assert list(zip(li.tolist(), ai.tolist(), ln.tolist(), strict=True)) == [(0, 0, 10.0)]


boxes = st.tuples(st.integers(-5, 45), st.integers(-5, 15), st.integers(1, 15),
                  st.integers(1, 15))
points = st.tuples(st.integers(-5, 45), st.integers(-5, 15))


@settings(max_examples=150, deadline=None)
@given(st.lists(boxes, min_size=1, max_size=12), st.lists(points, max_size=6),
       st.lists(st.tuples(points, points), max_size=6))
def test_largest_share_matches_plain_shapely(polys, pts, segs):
    geoms = np.array(
        [shapely.box(x, y, x + w, y + h) for x, y, w, h in polys]
        + [shapely.Point(x, y) for x, y in pts]
        + [shapely.LineString([a, b]) for a, b in segs if a != b], dtype=object)
    want = [reference_share(g, AREAS) for g in geoms]
    assert largest_share(geoms, AREAS).tolist() == want


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(points, points, points), min_size=1, max_size=10))
def test_split_lengths_add_up_and_match_each_intersection(paths):
    lines = np.array([shapely.LineString(p) for p in paths], dtype=object)
    # A pipe doubling back on itself counts its whole length; an intersection would merge
    # the overlap, so only simple lines are compared with intersections below.
    li, ai, ln = split_lengths(lines, AREAS)
    np.testing.assert_allclose(np.bincount(li, weights=ln, minlength=len(lines)),
                               shapely.length(lines), atol=1e-9)
    inside = (ai >= 0) & shapely.is_simple(lines[li])
    # Each piece is the line's part in that area, less any border stretch counted already.
    cut = shapely.length(shapely.intersection(lines[li[inside]], AREAS[ai[inside]]))
    assert (ln[inside] <= cut + 1e-9).all()
    crosses_border = shapely.intersects(lines[li[inside]], shapely.LineString([(10, 0), (10, 10)]))
    np.testing.assert_allclose(ln[inside][~crosses_border], cut[~crosses_border])


# -- keep_family -------------------------------------------------------------------------------

_box = st.tuples(st.integers(0, 8), st.integers(0, 8), st.integers(1, 4), st.integers(1, 4))
_boxes = st.lists(_box, min_size=1, max_size=4)


def _union(boxes) -> shapely.Geometry:
    """Boxes on a coarse integer grid: their overlays touch at edges and corners often."""
    return shapely.union_all([shapely.box(x, y, x + w, y + h) for x, y, w, h in boxes])


@settings(max_examples=200, deadline=None)
@given(a=_boxes, b=_boxes, path=st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)),
                                         min_size=2, max_size=6))
def test_keep_family_keeps_every_part_of_its_dimension_and_nothing_else(a, b, path):
    pa, pb = _union(a), _union(b)
    line = shapely.LineString(path)
    derived = np.array([shapely.intersection(pa, pb), shapely.intersection(line, pa),
                        shapely.difference(line, pb), shapely.union(pa, line),
                        shapely.make_valid(shapely.Polygon(path + path[:1])
                                           if len(path) >= 3 else line)])
    for family, dim in (("polygonal", 2), ("lineal", 1), ("puntal", 0)):
        out = keep_family(derived, family)
        kinds = shapely.get_type_id(out)
        assert not np.isin(kinds, [7]).any()  # no GeometryCollection
        parts = shapely.get_parts(out)
        assert (shapely.get_dimensions(parts) == dim).all()
        assert shapely.is_valid(out[shapely.is_valid(derived)]).all()
        if dim == 2:  # the area of a collection is that of its polygons
            np.testing.assert_allclose(shapely.area(out), shapely.area(derived), atol=1e-9)
        if dim == 1:  # lines from line overlays: the collection's length is theirs
            np.testing.assert_allclose(shapely.length(out[1:3]), shapely.length(derived[1:3]),
                                       atol=1e-9)
        again = keep_family(out, family)
        assert all(x is y for x, y in zip(again, out, strict=True))  # already of the family


def test_keep_family_by_dimension_and_empties():
    gc = shapely.from_wkt("GEOMETRYCOLLECTION (POLYGON ((0 0, 2 0, 2 2, 0 0)), "
                          "GEOMETRYCOLLECTION (LINESTRING (5 5, 6 6), POINT (9 9)), "
                          "POLYGON ((3 0, 4 0, 4 1, 3 0)), LINESTRING (1 1, 1 1))")
    out = keep_family([gc, gc, gc, None, shapely.Point(1, 1)], [2, 1, 0, 2, 2])
    assert out[0].geom_type == "MultiPolygon" and out[0].area == pytest.approx(2.5)
    assert out[1].wkt == "LINESTRING (5 5, 6 6)"  # the zero-length line is dropped
    assert out[2].wkt == "POINT (9 9)"
    assert out[3] is None
    assert out[4].wkt == "POLYGON EMPTY"
    # Two triangles of a collection sharing an edge become one valid polygon.
    shared = shapely.from_wkt("GEOMETRYCOLLECTION (POLYGON ((0 0, 1 0, 1 1, 0 0)), "
                              "POLYGON ((0 0, 1 1, 0 1, 0 0)), POINT (5 5))")
    one = keep_family([shared], "polygonal")[0]
    assert one.is_valid and one.area == pytest.approx(1.0)
