"""Benchmark: the dask engine on 1 and 2 workers against the in-memory engine.

A synthetic city of N buildings (:mod:`gisplan.inputs.synthetic`) is written as
GeoParquet and partitioned (``gisplan partition``: Hilbert-sorted parts; not
part of the timed runs, its time is reported). Then, on that same plan folder:

* ``memory``  -- ``load_layers`` + ``detect_zones`` + ``compute_scope`` in this process;
* ``dask, W workers`` -- ``run_scope_dask`` on a local ``dask.distributed``
  cluster of W single-threaded worker processes, started once and warmed up
  with one untimed run (a cluster serves many plans; its start is reported).

Each timed figure is the median of ``--repeat`` runs and covers validation,
assignment, zones, roll-up and pricing (everything up to the scope table).
The tables of every engine are checked equal (1e-9 relative, every row).

Usage::

    python benchmarks/bench_dask.py --n 1000000 --npartitions 8 --repeat 3
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout


def same_table(want: pd.DataFrame, got: pd.DataFrame) -> bool:
    """Same rows and order; text equal, numbers to 1e-9 relative."""
    if list(want.columns) != list(got.columns) or len(want) != len(got):
        return False
    for col in want.columns:
        a, b = want[col], got[col]
        if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
            if not np.isclose(b.to_numpy(float), a.to_numpy(float), rtol=1e-9, atol=1e-9,
                              equal_nan=True).all():
                return False
        elif not (a.astype(object).where(a.notna(), None).to_numpy()
                  == b.astype(object).where(b.notna(), None).to_numpy()).all():
            return False
    return True


def run(n: int, npartitions: int, repeat: int, seed: int, workers: list[int]) -> dict:
    from gisplan.analysis.scope import compute_scope
    from gisplan.analysis.zones import detect_zones
    from gisplan.engines.distributed import dask_client, run_scope_dask
    from gisplan.engines.partition import partition_plan
    from gisplan.inputs.synthetic import make_city
    from gisplan.inputs.validation import load_layers
    from gisplan.outputs.plan_folder import write_plan_folder

    out: dict = {"n": n, "npartitions": npartitions, "repeat": repeat, "runs": []}
    with tempfile.TemporaryDirectory(prefix=f"bench_dask{n}_") as tmp:
        tmp = Path(tmp)
        plan = write_plan_folder(make_city(n, seed=seed), tmp / "plan")
        t0 = time.perf_counter()
        parts = partition_plan(plan, tmp / "parts", npartitions=npartitions)
        out["partition_s"] = time.perf_counter() - t0
        out["parts"] = {p.name: len(list(p.glob("part.*.parquet")))
                        for p in sorted(parts.glob("*.parquet")) if p.is_dir()}
        print(f"N = {n:,}: partitioned in {out['partition_s']:.1f} s: {out['parts']}",
              file=sys.stderr, flush=True)

        def memory():
            layers = load_layers(parts)
            return compute_scope(layers, zones=detect_zones(layers).membership)

        times, reference = [], None
        for _ in range(repeat):
            reference = None
            gc.collect()
            t0 = time.perf_counter()
            reference = memory()
            times.append(time.perf_counter() - t0)
        out["runs"].append({"engine": "memory", "workers": None, "seconds": median(times),
                            "all": times, "equal": True})
        print(f"  memory {median(times):.2f} s", file=sys.stderr, flush=True)

        for w in workers:
            t0 = time.perf_counter()
            with dask_client(n_workers=w, processes=True) as client:
                start = time.perf_counter() - t0
                run_scope_dask(parts, client=client)  # warm-up: imports in the workers
                times, phases, result = [], [], None
                for _ in range(repeat):
                    result = None
                    gc.collect()
                    t0 = time.perf_counter()
                    result = run_scope_dask(parts, client=client)
                    times.append(time.perf_counter() - t0)
                    phases.append(result.seconds)
            best = int(np.argsort(times)[len(times) // 2])
            out["runs"].append({
                "engine": "dask", "workers": w, "seconds": median(times), "all": times,
                "cluster_start_s": start, "phases": phases[best],
                "partitions": result.partitions,
                "equal": same_table(reference.table, result.scope.table)
                and same_table(reference.funding, result.scope.funding)})
            print(f"  dask {w} workers {median(times):.2f} s {phases[best]}", file=sys.stderr,
                  flush=True)
        out["scope_rows"] = len(reference.table)
    return out


def markdown(r: dict) -> str:
    mem = r["runs"][0]["seconds"]
    one = next((x["seconds"] for x in r["runs"] if x["workers"] == 1), None)
    lines = [f"N = {r['n']:,} buildings, {r['scope_rows']:,} scope rows; partitions "
             + ", ".join(f"{k.removesuffix('.parquet')} {v}" for k, v in r["parts"].items())
             + f" (partitioning took {r['partition_s']:.1f} s, once)", "",
             "| engine | workers | seconds | cluster s | driver s | memory / this | "
             "speed-up vs 1 worker | same table |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for x in r["runs"]:
        ph = x.get("phases")
        cluster = f"{ph['cluster']:.2f}" if ph else ""
        driver = f"{ph['driver_before'] + ph['driver_after']:.2f}" if ph else ""
        speed = f"{one / x['seconds']:.2f}x" if one and x["workers"] else ""
        lines.append(f"| {x['engine']} | {x['workers'] or ''} | {x['seconds']:.2f} | {cluster} | "
                     f"{driver} | {mem / x['seconds']:.2f} | {speed} | "
                     f"{'yes' if x['equal'] else 'NO'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--npartitions", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    result = run(args.n, args.npartitions, args.repeat, args.seed, args.workers)
    print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0 if all(x["equal"] for x in result["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
