"""Benchmark: walking access (``compute_access``) against the bare shortest-path primitive.

A synthetic city (:func:`gisplan.inputs.synthetic.make_city`, N buildings) gets a
walkable network: jittered streets on a grid about 240 m apart, drawn as
polylines whose crossings share no vertex (so they must be noded), plus N/100
dead-end lanes; about N/10 noded segments (10^4 at N = 10^5). Every kind of
``service_standards.csv`` gets max(2, N/2000) services at random, and N/500
candidate sites are scattered. The plan is written as GeoParquet and loaded
once (``load``, reported, not part of the ratios).

Timed in CPU seconds of this process (``time.process_time``; everything timed runs on one
thread), medians of ``--repeat`` runs:

* ``access``: :func:`gisplan.analysis.access.compute_access`, every kind, all tables;
* its parts: ``node`` (``shapely.union_all`` of the roads), ``snap`` (STRtree nearest +
  ``line_locate_point`` for buildings and services), ``graph`` (split at the services,
  sparse matrix, buildings' ends), ``dijkstra`` -- the bare primitive: one
  ``scipy.sparse.csgraph.dijkstra(min_only=True)`` per kind from that kind's services on the
  very graph ``compute_access`` uses, nothing else;
* the alternatives not taken: noding by a plain ``union_all`` (no snap rounding) and
  snapping by ``STRtree.query_nearest``;
* ``networkx``: ``multi_source_dijkstra_path_length`` per kind on the same graph (the
  conversion to a networkx graph reported apart), for the choice of library;
* ``csv``: access.csv and coverage.csv written (``write_csv``);
* ``sites``: :func:`gisplan.analysis.sites.choose_sites` for kindergartens, 10 sites.

Usage::

    python benchmarks/bench_access.py --sizes 10000 30000 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from gisplan.analysis.access import compute_access
from gisplan.analysis.sites import choose_sites
from gisplan.analysis.walknet import anchored_graph, build_network, origin_ends, snap_points
from gisplan.inputs.synthetic import CRS, make_city
from gisplan.inputs.validation import load_layers
from gisplan.outputs.plan_folder import write_plan_folder
from gisplan.outputs.tables import write_csv
from gisplan.plan.access import load_service_standards

SPACING = 240.0


def access_layers(city: dict, seed: int) -> dict[str, gpd.GeoDataFrame]:
    """Roads, services and sites over ``city``'s extent (vectorised)."""
    rng = np.random.default_rng(seed)
    n = len(city["buildings"])
    x0, y0, x1, y1 = city["communities"].total_bounds
    x0, y0, x1, y1 = x0 - 50, y0 - 50, x1 + 50, y1 + 50
    xs = np.arange(x0, x1 + SPACING, SPACING)
    ys = np.arange(y0, y1 + SPACING, SPACING)
    step = SPACING / 4  # vertices between crossings, never at a crossing
    along_x = np.arange(x0 + step / 2, x1 + SPACING, step)
    along_y = np.arange(y0 + step / 2, y1 + SPACING, step)
    horiz = [np.column_stack([along_x, y + rng.uniform(-3, 3, len(along_x))]) for y in ys]
    vert = [np.column_stack([x + rng.uniform(-3, 3, len(along_y)), along_y]) for x in xs]
    k = max(1, n // 100)  # dead-end lanes off the streets
    lx, ly = rng.uniform(x0, x1, k), ys[rng.integers(0, len(ys), k)]
    length = rng.uniform(30, 110, k) * rng.choice([-1.0, 1.0], k)
    lanes = shapely.linestrings(np.stack([np.stack([lx, ly], 1), np.stack([lx, ly + length], 1)],
                                         axis=1))
    roads = np.concatenate([shapely.linestrings(np.stack(horiz)),
                            shapely.linestrings(np.stack(vert)), lanes])
    kinds = load_service_standards().index.to_numpy()
    per = max(2, n // 2000)
    m = per * len(kinds)
    services = gpd.GeoDataFrame({
        "service_id": [f"V{i:06d}" for i in range(m)], "kind": np.repeat(kinds, per)},
        geometry=shapely.points(rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)), crs=CRS)
    s = max(10, n // 500)
    sites = gpd.GeoDataFrame({"site_id": [f"T{i:05d}" for i in range(s)], "kinds": ""},
                             geometry=shapely.points(rng.uniform(x0, x1, s),
                                                     rng.uniform(y0, y1, s)), crs=CRS)
    return {"roads": gpd.GeoDataFrame({"road_id": [f"R{i:06d}" for i in range(len(roads))],
                                       "walkable": rng.random(len(roads)) > 0.02},
                                      geometry=roads, crs=CRS),
            "services": services, "sites": sites}


def timed(fn, repeat: int):
    """Median CPU seconds of this process over ``repeat`` runs (``time.process_time``: the
    machine is shared, and wall time would count other programs' turns), and the result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.process_time()
        out = fn()
        times.append(time.process_time() - t0)
    return statistics.median(times), out


def run(n: int, repeat: int, seed: int, networkx: bool) -> dict:
    city = make_city(n, seed=seed)
    city.update(access_layers(city, seed))
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_plan_folder(city, Path(tmp) / "plan")
        with (folder / "plan.toml").open("a", encoding="utf-8") as fh:
            fh.write("\n[access]\nsnap_max_m = 200\n")
        t_load, layers = timed(lambda: load_layers(folder), 1)
        t_access, access = timed(lambda: compute_access(layers), repeat)
        roads = layers.roads[layers.roads["walkable"].fillna(True).to_numpy(dtype=bool)]
        t_node, net = timed(lambda: build_network(np.asarray(roads.geometry.array)), repeat)
        b_pts = shapely.centroid(np.asarray(layers.buildings.geometry.array))
        s_pts = shapely.centroid(np.asarray(layers.services.geometry.array))
        t_snap, (b_snap, s_snap) = timed(lambda: (snap_points(net, b_pts, max_m=200),
                                                  snap_points(net, s_pts, max_m=200)), repeat)

        def graph():
            g = anchored_graph(net, s_snap)
            return g, origin_ends(g, b_snap)

        t_graph, (g, _) = timed(graph, repeat)
        # The alternatives not taken: plain noding (no snap rounding), GEOS nearest query.
        geoms = np.asarray(roads.geometry.array)
        t_plain, _ = timed(lambda: shapely.union_all(shapely.get_parts(geoms)), repeat)
        t_nearest, _ = timed(lambda: net.tree.query_nearest(b_pts, max_distance=200,
                                                            all_matches=False), repeat)
        from scipy.sparse.csgraph import dijkstra

        kind = layers.services["kind"].to_numpy(dtype=object)
        sources = [g.anchor_node[np.flatnonzero(kind == k)] for k in access.kinds["kind"]]
        sources = [np.unique(s[s >= 0]) for s in sources]

        def bare():
            for nodes in sources:
                dijkstra(g.matrix, directed=False, indices=nodes, min_only=True)

        t_dijkstra, _ = timed(bare, repeat)
        row = {"n": n, "segments": len(net.length), "nodes": g.matrix.shape[0],
               "services": len(layers.services), "kinds": len(sources), "load": t_load,
               "access": t_access, "node": t_node, "snap": t_snap, "graph": t_graph,
               "dijkstra": t_dijkstra, "node_plain": t_plain, "query_nearest": t_nearest}
        if networkx:
            import networkx as nx

            t_conv, G = timed(lambda: nx.from_scipy_sparse_array(g.matrix), 1)

            def nx_all():
                for nodes in sources:
                    nx.multi_source_dijkstra_path_length(G, set(nodes.tolist()))

            row["nx_convert"] = t_conv
            row["networkx"] = timed(nx_all, 1)[0]
        out = Path(tmp) / "out"
        out.mkdir()
        row["csv"] = timed(lambda: (write_csv(access.table, out / "access.csv"),
                                    write_csv(access.coverage, out / "coverage.csv")), 1)[0]
        row["sites"] = timed(lambda: choose_sites(layers, kind="kindergarten", count=10), 1)[0]
        row["rows"] = len(access.table)
    return row


def report(rows: list[dict]) -> str:
    lines = ["| N buildings | segments | services | load s | access s | node | snap | graph | "
             "dijkstra (bare) s | access / dijkstra | networkx s | nx / dijkstra | csv s | "
             "sites s |", "|" + "---:|" * 14]
    for r in rows:
        nxs = r.get("networkx")
        lines.append(
            f"| {r['n']:,} | {r['segments']:,} | {r['services']:,} | {r['load']:.2f} | "
            f"{r['access']:.2f} | {r['node']:.2f} | {r['snap']:.2f} | {r['graph']:.2f} | "
            f"{r['dijkstra']:.3f} | {r['access'] / r['dijkstra']:.1f} | "
            + (f"{nxs:.2f} | {nxs / r['dijkstra']:.0f} | " if nxs else "– | – | ")
            + f"{r['csv']:.2f} | {r['sites']:.2f} |")
    lines += ["", "| N buildings | node (snap rounding) s | plain union_all s | snap s | "
              "STRtree.query_nearest (buildings only) s |", "|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['n']:,} | {r['node']:.2f} | {r['node_plain']:.2f} | {r['snap']:.2f} | "
              f"{r['query_nearest']:.2f} |" for r in rows]
    if len(rows) > 1:
        n = np.log([r["n"] for r in rows])
        for key in ("access", "dijkstra"):
            slope = np.polyfit(n, np.log([r[key] for r in rows]), 1)[0]
            lines.append(f"\ngrowth of {key} with N: time ~ N^{slope:.2f}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-networkx", action="store_true")
    ap.add_argument("--json", type=Path, help="write the measurements here too")
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        rows.append(run(n, args.repeat, args.seed, not args.no_networkx))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(report(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
