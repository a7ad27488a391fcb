"""Benchmark: the commands as a user runs them, on cities shaped like real ones.

For each size N a city is generated (:func:`gisplan.inputs.synthetic.make_city`
with ``outside=0.8, scattered=True``: N buildings, N/50 communities scattered
among five times as many city blocks, N/2 pipe segments, 80 % of buildings and
pipes outside the communities) and written as a GeoParquet plan folder (not
timed). Then each command runs as a whole process, exactly as typed::

    python -m gisplan scope PLAN --out OUT

and is measured from the outside: wall time, peak RSS of the process
(``os.wait4``'s ``ru_maxrss``) and every byte it wrote under OUT. Next to each
command run, a process of bare primitives runs on the same files: import
geopandas, read the GeoParquet layers, join the buildings to the communities
(``geopandas.sjoin``), split the pipes at community borders
(``shapely.intersection`` of STRtree pairs), a pandas group-by sum, and write
the CSV files the command wrote with ``pandas.DataFrame.to_csv`` (read back
first, not timed). The ratio is command wall / primitives wall, both whole
processes; the CPU ratio the same with user + system CPU seconds, which other
load on the machine changes less. Growth exponents are log-log slopes of wall
time between consecutive sizes.

``--long-pipe V`` instead runs ``gisplan run`` on a small city whose first pipe
has V vertices and reports each step's seconds (a writer that is not linear in
vertices shows there); ``--stages N`` times the steps of ``gisplan scope`` one by
one inside one process (where the time goes).

Usage::

    python benchmarks/bench_commands.py --sizes 10000 100000 --repeat 3 --json small.json
    python benchmarks/bench_commands.py --sizes 1000000 --commands scope zones map \\
        --json big.json
    python benchmarks/bench_commands.py --from-json small.json big.json
    python benchmarks/bench_commands.py --long-pipe 1000000
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout: this checkout's gisplan
COMMANDS = ("scope", "zones", "map", "run")
LAYERS = ("communities", "buildings", "pipes", "facilities", "structures", "barriers")
STEP = re.compile(r"\[(\d+)/(\d+)\] (.+?) \.\.\. ?([\d.]+) s")


def _env() -> dict[str, str]:
    """The child's environment: this checkout first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def measure(argv: list[str]) -> dict:
    """Run ``argv`` as a child process: wall and CPU seconds (user + system), peak RSS
    (MiB), exit code, output."""
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=_env(), cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        out.seek(0)
        return {"seconds": wall, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "peak_rss_mib": usage.ru_maxrss / 1024,
                "code": proc.returncode, "stdout": out.read().decode(errors="replace"),
                "stderr": err.read().decode(errors="replace")}


def folder_size(folder: Path) -> tuple[int, int]:
    """Files and bytes under ``folder`` (recursively)."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


# --- the child processes -------------------------------------------------------------------

def generate(n: int, folder: Path, *, seed: int, outside: float, scattered: bool) -> None:
    from gisplan.inputs.synthetic import make_city
    from gisplan.outputs.plan_folder import write_plan_folder

    write_plan_folder(make_city(n, seed=seed, outside=outside, scattered=scattered), folder)


def primitives(folder: Path, csv_dir: Path | None, scratch: Path) -> dict[str, float]:
    """The bare primitives, timed one by one (seconds); run as a whole process."""
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    import geopandas as gpd
    import pandas as pd
    import shapely

    t["import"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    layers = {k: gpd.read_parquet(folder / f"{k}.parquet") for k in LAYERS}
    t["read"] = time.perf_counter() - t0
    com, bld, pip = layers["communities"], layers["buildings"], layers["pipes"]

    t0 = time.perf_counter()
    joined = gpd.sjoin(bld[["building_id", "households", "geometry"]],
                       com[["community_id", "geometry"]], how="left", predicate="intersects")
    t["join"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    lines, areas = np.asarray(pip.geometry.array), np.asarray(com.geometry.array)
    li, ai = shapely.STRtree(areas).query(lines, predicate="intersects")
    pieces = shapely.length(shapely.intersection(lines[li], areas[ai]))
    t["split"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    by_com = joined.groupby("community_id")["households"].sum()
    by_net = pd.DataFrame({"community": com["community_id"].to_numpy()[ai],
                           "network": pip["network"].to_numpy()[li], "length": pieces}
                          ).groupby(["community", "network"])["length"].sum()
    t["groupby"] = time.perf_counter() - t0
    assert len(by_com) and len(by_net)

    t["to_csv"] = 0.0
    for path in sorted(csv_dir.rglob("*.csv")) if csv_dir is not None else []:
        frame = pd.read_csv(path, encoding="utf-8-sig", low_memory=False)
        t0 = time.perf_counter()
        frame.to_csv(scratch / "bare.csv", index=False, encoding="utf-8-sig")
        t["to_csv"] += time.perf_counter() - t0
    return t


# --- the parent ----------------------------------------------------------------------------

def run_command(command: str, plan: Path, out: Path) -> dict:
    argv = [sys.executable, "-m", "gisplan", command, str(plan), "--out", str(out)]
    r = measure(argv)
    if r["code"] != 0:
        raise SystemExit(f"{' '.join(argv)} exited {r['code']}:\n{r['stderr'][-3000:]}")
    r["files"], r["bytes"] = folder_size(out)
    r["steps"] = {m.group(3): float(m.group(4)) for m in STEP.finditer(r["stderr"])}
    del r["stdout"], r["stderr"]
    return r


def run_primitives(plan: Path, out: Path, scratch: Path) -> dict:
    r = measure([sys.executable, __file__, "--primitives", str(plan), str(out), str(scratch)])
    if r["code"] != 0:
        raise SystemExit(f"primitives exited {r['code']}:\n{r['stderr'][-3000:]}")
    r["parts"] = json.loads(r["stdout"].strip().splitlines()[-1])
    del r["stdout"], r["stderr"]
    return r


def bench_size(n: int, commands: list[str], *, repeat: int, seed: int, outside: float,
               scattered: bool, run_max: int) -> dict:
    result: dict = {"n": n, "outside": outside, "scattered": scattered, "repeat": repeat,
                    "load_average": os.getloadavg(), "commands": {}}
    with tempfile.TemporaryDirectory(prefix=f"bench_commands{n}_") as tmp:
        tmp = Path(tmp)
        plan = tmp / "plan"
        t0 = time.perf_counter()
        gen = measure([sys.executable, __file__, "--generate", str(n), str(plan), "--seed",
                       str(seed), "--outside", str(outside)]
                      + (["--scattered"] if scattered else []))
        if gen["code"] != 0:
            raise SystemExit(gen["stderr"])
        result["generate_s"] = time.perf_counter() - t0
        result["plan_bytes"] = folder_size(plan)[1]
        for command in commands:
            if command == "run" and n > run_max:
                continue
            runs, prims = [], []
            for i in range(repeat):
                out = tmp / f"out_{command}_{i}"
                runs.append(run_command(command, plan, out))
                prims.append(run_primitives(plan, out, tmp))
                if i < repeat - 1:
                    import shutil

                    shutil.rmtree(out)
            pick = sorted(range(repeat), key=lambda i: runs[i]["seconds"])[repeat // 2]
            ppick = sorted(range(repeat), key=lambda i: prims[i]["seconds"])[repeat // 2]
            result["commands"][command] = {
                **runs[pick], "all_seconds": [r["seconds"] for r in runs],
                "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
                "primitives": {**prims[ppick], "all_seconds": [p["seconds"] for p in prims]}}
            c = result["commands"][command]
            print(f"  {command}: {c['seconds']:.2f} s, {c['peak_rss_mib']:,.0f} MiB, "
                  f"{c['bytes'] / 2**20:,.1f} MB in {c['files']} files; primitives "
                  f"{c['primitives']['seconds']:.2f} s", file=sys.stderr, flush=True)
        result["load_average_after"] = os.getloadavg()
    return result


def exponent(n0: int, t0: float, n1: int, t1: float) -> float:
    """Log-log slope between two sizes."""
    return float(np.log(t1 / t0) / np.log(n1 / n0))


def merged(results: list[dict]) -> list[dict]:
    """Runs of the same size (e.g. ``run`` timed apart) as one result per size."""
    by_n: dict[int, dict] = {}
    for r in sorted(results, key=lambda r: r["n"]):
        into = by_n.setdefault(r["n"], {**r, "commands": {}, "loads": []})
        into["commands"].update(r["commands"])
        into["loads"].append(r["load_average"][0])
    return list(by_n.values())


def markdown(results: list[dict]) -> str:
    results = merged(results)
    lines = ["| N buildings | command | wall s | primitives wall s | ratio | CPU s "
             "| primitives CPU s | CPU ratio | peak RSS MiB | files | written MB |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        for name, c in r["commands"].items():
            p = c["primitives"]
            lines.append(f"| {r['n']:,} | `gisplan {name}` | {c['seconds']:.2f} | "
                         f"{p['seconds']:.2f} | {c['seconds'] / p['seconds']:.2f} | "
                         f"{c['cpu_seconds']:.2f} | {p['cpu_seconds']:.2f} | "
                         f"{c['cpu_seconds'] / p['cpu_seconds']:.2f} | "
                         f"{c['peak_rss_mib']:,.0f} | {c['files']:,} | {c['bytes'] / 1e6:,.1f} |")
    parts = ["import", "read", "join", "split", "groupby", "to_csv"]
    lines += ["", "| N buildings | command | process s | " + " | ".join(parts)
              + " | peak RSS MiB |", "|---:|---|" + "---:|" * (len(parts) + 2)]
    for r in results:
        for name, c in r["commands"].items():
            p = c["primitives"]
            lines.append(f"| {r['n']:,} | primitives of `{name}` | {p['seconds']:.2f} | "
                         + " | ".join(f"{p['parts'][k]:.2f}" for k in parts)
                         + f" | {p['peak_rss_mib']:,.0f} |")
    pairs = list(itertools.pairwise(results))
    if pairs:
        heads = [f"{a['n']:,} → {b['n']:,}" for a, b in pairs]
        lines += ["", "| growth exponent of wall (CPU) time | " + " | ".join(heads) + " |",
                  "|---|" + "---:|" * len(pairs)]
        for name in COMMANDS:
            cells = []
            for a, b in pairs:
                if name not in a["commands"] or name not in b["commands"]:
                    cells.append("")
                    continue
                ca, cb = a["commands"][name], b["commands"][name]
                cells.append(f"{exponent(a['n'], ca['seconds'], b['n'], cb['seconds']):.2f} "
                             f"(CPU {exponent(a['n'], ca['cpu_seconds'], b['n'], cb['cpu_seconds']):.2f})")  # noqa: E501
            if any(cells):
                lines.append(f"| `gisplan {name}` | " + " | ".join(cells) + " |")
    steps = [(r["n"], c["steps"]) for r in results for name, c in r["commands"].items()
             if name == "run" and c.get("steps")]
    if steps:
        lines += ["", "| N buildings | " + " | ".join(steps[0][1]) + " |",
                  "|---:|" + "---:|" * len(steps[0][1])]
        lines += [f"| {n:,} | " + " | ".join(f"{v:.2f}" for v in s.values()) + " |"
                  for n, s in steps]
    loads = ", ".join(f"{r['n']:,}: " + " / ".join(f"{x:.1f}" for x in r["loads"])
                      for r in results)
    lines += ["", f"1-minute load average when each size started (2 cores): {loads}."]
    return "\n".join(lines)


def long_pipe(vertices: int, *, seed: int) -> dict:
    """``gisplan run`` on a small city whose first pipe has ``vertices`` vertices."""
    with tempfile.TemporaryDirectory(prefix="bench_long_pipe_") as tmp:
        tmp = Path(tmp)
        plan = tmp / "plan"
        r = measure([sys.executable, __file__, "--generate-long-pipe", str(vertices), str(plan),
                     "--seed", str(seed)])
        if r["code"] != 0:
            raise SystemExit(r["stderr"])
        result = run_command("run", plan, tmp / "out")
        result["vertices"] = vertices
        return result


def write_long_pipe_plan(vertices: int, folder: Path, *, seed: int) -> None:
    """A 1,000-building city whose first pipe zigzags through ``vertices`` vertices."""
    import shapely

    from gisplan.inputs.synthetic import make_city
    from gisplan.outputs.plan_folder import write_plan_folder

    city = make_city(1000, seed=seed)
    pipes = city["pipes"]
    x0, y0, x1, _ = city["communities"].total_bounds
    x = np.linspace(x0, x1, vertices)
    y = y0 + 30.0 + 2.0 * (np.arange(vertices) % 2)
    geometry = pipes.geometry.copy()
    geometry.iloc[0] = shapely.linestrings(x, y)
    city["pipes"] = pipes.set_geometry(geometry)
    write_plan_folder(city, folder)


def stages(n: int, *, seed: int) -> list[tuple[str, float, float]]:
    """What ``gisplan scope`` spends its time on, step by step in one process: (step, wall s,
    CPU s) for reading and checking the layers, zones, scope, the CSV files, scope.xlsx,
    report.html and warnings.csv (the same calls the command makes)."""
    from gisplan.analysis.scope import compute_scope
    from gisplan.analysis.zones import detect_zones
    from gisplan.inputs.validation import load_layers
    from gisplan.outputs.pages.summary import write_report
    from gisplan.outputs.tables import write_csv, write_warnings
    from gisplan.outputs.workbook import write_workbook

    out: list[tuple[str, float, float]] = []

    def step(name, fn):
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        out.append((name, time.perf_counter() - t, time.process_time() - c))
        return result

    with tempfile.TemporaryDirectory(prefix="bench_stages_") as tmp:
        tmp = Path(tmp)
        generate(n, tmp / "plan", seed=seed, outside=0.8, scattered=True)
        layers = step("read and check the layers", lambda: load_layers(tmp / "plan"))
        zones = step("zones", lambda: detect_zones(layers))
        scope = step("scope", lambda: compute_scope(layers, zones=zones.membership))
        frames = {"scope": scope.table, "funding": scope.funding, "scenarios": scope.scenarios,
                  "allocation": scope.allocation}
        step("scope.csv, funding.csv, scenarios.csv, allocation.csv",
             lambda: [write_csv(f, tmp / f"{k}.csv") for k, f in frames.items()])
        step("scope.xlsx", lambda: write_workbook(scope, tmp / "scope.xlsx",
                                                  communities=layers.communities))
        step("report.html", lambda: write_report(scope, tmp, communities=layers.communities))
        step("warnings.csv", lambda: write_warnings([layers.report.table("warning")],
                                                    tmp / "warnings.csv"))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--commands", nargs="+", choices=COMMANDS, default=list(COMMANDS))
    ap.add_argument("--run-max", type=int, default=100_000,
                    help="largest N at which `gisplan run` is timed (default 100000)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per command (median)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--outside", type=float, default=0.8,
                    help="share of buildings and pipes outside the communities (default 0.8)")
    ap.add_argument("--tiled", action="store_true",
                    help="communities in a block of the grid instead of scattered")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--from-json", type=Path, nargs="+", help="print the tables of earlier runs")
    ap.add_argument("--long-pipe", type=int, metavar="V",
                    help="time `gisplan run` with a pipe of V vertices instead")
    ap.add_argument("--stages", type=int, metavar="N",
                    help="time the steps of `gisplan scope` one by one in one process")
    ap.add_argument("--generate", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--generate-long-pipe", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--scattered", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--primitives", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.generate:
        generate(int(args.generate[0]), Path(args.generate[1]), seed=args.seed,
                 outside=args.outside, scattered=args.scattered)
        return 0
    if args.generate_long_pipe:
        write_long_pipe_plan(int(args.generate_long_pipe[0]), Path(args.generate_long_pipe[1]),
                             seed=args.seed)
        return 0
    if args.primitives:
        plan, out, scratch = map(Path, args.primitives)
        print(json.dumps(primitives(plan, out, scratch)))
        return 0
    if args.stages:
        rows = stages(args.stages, seed=args.seed)
        print("| step | wall s | CPU s |\n|---|---:|---:|")
        for name, wall, cpu in rows:
            print(f"| {name} | {wall:.2f} | {cpu:.2f} |")
        print(f"| all | {sum(r[1] for r in rows):.2f} | {sum(r[2] for r in rows):.2f} |")
        return 0
    if args.long_pipe:
        r = long_pipe(args.long_pipe, seed=args.seed)
        print("| vertices | wall s | peak RSS MiB | " + " | ".join(r["steps"]) + " |")
        print("|---:|---:|---:|" + "---:|" * len(r["steps"]))
        print(f"| {r['vertices']:,} | {r['seconds']:.2f} | {r['peak_rss_mib']:,.0f} | "
              + " | ".join(f"{v:.2f}" for v in r["steps"].values()) + " |")
        if args.json:
            args.json.write_text(json.dumps(r, indent=1))
        return 0
    if args.from_json:
        results = [r for path in args.from_json for r in json.loads(path.read_text())]
        print(markdown(results))
        return 0
    results = []
    for n in args.sizes:
        print(f"N = {n:,} ...", file=sys.stderr, flush=True)
        results.append(bench_size(n, args.commands, repeat=args.repeat, seed=args.seed,
                                  outside=args.outside, scattered=not args.tiled,
                                  run_max=args.run_max))
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
