"""I/O engines and spatial indexes, measured side by side.

Reports, for a layer of N polygons: write/read seconds with pyogrio and fiona
(GeoJSON and GeoPackage) and their ratio; and for the spatial index, shapely's
STRtree (what geopandas' ``sindex`` is) against rtree, both for a bulk
build + query and for an index that grows as features are added one by one.

Run: ``python benchmarks/bench_io.py [--n 100000] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import rtree
import shapely


def _time(fn, repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def make_layer(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 20000, n) + 600000, rng.uniform(0, 20000, n) + 4740000
    return gpd.GeoDataFrame({"building_id": [f"b{i}" for i in range(n)],
                             "name": [f"楼{i}" for i in range(n)],
                             "households": rng.integers(0, 80, n)},
                            geometry=shapely.box(x, y, x + 40, y + 12), crs="EPSG:4552")


def bench_io(gdf: gpd.GeoDataFrame, repeat: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for driver, suffix in (("GeoJSON", ".geojson"), ("GPKG", ".gpkg")):
            for engine in ("pyogrio", "fiona"):
                path = Path(tmp) / f"{engine}{suffix}"
                w = _time(lambda p=path, e=engine, d=driver: gdf.to_file(p, driver=d, engine=e),
                          repeat)
                r = _time(lambda p=path, e=engine: gpd.read_file(p, engine=e), repeat)
                rows.append({"format": driver, "engine": engine, "write_s": w, "read_s": r})
    return rows


def bench_index(gdf: gpd.GeoDataFrame, queries: int, repeat: int) -> list[dict]:
    geoms = gdf.geometry.values
    bounds = shapely.bounds(np.asarray(geoms))
    probe = np.asarray(geoms[:queries])

    def strtree_bulk():
        shapely.STRtree(np.asarray(geoms)).query(probe, predicate="intersects")

    def rtree_bulk():
        idx = rtree.index.Index(((i, tuple(b), None) for i, b in enumerate(bounds)))
        for b in bounds[:queries]:
            list(idx.intersection(tuple(b)))

    # Growing index: insert features one at a time, querying before each insert
    # (placing features without overlap). STRtree is immutable: rebuild each time.
    grow = min(2000, len(bounds))

    def rtree_grow():
        idx = rtree.index.Index()
        for i in range(grow):
            list(idx.intersection(tuple(bounds[i])))
            idx.insert(i, tuple(bounds[i]))

    def strtree_grow():
        arr = np.asarray(geoms[:grow])
        for i in range(grow):
            shapely.STRtree(arr[:i]).query(arr[i])

    return [
        {"task": f"bulk build + {queries} queries", "strtree_s": _time(strtree_bulk, repeat),
         "rtree_s": _time(rtree_bulk, repeat)},
        {"task": f"grow to {grow} features, query before each insert",
         "strtree_s": _time(strtree_grow, repeat), "rtree_s": _time(rtree_grow, repeat)},
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    gdf = make_layer(args.n)
    io_rows = bench_io(gdf, args.repeat)
    idx_rows = bench_index(gdf, min(args.n, 100_000), args.repeat)
    print(f"N = {args.n:,} polygons; medians of {args.repeat}\n")
    print("| format | engine | write s | read s | write / pyogrio | read / pyogrio |")
    print("|---|---|---|---|---|---|")
    base = {r["format"]: r for r in io_rows if r["engine"] == "pyogrio"}
    for r in io_rows:
        b = base[r["format"]]
        print(f"| {r['format']} | {r['engine']} | {r['write_s']:.2f} | {r['read_s']:.2f} | "
              f"{r['write_s'] / b['write_s']:.1f}x | {r['read_s'] / b['read_s']:.1f}x |")
    print("\n| index task | STRtree s | rtree s | rtree / STRtree |")
    print("|---|---|---|---|")
    for r in idx_rows:
        print(f"| {r['task']} | {r['strtree_s']:.3f} | {r['rtree_s']:.3f} | "
              f"{r['rtree_s'] / r['strtree_s']:.2f}x |")
    if args.json:
        args.json.write_text(json.dumps({"n": args.n, "io": io_rows, "index": idx_rows}, indent=2))


if __name__ == "__main__":
    main()
