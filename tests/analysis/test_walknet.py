"""Walking distances on hand-drawn roads, measured by hand; and against an independent
networkx reference that inserts every snap point as a node (the textbook construction)."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
import shapely
from shapely import LineString, Point

from gisplan.analysis.walknet import (
    anchored_graph,
    build_network,
    nearest_anchor,
    origin_ends,
    snap_points,
    within_pairs,
)


def walks(roads, buildings, services, *, max_m=100.0):
    net = build_network(roads)
    graph = anchored_graph(net, snap_points(net, services, max_m=max_m))
    ends = origin_ends(graph, snap_points(net, buildings, max_m=max_m))
    return nearest_anchor(graph, ends, np.arange(len(services)))


H = LineString([(0, 0), (100, 0)])


def test_connectors_and_the_way_along_the_road_are_counted():
    # building 10 m north of x=10, service 5 m south of x=90, a side road at x=40
    walk, which = walks([H, LineString([(40, 0), (40, 50)])], [Point(10, 10)], [Point(90, -5)])
    assert walk.tolist() == [10 + 80 + 5] and which.tolist() == [0]


def test_no_shortcut_off_the_network_on_one_segment():
    # 40 m apart as the crow flies, both 30 m from the road: 30 + 40 + 30
    walk, _ = walks([H], [Point(20, 30)], [Point(60, 30)])
    assert walk.tolist() == [100.0]


def test_two_services_on_the_building_s_segment_the_nearer_on_foot_wins():
    services = [Point(10, 5), Point(95, 40)]
    walk, which = walks([H], [Point(50, 1), Point(80, 1)], services)
    # (50,1): to S0 1 + 40 + 5 = 46, to S1 1 + 45 + 40 = 86; (80,1): 76 vs 1 + 15 + 40 = 56
    assert walk.tolist() == [46.0, 56.0] and which.tolist() == [0, 1]


def test_crossing_roads_are_noded():
    # V crosses H at (50, 0) with no shared vertex
    v = LineString([(50, -50), (50, 50)])
    walk, _ = walks([H, v], [Point(45, 40)], [Point(100, 3)])
    assert walk.tolist() == [5 + 40 + 50 + 3]


def test_a_road_ending_on_another_is_joined_also_a_hair_off_it():
    for gap in (0.0, 0.004):  # within the 1 cm noding grid
        t = LineString([(30, gap), (30, 60)])
        walk, _ = walks([H, t], [Point(25, 55)], [Point(90, -2)])
        assert walk[0] == pytest.approx(5 + 55 + 60 + 2, abs=0.02), gap


def test_parallel_segments_take_the_shorter_one():
    # a square ring between (0,0) and (100,0): 100 m along the bottom, 300 m around the top
    ring = LineString([(0, 0), (100, 0), (100, 100), (0, 100), (0, 0)])
    spurs = [LineString([(-50, 0), (0, 0)]), LineString([(100, 0), (150, 0)])]
    walk, _ = walks([ring, *spurs], [Point(-50, 2)], [Point(150, 2)])
    assert walk.tolist() == [2 + 50 + 100 + 50 + 2]


def test_service_on_the_road_and_at_a_junction():
    v = LineString([(50, 0), (50, 50)])
    walk, which = walks([H, v], [Point(0, 10), Point(50, 60)], [Point(50, 0), Point(70, 0)])
    # the service at the junction (connector 0, offset at a segment end) is nearest to both
    assert walk.tolist() == [10 + 50, 10 + 50] and which.tolist() == [0, 0]


def test_unreachable_beyond_snap_distance_or_in_another_component():
    far = LineString([(1000, 0), (1100, 0)])
    walk, which = walks([H, far], [Point(50, 200), Point(1050, 5), Point(50, 5)],
                        [Point(20, 5)], max_m=100)
    assert walk[0] == np.inf and walk[1] == np.inf and walk[2] == 5 + 30 + 5
    assert which.tolist() == [-1, -1, 0]


def test_no_roads_at_all():
    walk, which = walks([], [Point(0, 0)], [Point(1, 1)])
    assert walk.tolist() == [np.inf] and which.tolist() == [-1]


def test_within_pairs_lists_every_pair_up_to_the_radius():
    services = [Point(10, 5), Point(95, 40)]
    net = build_network([H])
    graph = anchored_graph(net, snap_points(net, services, max_m=100))
    ends = origin_ends(graph, snap_points(net, [Point(50, 1), Point(80, 1)], max_m=100))
    rows, cols, walk = within_pairs(graph, ends, [0, 1], radius=76)
    assert sorted(zip(rows.tolist(), cols.tolist(), walk.tolist(), strict=True)) == [
        (0, 0, 46.0), (0, 1, 76.0), (1, 1, 56.0)]


# --- against an independent reference -------------------------------------------------------

def reference_walks(roads, buildings, services, max_m):
    """Every snap point a node of a networkx graph (segments split one by one)."""
    parts = list(shapely.get_parts(shapely.node(shapely.MultiLineString(roads))))
    pts = list(buildings) + list(services)
    snaps = {}
    for i, p in enumerate(pts):
        d = [seg.distance(p) for seg in parts]
        j = int(np.argmin(d))
        if d[j] <= max_m:
            snaps[i] = (j, parts[j].project(p), d[j])
    g = nx.Graph()

    def key(xy):
        return (round(xy[0], 6), round(xy[1], 6))

    for j, seg in enumerate(parts):
        cuts = sorted({0.0, seg.length} | {s[1] for s in snaps.values() if s[0] == j})
        for a, b in itertools.pairwise(cuts):
            u = key(seg.interpolate(a).coords[0])
            v = key(seg.interpolate(b).coords[0])
            w = b - a
            if u != v and (not g.has_edge(u, v) or g[u][v]["weight"] > w):
                g.add_edge(u, v, weight=w)
    for i, (j, off, d) in snaps.items():
        g.add_edge(("pt", i), key(parts[j].interpolate(off).coords[0]), weight=d)
    sources = [("pt", len(buildings) + s) for s in range(len(services))
               if len(buildings) + s in snaps]
    dist = nx.multi_source_dijkstra_path_length(g, sources) if sources else {}
    return np.array([dist.get(("pt", i), np.inf) for i in range(len(buildings))])


@pytest.mark.parametrize("seed", range(6))
def test_random_networks_match_the_reference(seed):
    rng = np.random.default_rng(seed)
    roads = [LineString(rng.uniform(0, 500, (rng.integers(2, 5), 2))) for _ in range(12)]
    buildings = shapely.points(rng.uniform(0, 500, (40, 2)))
    services = shapely.points(rng.uniform(0, 500, (5, 2)))
    walk, which = walks(roads, buildings, services, max_m=60)
    want = reference_walks(roads, buildings, services, 60)
    assert np.isfinite(want).sum() > 5  # the instance is not trivial
    np.testing.assert_allclose(walk, want, atol=0.05)
    # the service named is one at that walk
    for i in np.flatnonzero(np.isfinite(walk)):
        alone, _ = walks(roads, buildings[i:i + 1], services[which[i]:which[i] + 1], max_m=60)
        assert alone[0] == pytest.approx(walk[i], abs=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_within_pairs_agree_with_one_walk_per_anchor(seed):
    rng = np.random.default_rng(100 + seed)
    roads = [LineString(rng.uniform(0, 500, (rng.integers(2, 5), 2))) for _ in range(15)]
    net = build_network(roads)
    graph = anchored_graph(net, snap_points(net, shapely.points(rng.uniform(0, 500, (8, 2))),
                                            max_m=80))
    ends = origin_ends(graph, snap_points(net, shapely.points(rng.uniform(0, 500, (60, 2))),
                                          max_m=80))
    rows, cols, walk = within_pairs(graph, ends, np.arange(8), radius=250)
    got = {(int(r), int(c)): w for r, c, w in zip(rows, cols, walk, strict=True)}
    want = {}
    for j in range(8):
        alone, _ = nearest_anchor(graph, ends, [j])
        want |= {(j, int(i)): alone[i] for i in np.flatnonzero(alone <= 250)}
    assert len(want) > 20 and got.keys() == want.keys()
    assert all(got[k] == pytest.approx(want[k], abs=1e-9) for k in want)
