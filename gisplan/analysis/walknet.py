"""A walking network: roads noded into a graph, points snapped onto it, shortest walks.

A walk from a point (a building's centroid) to an *anchor* (a service's or a
candidate site's centroid) goes straight to the nearest point of the nearest
road segment, along the network, then straight from the network to the
anchor. Nothing leaves the network in between, also when both points lie on
the same segment.

How: the roads are noded where they cross or touch (:func:`build_network`,
``shapely.union_all`` with snap rounding to :data:`NODE_GRID_M`), and every
noded segment becomes an edge of its geometric length. Each anchor's snap
point splits its segment (all snap points of a segment, in order of their
offset along it), and the anchor hangs off its snap point by an edge as long
as its connector (:func:`anchored_graph`). A point to walk from is not added
to the graph: it lies inside one piece of a split segment, so its walk leaves
by one of that piece's two ends (:func:`origin_ends`), and one multi-source
Dijkstra from the anchors (``scipy.sparse.csgraph.dijkstra`` with
``min_only=True``) gives every point its nearest anchor at once
(:func:`nearest_anchor`).

Examples
--------
A road of 100 m along y = 0 and a branch of 50 m north from x = 40; a
service 5 m south of x = 90, a building 10 m north of x = 10 (as in
``tests/analysis/test_walknet.py``): 10 + 80 + 5 = 95 m.

>>> import shapely
>>> net = build_network([shapely.LineString([(0, 0), (100, 0)]),
...                      shapely.LineString([(40, 0), (40, 50)])])
>>> len(net.length), net.n_nodes
(3, 4)
>>> service = snap_points(net, [shapely.Point(90, -5)], max_m=50)
>>> graph = anchored_graph(net, service)
>>> ends = origin_ends(graph, snap_points(net, [shapely.Point(10, 10)], max_m=50))
>>> walk, anchor = nearest_anchor(graph, ends, [0])
>>> float(walk[0]), int(anchor[0])
(95.0, 0)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

__all__ = ["NODE_GRID_M", "Ends", "Graph", "Network", "Snapped", "anchored_graph",
           "build_network", "nearest_anchor", "origin_ends", "snap_points", "within_pairs"]

#: Roads are noded on this grid (metres): ends closer than this to a road join it.
NODE_GRID_M = 0.01
#: Snapping first looks for segments this near (metres), then twice as far, ... (``_nearest``).
NEAR_M = 40.0
#: Dijkstra rows kept in memory at once by :func:`within_pairs` (distances, float64).
BATCH_CELLS = 20_000_000


@dataclass(frozen=True)
class Network:
    """Noded road segments: ``segments[i]`` runs from node ``start[i]`` to ``end[i]``."""

    segments: NDArray[np.object_]
    start: NDArray[np.intp]
    end: NDArray[np.intp]
    length: NDArray[np.float64]
    n_nodes: int
    tree: shapely.STRtree


@dataclass(frozen=True)
class Snapped:
    """Points on the network: ``edge`` (-1 where none is within reach), ``offset`` along
    it from its start, and the straight ``connector_m`` to it (NaN where none)."""

    edge: NDArray[np.intp]
    offset: NDArray[np.float64]
    connector_m: NDArray[np.float64]

    @property
    def ok(self) -> NDArray[np.bool_]:
        return self.edge >= 0


@dataclass(frozen=True)
class Graph:
    """The network split at the anchors' snap points, with one leaf node per anchor.

    ``matrix`` is the undirected graph (upper triangle) for ``scipy.sparse.csgraph``;
    ``anchor_node[i]`` is anchor ``i``'s node (-1: not snapped) and ``anchor_of[v]``
    the anchor of node ``v`` (-1: none). ``positions`` (sorted), ``group_node``,
    ``group_edge`` and ``group_offset`` describe the split points along the segments,
    laid end to end at ``base`` (one metre apart), for :func:`origin_ends`.
    """

    matrix: csr_array
    anchor_node: NDArray[np.intp]
    anchor_of: NDArray[np.intp]
    base: NDArray[np.float64]
    length: NDArray[np.float64]
    positions: NDArray[np.float64]
    group_node: NDArray[np.intp]
    group_edge: NDArray[np.intp]
    group_offset: NDArray[np.float64]


@dataclass(frozen=True)
class Ends:
    """Where walks from points join the graph: node ``a`` at ``da`` metres, node ``b`` at
    ``db`` (connector included); ``a`` is -1 and the distances inf where not snapped."""

    a: NDArray[np.intp]
    da: NDArray[np.float64]
    b: NDArray[np.intp]
    db: NDArray[np.float64]


def build_network(lines: Sequence[shapely.Geometry] | NDArray[np.object_], *,
                  grid_size: float = NODE_GRID_M) -> Network:
    """Node ``lines`` (LineStrings, MultiLineStrings) where they cross or touch.

    Overlapping roads are merged; coordinates are snap-rounded to ``grid_size``
    metres, so a road ending within that of another joins it.
    """
    geoms = np.asarray(lines, dtype=object).ravel()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    noded = np.empty(0, dtype=object)
    if len(geoms):
        noded = shapely.get_parts(shapely.union_all(shapely.get_parts(geoms),
                                                    grid_size=grid_size))
        noded = noded[shapely.get_type_id(noded) == 1]  # LineStrings; drop stray points
        noded = noded[shapely.length(noded) > 0]
    n = len(noded)
    if n == 0:
        empty = np.empty(0, dtype=np.intp)
        return Network(noded, empty, empty, np.empty(0), 0, shapely.STRtree(noded))
    first = shapely.get_coordinates(shapely.get_point(noded, 0))
    last = shapely.get_coordinates(shapely.get_point(noded, -1))
    _, node = np.unique(np.concatenate([first, last]), axis=0, return_inverse=True)
    node = node.ravel().astype(np.intp)
    return Network(noded, node[:n], node[n:], shapely.length(noded), int(node.max()) + 1,
                   shapely.STRtree(noded))


def snap_points(network: Network, points: Sequence[shapely.Geometry] | NDArray[np.object_],
                *, max_m: float) -> Snapped:
    """The nearest point of the nearest segment within ``max_m`` metres of each point."""
    pts = np.asarray(points, dtype=object).ravel()
    edge = np.full(len(pts), -1, dtype=np.intp)
    offset = np.full(len(pts), np.nan)
    connector = np.full(len(pts), np.nan)
    if len(pts) and len(network.segments):
        which, seg, dist = _nearest(network, pts, max_m)
        edge[which] = seg
        connector[which] = dist
        offset[which] = np.clip(shapely.line_locate_point(network.segments[seg], pts[which]),
                                0.0, network.length[seg])
    return Snapped(edge, offset, connector)


def _nearest(network: Network, pts: NDArray[np.object_], max_m: float
             ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """(point, segment, distance) of each point's nearest segment within ``max_m``.

    In rounds of doubling radius from :data:`NEAR_M` up to ``max_m``: every segment within
    the radius of a point still without one (an STRtree ``dwithin`` query) holds its nearest
    when there is any, and the nearest is the one at the least distance (ties: the first
    segment). On street networks this is several times faster than
    ``STRtree.query_nearest`` (``benchmarks/bench_access.py``).
    """
    parts: list[tuple[NDArray, NDArray, NDArray]] = []
    rest = np.arange(len(pts))
    radius = min(NEAR_M, max_m)
    while len(rest):
        i, j = network.tree.query(pts[rest], predicate="dwithin", distance=radius)
        d = shapely.distance(pts[rest[i]], network.segments[j])
        order = np.lexsort((j, d, i))
        _, first = np.unique(i[order], return_index=True)
        found = i[order][first]
        parts.append((rest[found], j[order][first], d[order][first]))
        rest = np.delete(rest, found)
        if radius >= max_m:
            break
        radius = min(2 * radius, max_m)
    which, seg, dist = (np.concatenate(p) for p in zip(*parts, strict=True))
    return which.astype(np.intp), seg.astype(np.intp), dist


def anchored_graph(network: Network, anchors: Snapped) -> Graph:
    """The graph of ``network`` split at the snap points of ``anchors``, each anchor a leaf."""
    n_edges = len(network.length)
    base = np.concatenate([[0.0], np.cumsum(network.length + 1.0)[:-1]])[:n_edges]
    ok = np.flatnonzero(anchors.ok)
    on = anchors.edge[ok]
    # Split points: every segment's two ends, then the anchors' snap points.
    offset = np.concatenate([np.zeros(n_edges), network.length, anchors.offset[ok]])
    edge = np.concatenate([np.arange(n_edges), np.arange(n_edges), on])
    node = np.concatenate([network.start, network.end, np.full(len(ok), -1, dtype=np.intp)])
    positions, first, group = np.unique(base[edge] + offset, return_index=True,
                                        return_inverse=True)
    group_node = np.full(len(positions), -1, dtype=np.intp)
    np.maximum.at(group_node, group, node)  # a segment's end where a snap point falls on it
    new = group_node < 0
    group_node[new] = network.n_nodes + np.arange(int(new.sum()))
    n_split = network.n_nodes + int(new.sum())
    group_edge, group_offset = edge[first], offset[first]
    same = group_edge[1:] == group_edge[:-1]  # consecutive split points of one segment
    anchor_node = np.full(len(anchors.edge), -1, dtype=np.intp)
    anchor_node[ok] = n_split + np.arange(len(ok))
    n_nodes = n_split + len(ok)
    u = np.concatenate([group_node[:-1][same], group_node[group[2 * n_edges:]]])
    v = np.concatenate([group_node[1:][same], anchor_node[ok]])
    w = np.concatenate([np.diff(group_offset)[same], anchors.connector_m[ok]])
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    keep = lo != hi  # a closed ring with no snap point on it
    lo, hi, w = lo[keep], hi[keep], w[keep]
    order = np.lexsort((w, hi, lo))  # parallel segments: the shortest one counts
    lo, hi, w = lo[order], hi[order], w[order]
    first_pair = np.ones(len(lo), dtype=bool)
    first_pair[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    matrix = csr_array((w[first_pair], (lo[first_pair], hi[first_pair])),
                       shape=(n_nodes, n_nodes))
    anchor_of = np.full(n_nodes, -1, dtype=np.intp)
    anchor_of[anchor_node[ok]] = ok
    return Graph(matrix, anchor_node, anchor_of, base, network.length, positions, group_node,
                 group_edge, group_offset)


def origin_ends(graph: Graph, origins: Snapped) -> Ends:
    """The two nodes between which each snapped origin lies on its split segment."""
    n = len(origins.edge)
    a = np.full(n, -1, dtype=np.intp)
    b = np.full(n, -1, dtype=np.intp)
    da = np.full(n, np.inf)
    db = np.full(n, np.inf)
    ok = np.flatnonzero(origins.ok)
    if len(ok):
        e, off = origins.edge[ok], origins.offset[ok]
        g = np.searchsorted(graph.positions, graph.base[e] + off, side="right") - 1
        nxt = np.minimum(g + 1, len(graph.positions) - 1)
        inside = (nxt != g) & (graph.group_edge[nxt] == e)
        h = np.where(inside, nxt, g)
        near = np.maximum(off - graph.group_offset[g], 0.0)
        far = np.where(inside, np.maximum(graph.group_offset[h] - off, 0.0), near)
        a[ok], b[ok] = graph.group_node[g], graph.group_node[h]
        da[ok] = origins.connector_m[ok] + near
        db[ok] = origins.connector_m[ok] + far
    return Ends(a, da, b, db)


def _walk(dist: NDArray[np.float64], ends: Ends) -> tuple[NDArray, NDArray]:
    """Walks over either end given graph distances ``dist`` (last axis: nodes)."""
    ok = ends.a >= 0
    a, b = np.where(ok, ends.a, 0), np.where(ok, ends.b, 0)
    via_a = np.where(ok, dist[..., a] + ends.da, np.inf)
    via_b = np.where(ok, dist[..., b] + ends.db, np.inf)
    return via_a, via_b


def nearest_anchor(graph: Graph, ends: Ends, anchors: Sequence[int] | NDArray[np.intp], *,
                   limit: float = np.inf) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Each origin's walk to its nearest anchor of ``anchors`` (indices), and which one.

    One multi-source Dijkstra; walks beyond ``limit`` (or with no path) are inf,
    with anchor -1.
    """
    nodes = graph.anchor_node[np.asarray(anchors, dtype=np.intp)]
    nodes = np.unique(nodes[nodes >= 0])
    n = len(ends.a)
    if len(nodes) == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.intp)
    dist, _, source = dijkstra(graph.matrix, directed=False, indices=nodes, min_only=True,
                               return_predecessors=True, limit=limit)
    via_a, via_b = _walk(dist, ends)
    walk = np.minimum(via_a, via_b)
    ok = ends.a >= 0
    src = np.where(via_a <= via_b, source[np.where(ok, ends.a, 0)],
                   source[np.where(ok, ends.b, 0)])
    reached = np.isfinite(walk) & (walk <= limit)
    anchor = np.where(reached, graph.anchor_of[np.where(reached, src, 0)], -1)
    return np.where(reached, walk, np.inf), anchor


def _batches(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


class _ByNode:
    """The origins whose walks leave by each node (one end of them), for range lookups."""

    def __init__(self, nodes: NDArray[np.intp], extra: NDArray[np.float64], n_nodes: int):
        origins = np.flatnonzero(nodes >= 0)
        order = origins[np.argsort(nodes[origins], kind="stable")]
        self.origin, self.extra = order, extra[order]
        self.start = np.searchsorted(nodes[order], np.arange(n_nodes))
        self.count = np.searchsorted(nodes[order], np.arange(n_nodes), side="right") - self.start

    def pairs(self, rows: NDArray[np.intp], nodes: NDArray[np.intp], dist: NDArray[np.float64]
              ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
        """(row, origin, walk) for every origin leaving by ``nodes`` (reached at ``dist``)."""
        n = self.count[nodes]
        at = np.repeat(self.start[nodes] - np.cumsum(n) + n, n) + np.arange(int(n.sum()))
        return np.repeat(rows, n), self.origin[at], np.repeat(dist, n) + self.extra[at]


def within_pairs(graph: Graph, ends: Ends, anchors: Sequence[int] | NDArray[np.intp], *,
                 radius: float) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Every (anchor, origin) pair at most ``radius`` metres apart on foot, with the walk.

    One Dijkstra per anchor, cut off at ``radius``, in batches that keep about
    :data:`BATCH_CELLS` distances in memory; only the nodes reached are turned into
    the origins that leave by them.
    """
    anchors = np.asarray(anchors, dtype=np.intp)
    n_nodes = graph.matrix.shape[0]
    by_end = [_ByNode(ends.a, ends.da, n_nodes), _ByNode(ends.b, ends.db, n_nodes)]
    rows, cols, walks = [], [], []
    for part in _batches(len(anchors), max(1, BATCH_CELLS // max(n_nodes, 1))):
        idx = anchors[part]
        live = idx[graph.anchor_node[idx] >= 0]
        if not len(live):
            continue
        dist = np.atleast_2d(dijkstra(graph.matrix, directed=False,
                                      indices=graph.anchor_node[live], limit=radius))
        r, v = np.nonzero(np.isfinite(dist))
        found = [end.pairs(r, v, dist[r, v]) for end in by_end]
        r, o, w = (np.concatenate(x) for x in zip(*found, strict=True))
        near = w <= radius
        r, o, w = r[near], o[near], w[near]
        order = np.lexsort((w, o, r))  # an origin reached by both ends: the shorter walk
        first = np.ones(len(order), dtype=bool)
        first[1:] = (r[order][1:] != r[order][:-1]) | (o[order][1:] != o[order][:-1])
        keep = order[first]
        rows.append(live[r[keep]])
        cols.append(o[keep])
        walks.append(w[keep])
    if not rows:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), np.empty(0)
    return np.concatenate(rows), np.concatenate(cols).astype(np.intp), np.concatenate(walks)
