"""Contiguous zones at national scale: 40,000 communities (the 2020 programme's ~39,000).

Generates communities on a jittered grid (a third of neighbours touch, the rest are 10-90 m
apart) cut by trunk roads, runs :func:`~gisplan.analysis.zones.detect_zones`, and times it
against the
primitives it is built from on the same data: the STRtree ``dwithin`` pair query, scipy's
connected components, and geopandas' ``dissolve(method="disjoint_subset")``.

Run: ``python benchmarks/bench_zones.py [--communities 40000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from gisplan.analysis.zones import detect_zones
from gisplan.inputs.validation import load_layers

CRS = "EPSG:4552"


def make_communities(k: int, seed: int = 0) -> dict[str, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(k)))
    i, j = np.divmod(np.arange(k), side)
    gap = rng.choice([0.0, 10.0, 30.0, 90.0], size=k, p=[0.35, 0.25, 0.25, 0.15])
    size = 250.0
    x, y = 400_000 + j * (size + 40), 4_600_000 + i * (size + 40)
    boxes = shapely.box(x, y, x + size + 40 - gap, y + size + 40 - gap * rng.random(k))
    extent = side * (size + 40)
    roads = [shapely.LineString([(400_000 + t, 4_600_000), (400_000 + t, 4_600_000 + extent)])
             for t in np.arange(10, extent, 2900.0) + size + 20]
    empty = {"buildings": ["building_id", "floors", "households", "units", "roof"],
             "pipes": ["pipe_id", "network", "diameter_mm", "action"]}
    layers = {
        "communities": gpd.GeoDataFrame({
            "community_id": [f"C{n:06d}" for n in range(k)], "name": [f"社区{n}" for n in range(k)],
            "street": [f"街道{n // 20}" for n in range(k)], "renovation_type": "basic",
        }, geometry=boxes, crs=CRS),
        "barriers": gpd.GeoDataFrame({"barrier_id": [f"R{n}" for n in range(len(roads))],
                                      "kind": "trunk_road"}, geometry=roads, crs=CRS),
    }
    for name, cols in empty.items():
        layers[name] = gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=CRS)
    return layers


def timed(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--communities", type=int, default=40_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = []
        for name, gdf in make_communities(args.communities).items():
            gdf.to_parquet(folder / f"{name}.parquet")
            spec.append(f'{name} = "{name}.parquet"')
        (folder / "plan.toml").write_text(
            '[plan]\nname = "zones benchmark"\ncrs = "EPSG:4552"\n[layers]\n' + "\n".join(spec)
            + "\n[zones]\nmax_gap_m = 50\n", encoding="utf-8")
        layers = load_layers(folder)
    com = layers.communities
    t_zones, zones = timed(lambda: detect_zones(layers), args.repeat)

    def pairs():
        left, right = com.sindex.query(com.geometry, predicate="dwithin", distance=50.0)
        return left[left < right], right[left < right]

    t_pairs, (a, b) = timed(pairs, args.repeat)
    graph = coo_array((np.ones(len(a)), (a, b)), shape=(len(com), len(com)))
    t_comp, (_, label) = timed(lambda: connected_components(graph, directed=False), args.repeat)
    t_diss, _ = timed(lambda: com[["geometry"]].assign(z=label).dissolve(
        by="z", method="disjoint_subset"), args.repeat)
    prim = t_pairs + t_comp + t_diss
    print(f"{args.communities:,} communities -> {len(zones.outlines):,} zones, "
          f"{len(zones.links):,} pairs within 50 m, "
          f"{int((~zones.links['joined']).sum()):,} split by a barrier\n")
    print("| step | seconds |\n|---|---:|")
    print(f"| detect_zones (pairs, barriers, components, ids, outlines, links, shared pipes) | "
          f"{t_zones:.2f} |")
    print(f"| primitive: STRtree dwithin pairs | {t_pairs:.2f} |")
    print(f"| primitive: scipy connected_components | {t_comp:.3f} |")
    print(f"| primitive: dissolve disjoint_subset | {t_diss:.2f} |")
    print(f"| ratio detect_zones / primitives | {t_zones / prim:.2f}x |")


if __name__ == "__main__":
    main()
