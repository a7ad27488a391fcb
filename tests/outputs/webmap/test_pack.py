"""The web map's compact encoding: delta-encoded integer coordinates with run lengths,
and attribute columns as plain lists or dictionaries of repeated text; long lines and rings
simplified in pieces, within the tolerance, of the same type, at any number of vertices."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from plans import load_scoped
from pyproj import Transformer

from gisplan.outputs.webmap.pack import (
    SCALE,
    category,
    csr,
    label_points,
    num,
    pack_geometries,
    simplified,
    simplify_long,
    text,
)

#: lon/lat in, lon/lat out: the packed integers are the input degrees times SCALE.
IDENTITY = Transformer.from_crs("EPSG:4326", "EPSG:4326", always_xy=True)


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    return load_scoped(tmp_path_factory.mktemp("pack") / "mini")


def decode(c: list[int]) -> np.ndarray:
    """(lat, lon) degrees of the delta-encoded integers, written without gisplan."""
    return np.cumsum(np.asarray(c, dtype=np.int64).reshape(-1, 2), axis=0) / SCALE


def test_one_box_by_hand():
    g = pack_geometries(np.array([shapely.box(130.0, 42.0, 130.00001, 42.00002)]),
                        transformer=IDENTITY, tolerance=0.0)
    poly = g["polygon"]
    # counter-clockwise from (130.00001, 42): north 20, west 10, south 20, as (lat, lon)
    # deltas in millionths of a degree; the closing vertex is dropped
    assert poly["c"] == [42_000_000, 130_000_010, 20, 0, 0, -10, -20, 0]
    assert (poly["r"], poly["p"], poly["g"], poly["i"]) == ([4], None, None, None)


def test_rings_polygons_and_features_are_counted():
    holed = shapely.box(0, 0, 10, 10).difference(shapely.box(2, 2, 4, 4))
    geoms = np.array([shapely.MultiPolygon([holed, shapely.box(20, 0, 30, 5)]),
                      shapely.box(40, 0, 50, 5)], dtype=object)
    poly = pack_geometries(geoms, transformer=IDENTITY, tolerance=0.0)["polygon"]
    assert poly["r"] == [4, 4, 4, 4]     # exterior and hole, then two single rings
    assert poly["p"] == [2, 1, 1]        # rings per polygon
    assert poly["g"] == [2, 1]           # polygons per feature
    assert len(poly["c"]) == 2 * 16


def test_families_are_split_and_missing_geometries_skipped():
    geoms = np.array([shapely.Point(1, 2), shapely.LineString([(0, 0), (1, 1)]), None,
                      shapely.box(0, 0, 1, 1), shapely.Polygon(),
                      shapely.MultiPoint([(3, 4), (5, 6)])], dtype=object)
    g = pack_geometries(geoms, transformer=IDENTITY, tolerance=0.0)
    assert sorted(g) == ["line", "point", "polygon"]
    assert g["point"]["i"] == [0, 5] and g["point"]["g"] == [1, 2]
    assert decode(g["point"]["c"]).tolist() == [[2, 1], [4, 3], [6, 5]]
    assert g["line"]["i"] == [1] and g["line"]["r"] == [2]
    assert g["polygon"]["i"] == [3]


def test_simplification_spares_rectangles():
    wiggle = shapely.LineString([(x, 0.001 * (x % 2)) for x in range(20)])
    geoms = np.array([wiggle, shapely.box(0, 0, 1, 1)], dtype=object)
    g = pack_geometries(geoms, transformer=IDENTITY, tolerance=0.01)
    assert g["line"]["r"] == [2]          # 20 vertices within 1 mm of a straight line
    assert g["polygon"]["r"] == [4]
    assert pack_geometries(geoms, transformer=IDENTITY, tolerance=0)["line"]["r"] == [20]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.floats(73, 135), st.floats(18, 53)), min_size=2,
                         max_size=12), min_size=1, max_size=8))
def test_delta_encoding_round_trips_to_a_millionth_of_a_degree(lines):
    geoms = np.array([shapely.LineString(pts) for pts in lines], dtype=object)
    fam = pack_geometries(geoms, transformer=IDENTITY, tolerance=0.0)["line"]
    assert fam["r"] == [len(pts) for pts in lines]
    lonlat = np.array([p for pts in lines for p in pts])
    got = decode(fam["c"])
    assert np.abs(got[:, 0] - lonlat[:, 1]).max() <= 0.5 / SCALE + 1e-12
    assert np.abs(got[:, 1] - lonlat[:, 0]).max() <= 0.5 / SCALE + 1e-12


def test_numbers_text_and_categories():
    assert num([1.0, 2.5, np.nan, 3.456]) == [1, 2.5, None, 3.46]
    assert num([1.0, 2.0]) == [1, 2] and all(type(v) is int for v in num([1.0, 2.0]))
    assert num([1234.56], digits=0) == [1235]
    assert text(["a", None, 3]) == ["a", None, "3"]
    assert category(["甲", "乙", "甲", None]) == {"d": ["甲", "乙"], "i": [0, 1, 0, -1]}


def test_rows_are_grouped_by_owner():
    assert csr(np.array([1, 1, 3]), 4, {"q": [5, 6, 7]}) == {"n": [0, 2, 0, 1], "q": [5, 6, 7]}
    assert csr(np.array([], dtype=int), 2, {}) == {"n": [0, 0]}
    with pytest.raises(ValueError, match="sorted by owner"):
        csr(np.array([1, 0]), 2, {})


def test_coordinates_round_to_a_tenth_of_a_metre(mini: tuple) -> None:
    layers, _, _ = mini
    geoms = np.asarray(layers.buildings.geometry.array)
    t = Transformer.from_crs(layers.plan.crs, "EPSG:4326", always_xy=True)
    packed = pack_geometries(geoms, transformer=t, tolerance=0.1)["polygon"]
    q = np.cumsum(np.asarray(packed["c"]).reshape(-1, 2), axis=0) / SCALE
    first = shapely.get_coordinates(geoms[0])[:4]
    lon, lat = t.transform(first[:, 0], first[:, 1])
    assert np.abs(q[:4, 0] - lat).max() < 0.6 / SCALE
    assert np.abs(q[:4, 1] - lon).max() < 0.6 / SCALE
    assert packed["r"] == [4, 4, 4, 4]            # closing vertex dropped



@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.1, 5), st.floats(0.1, 5), st.floats(0.05, 0.95),
                          st.floats(0.05, 0.95)), min_size=1, max_size=6))
def test_label_points_lie_inside_their_polygons(shapes):
    # L-shaped (concave) polygons: their centroid is often outside, the label never is.
    polys = [shapely.difference(shapely.box(0, 0, w, h), shapely.box(a * w, b * h, w * 2, h * 2))
             for w, h, a, b in shapes]
    got = np.array(label_points(np.array([*polys, None], dtype=object), transformer=IDENTITY,
                                scale=10**9)).reshape(-1, 2) / 10**9
    assert got[-1].tolist() == [0, 0]                               # missing geometry
    pts = shapely.points(got[:-1, 1], got[:-1, 0])
    assert shapely.covers(np.array(polys), pts).all()


TOL = 0.1


def _shapes() -> list:
    rng = np.random.default_rng(3)
    walk = np.cumsum(rng.normal(0, 0.3, (3000, 2)), axis=0)
    angle = np.linspace(0, 2 * np.pi, 2500)
    radius = 100 + rng.normal(0, 0.05, len(angle))
    ring = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    ring[-1] = ring[0]
    court = shapely.Polygon(ring, [shapely.box(-10, -10, 10, 10).exterior.coords])
    return [shapely.LineString(walk), court,
            shapely.MultiPolygon([court, shapely.box(300, 300, 310, 320)]),
            shapely.MultiLineString([walk[:1500], [(0, 0), (5, 5)]])]


@pytest.mark.parametrize("piece", [2, 3, 64])
def test_pieces_keep_type_vertices_and_tolerance(piece: int) -> None:
    shapes = np.array(_shapes(), dtype=object)
    out = simplify_long(shapes, TOL, piece=piece)
    assert shapely.get_type_id(out).tolist() == shapely.get_type_id(shapes).tolist()
    for before, after in zip(shapes, out, strict=True):
        original = shapely.get_coordinates(before)
        kept = shapely.get_coordinates(after)
        assert len(kept) <= len(original)
        # Every kept vertex is an input vertex, and every input vertex is within the
        # tolerance of the simplified outline.
        assert set(map(tuple, kept)) <= set(map(tuple, original))
        assert (shapely.distance(shapely.points(original), shapely.boundary(after)
                                 if after.geom_type.endswith("Polygon") else after)
                <= TOL + 1e-9).all()
        assert shapely.get_num_geometries(after) == shapely.get_num_geometries(before)
        if after.geom_type.endswith("Polygon"):
            assert after.is_valid
            assert shapely.get_num_interior_rings(shapely.get_geometry(after, 0)) == 1
            assert abs(after.area - before.area) / before.area < 1e-3


def test_no_tolerance_gives_the_input_back() -> None:
    shapes = np.array(_shapes(), dtype=object)
    out = simplify_long(shapes, 0.0, piece=16)
    assert shapely.equals_exact(out, shapes, tolerance=0).all()


def test_a_zigzag_of_a_million_vertices_is_simplified_whole() -> None:
    # GEOS recurses once per vertex here (a segmentation fault at this size, whole).
    n = 1_000_000
    x, teeth = np.linspace(0, 1000, n), np.arange(n) % 2
    zigzag = shapely.linestrings(x, teeth * 2.0)
    short = shapely.box(0, 0, 10, 10)
    out = simplified(np.array([zigzag, short], dtype=object), TOL)
    assert out[1] is short
    kept = shapely.get_coordinates(out[0])
    assert 0 < len(kept) < n
    assert kept[0].tolist() == [0.0, 0.0] and kept[-1].tolist() == [1000.0, 2.0]
    # The teeth are 2 m high: the outline still reaches both sides.
    assert set(np.unique(kept[:, 1])) == {0.0, 2.0}
