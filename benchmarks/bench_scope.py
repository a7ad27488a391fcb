"""Benchmark: GeoParquet plan folder -> validated layers -> scope -> scope.csv.

For each size N a synthetic city (:mod:`gisplan.inputs.synthetic`) is generated and
written as GeoParquet (not timed); then, in a fresh process per N, the stages

* ``load``  -- ``load_layers(folder)`` (read + validate),
* ``scope`` -- ``compute_scope(layers)``,
* ``csv``   -- the long table to ``scope.csv`` as ``gisplan.outputs.tables`` writes it,

and the bare primitives they are built from are timed on the same data
(median of ``--repeat`` runs). Each stage is compared with the sum of its
primitives, and the log-log slope of time against N is fitted across sizes.
Peak RSS is the kernel's high-water mark (VmHWM), reset before every step.

Usage::

    python benchmarks/bench_scope.py --sizes 10000 100000 1000000 --json out.json
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

#: Which primitives each stage is compared with (e2e: every primitive once).
STAGE_PRIMITIVES = {
    # validation splits the pipes at community borders once; scope and zones reuse it
    "load": ["read_parquet", "is_valid", "sindex_buildings", "pipe_split"],
    "zones": ["dwithin_pairs", "components", "dissolve"],
    "scope": ["groupby_sum"],
    "csv": ["to_csv"],
    "core": ["read_parquet", "is_valid", "sindex_buildings", "pipe_split", "dwithin_pairs",
             "components", "dissolve", "groupby_sum"],
    "e2e": ["read_parquet", "is_valid", "sindex_buildings", "dwithin_pairs", "components",
            "dissolve", "pipe_split", "groupby_sum", "to_csv"],
}
#: Stages that are sums of others (core: validate + zones + scope, the issue's target).
COMPOUND = {"core": ["load", "zones", "scope"], "e2e": ["load", "zones", "scope", "csv"]}
#: Optional output stages (``--outputs``), each compared with its own primitive.
OUTPUT_PRIMITIVES = {"exports": ["to_gpkg"], "map": ["folium_choropleth"]}
MAIN_LAYERS = ("communities", "buildings", "pipes")


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_mb() -> float:
    try:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
    except (OSError, AttributeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn, repeat: int) -> tuple[float, float, object]:
    """Median seconds, peak RSS (MB) and the last result of ``fn()`` run ``repeat`` times."""
    times, peaks, result = [], [], None
    for _ in range(repeat):
        result = None
        gc.collect()
        _reset_peak()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        peaks.append(_peak_mb())
    return median(times), max(peaks), result


def _bare_choropleth(com) -> str:
    """A plain folium map of the communities (the folium primitive of the map stage)."""
    import folium

    m = folium.Map(prefer_canvas=True)
    folium.GeoJson(com[["community_id", "geometry"]].to_crs(4326)).add_to(m)
    return m.get_root().render()


def _time_outputs(out: dict, layers, scope, zones, tmp: Path, repeat: int) -> None:
    """The output stages: all exports (GeoJSON, GPKG, SHP, DXF) and the web map."""
    from gisplan.outputs.exports.layer_files import write_exports
    from gisplan.outputs.webmap import build_map, write_map

    def exports():
        folder = tmp / "exports"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        return write_exports(layers, scope, zones, folder, formats=("gpkg",))

    def webmap():
        write_map(build_map(layers, scope, zones), tmp / "map")

    for name, fn in (("exports", exports), ("map", webmap)):
        s, p, _ = _timed(fn, repeat)
        out["stages"][name] = {"seconds": s, "all": [s], "peak_rss_mb": p}


def run_one(n: int, repeat: int, seed: int, outputs: bool = False) -> dict:
    """Everything for one size, in this process."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from gisplan.analysis.scope import compute_scope
    from gisplan.analysis.zones import detect_zones
    from gisplan.inputs.synthetic import make_city
    from gisplan.inputs.validation import load_layers
    from gisplan.outputs.plan_folder import write_plan_folder

    out: dict = {"n": n, "repeat": repeat, "stages": {}, "primitives": {}}
    with tempfile.TemporaryDirectory(prefix=f"bench{n}_") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        city = make_city(n, seed=seed)
        out["generate_s"] = time.perf_counter() - t0
        out["rows"] = {k: len(v) for k, v in city.items()}
        folder = write_plan_folder(city, tmp / "plan")
        out["parquet_mb"] = sum(p.stat().st_size for p in folder.glob("*.parquet")) / 2**20
        del city
        csv_path = tmp / "scope.csv"

        # Stages: each repeat runs load -> scope -> csv in sequence.
        times: dict[str, list[float]] = {"load": [], "zones": [], "scope": [], "csv": [],
                                         "e2e": []}
        peaks: dict[str, float] = {"load": 0.0, "zones": 0.0, "scope": 0.0, "csv": 0.0}
        state: dict = {}
        steps = {"load": lambda: load_layers(folder),
                 "zones": lambda: detect_zones(state["load"]),
                 "scope": lambda: compute_scope(state["load"],
                                                zones=state["zones"].membership),
                 "csv": lambda: state["scope"].table.to_csv(csv_path, index=False,
                                                            encoding="utf-8-sig")}
        for _ in range(repeat):
            state.clear()
            gc.collect()
            for name, fn in steps.items():
                _reset_peak()
                t0 = time.perf_counter()
                state[name] = fn()
                times[name].append(time.perf_counter() - t0)
                peaks[name] = max(peaks[name], _peak_mb())
            times["e2e"].append(sum(times[k][-1] for k in steps))
        layers, scope, zones = state.pop("load"), state.pop("scope"), state.pop("zones")
        out["zones"] = len(zones.outlines)
        if outputs:
            _time_outputs(out, layers, scope, zones, tmp, repeat)
        out["scope_rows"] = len(scope.table)
        out["scope_csv_mb"] = csv_path.stat().st_size / 2**20
        out["warnings"] = len(layers.report.warnings)
        table = scope.table
        for name, ts in times.items():
            out["stages"][name] = {"seconds": median(ts), "all": ts,
                                   "peak_rss_mb": peaks.get(name, max(peaks.values()))}
        wide_cols = 5 + int(layers.catalogue["derived_from"].isin(
            ["roof_area:flat", "roof_area:pitched", "facade_area", "units"]).sum())
        del layers, scope, zones
        gc.collect()

        # Bare primitives on the same files.
        prim = out["primitives"]

        def read3():
            return {k: gpd.read_parquet(folder / f"{k}.parquet") for k in MAIN_LAYERS}

        s, p, frames = _timed(read3, repeat)
        prim["read_parquet"] = {"seconds": s, "peak_rss_mb": p}
        com, bld, pip = (frames[k] for k in MAIN_LAYERS)
        com_g = np.asarray(com.geometry.array)
        pip = pip[pip["action"] != "keep"]
        pip_g = np.asarray(pip.geometry.array)

        s, p, _ = _timed(lambda: [shapely.is_valid(np.asarray(f.geometry.array)).all()
                                  for f in frames.values()], repeat)
        prim["is_valid"] = {"seconds": s, "peak_rss_mb": p}

        # A fresh GeoSeries each time so the tree build is timed too.
        s, p, (left, right) = _timed(lambda: gpd.GeoSeries(com.geometry.array).sindex.query(
            bld.geometry, predicate="intersects"), repeat)
        prim["sindex_buildings"] = {"seconds": s, "peak_rss_mb": p, "pairs": len(left)}

        def split():
            li, ri = gpd.GeoSeries(com.geometry.array).sindex.query(pip.geometry,
                                                                   predicate="intersects")
            return shapely.length(shapely.intersection(pip_g[li], com_g[ri]))

        s, p, _ = _timed(split, repeat)
        prim["pipe_split"] = {"seconds": s, "peak_rss_mb": p}
        def pairs():
            left, right = com.sindex.query(com.geometry, predicate="dwithin", distance=50.0)
            return left[left < right], right[left < right]

        s, p, (zl, zr) = _timed(pairs, repeat)
        prim["dwithin_pairs"] = {"seconds": s, "peak_rss_mb": p}
        graph = coo_array((np.ones(len(zl)), (zl, zr)), shape=(len(com), len(com)))
        s, p, (_, labels) = _timed(lambda: connected_components(graph, directed=False), repeat)
        prim["components"] = {"seconds": s, "peak_rss_mb": p}
        zoned = com[["geometry"]].assign(zone=labels)
        s, p, _ = _timed(lambda: zoned.dissolve(by="zone", method="disjoint_subset"), repeat)
        prim["dissolve"] = {"seconds": s, "peak_rss_mb": p}
        if outputs:
            def gpkg():
                for name, frame in frames.items():
                    frame.to_file(tmp / "bare.gpkg", layer=name, engine="pyogrio")

            s, p, _ = _timed(gpkg, repeat)
            prim["to_gpkg"] = {"seconds": s, "peak_rss_mb": p}
            s, p, _ = _timed(lambda: _bare_choropleth(com), repeat)
            prim["folium_choropleth"] = {"seconds": s, "peak_rss_mb": p}

        s, p, _ = _timed(lambda: gpd.overlay(pip[["pipe_id", "geometry"]],
                                             com[["community_id", "geometry"]],
                                             how="intersection"), repeat)
        prim["overlay_reference"] = {"seconds": s, "peak_rss_mb": p}

        first = np.unique(left, return_index=True)[1]
        key = np.full(len(bld), "outside", dtype=object)
        key[left[first]] = com["community_id"].to_numpy(dtype=object)[right[first]]
        values = pd.DataFrame(np.random.default_rng(0).random((len(bld), wide_cols)))
        s, p, _ = _timed(lambda: values.groupby(key).sum(), repeat)
        prim["groupby_sum"] = {"seconds": s, "peak_rss_mb": p, "columns": wide_cols}

        # The same long table with numeric columns as float64: bare to_csv.
        numeric = ["quantity", "quantity_derived", "quantity_declared", "derived_overridden",
                   "cost_cny", "unit_price_cny"]
        clean = table.astype({c: float for c in numeric})
        s, p, _ = _timed(lambda: clean.to_csv(tmp / "bare.csv", index=False), repeat)
        prim["to_csv"] = {"seconds": s, "peak_rss_mb": p}

    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def slope(ns: list[int], ts: list[float]) -> float | None:
    """Log-log slope of ``ts`` against ``ns`` (None with fewer than two sizes)."""
    if len(ns) < 2:
        return None
    return float(np.polyfit(np.log(ns), np.log(ts), 1)[0])


def with_ratios(result: dict) -> dict:
    """Compound stages and every stage's ratio to its primitives (recomputable from JSON)."""
    stages, prim = result["stages"], result["primitives"]
    for name, parts in COMPOUND.items():
        if name not in stages and all(p in stages for p in parts):
            stages[name] = {"seconds": sum(stages[p]["seconds"] for p in parts),
                            "peak_rss_mb": max(stages[p]["peak_rss_mb"] for p in parts)}
    for stage, names in {**STAGE_PRIMITIVES, **OUTPUT_PRIMITIVES}.items():
        if stage in stages and all(k in prim for k in names):
            total = sum(prim[k]["seconds"] for k in names)
            stages[stage]["primitives_s"] = total
            stages[stage]["ratio"] = stages[stage]["seconds"] / total
    return result


def markdown(results: list[dict]) -> str:
    results = [with_ratios(r) for r in results]
    ns = [r["n"] for r in results]
    lines = ["| N | stage | seconds | primitives s | ratio | peak RSS MB |",
             "|---:|---|---:|---:|---:|---:|"]
    for r in results:
        for stage, st in r["stages"].items():
            lines.append(f"| {r['n']:,} | {stage} | {st['seconds']:.2f} | "
                         f"{st['primitives_s']:.2f} | {st['ratio']:.2f} | "
                         f"{st['peak_rss_mb']:,.0f} |")
    lines += ["", "| primitive | " + " | ".join(f"{n:,} s" for n in ns) + " | slope |",
              "|---|" + "---:|" * (len(ns) + 1)]
    for name in results[0]["primitives"]:
        ts = [r["primitives"][name]["seconds"] for r in results]
        k = slope(ns, ts)
        lines.append(f"| {name} | " + " | ".join(f"{t:.3f}" for t in ts)
                     + f" | {'' if k is None else f'{k:.2f}'} |")
    lines += ["", "| stage | scaling exponent (log-log slope vs N) |", "|---|---:|"]
    for stage in results[0]["stages"]:
        k = slope(ns, [r["stages"][stage]["seconds"] for r in results])
        lines.append(f"| {stage} | {'n/a' if k is None else f'{k:.2f}'} |")
    lines += ["", "Ratios compare each stage with: " + "; ".join(
        f"{s} = {' + '.join(p)}" for s, p in STAGE_PRIMITIVES.items()) + "."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--outputs", action="store_true",
                    help="also time the output stages: exports (GeoPackage) and the web map")
    ap.add_argument("--from-json", type=Path, help="print the tables of an earlier --json run")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one size, JSON out
    args = ap.parse_args(argv)
    if args.from_json:
        print(markdown(json.loads(args.from_json.read_text())["results"]))
        return 0
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.repeat, args.seed, outputs=args.outputs)))
        return 0
    results = []
    for n in args.sizes:
        print(f"N = {n:,} ...", file=sys.stderr, flush=True)
        # A fresh process per size: clean memory and an honest peak RSS.
        proc = subprocess.run([sys.executable, __file__, "--one", str(n), "--repeat",
                               str(args.repeat), "--seed", str(args.seed),
                               *(["--outputs"] if args.outputs else [])],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return proc.returncode
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        r = results[-1]
        print(f"  e2e {r['stages']['e2e']['seconds']:.2f} s, scope rows {r['scope_rows']:,}, "
              f"max RSS {r['max_rss_mb']:,.0f} MB", file=sys.stderr, flush=True)
    text = markdown(results)
    print(text)
    if args.json:
        ns = [r["n"] for r in results]
        exps = {s: slope(ns, [r["stages"][s]["seconds"] for r in results])
                for s in results[0]["stages"]}
        args.json.write_text(json.dumps({"results": results, "exponents": exps}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
