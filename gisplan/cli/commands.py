"""What each ``gisplan`` command does, over the Python API.

:mod:`gisplan.cli.main` parses the command line and calls one of these; each
returns the exit code. Long steps of ``gisplan run`` report their progress
on stderr.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from gisplan.errors import GisplanError
from gisplan.inputs.validation import Layers, load_layers
from gisplan.outputs.staging import check_out_path, staged_output

#: What the running command is doing, for the one-line report of an unexpected failure.
STATE: dict[str, object] = {"step": "start", "warnings": [], "verbosity": 0}


@contextmanager
def progress(step: int, total: int, label: str) -> Iterator[None]:
    """``[2/7] 连片片区 zones ... 0.21 s`` on stderr around one long step."""
    STATE["step"] = label
    quiet = STATE["verbosity"] < 0
    if not quiet:
        print(f"[{step}/{total}] {label} ...", end="", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    try:
        yield
    except BaseException:
        if not quiet:
            print(" stopped", file=sys.stderr, flush=True)
        raise
    if not quiet:
        print(f" {time.perf_counter() - t0:.2f} s", file=sys.stderr, flush=True)


def print_warnings(layers: Layers) -> None:
    """``.report`` warnings to stderr grouped (--verbose: all, --quiet: none), OUT/warnings.csv.

    The warnings are taken as one frame (:meth:`~gisplan.inputs.problems.Report.table`):
    a city's million 'lies in no community' warnings are never a million objects."""
    found = layers.report.table("warning")
    if found.empty:
        return
    STATE["warnings"] = [*STATE["warnings"], found]  # type: ignore[misc]
    if STATE["verbosity"] < 0:
        return
    if STATE["verbosity"] > 0:
        where = found["layer"].astype(str) + np.where(
            found["feature_id"].notna(), " [" + found["feature_id"].astype(str) + "]", "") + \
            np.where(found["field"].notna(), " field '" + found["field"].astype(str) + "'", "")
        lines = ("WARNING: " + where + ": " + found["message"].astype(str)).tolist()
    else:
        lines = grouped_lines(found)
    print("\n".join(lines), file=sys.stderr)


def grouped_lines(found: pd.DataFrame | list, *, ids: int = 5) -> list[str]:
    """One line per (layer, check) of a warnings frame (or list of problems): the count,
    the first message and the first ids."""
    if not isinstance(found, pd.DataFrame):
        found = pd.DataFrame([(p.layer, p.check, p.feature_id, p.message) for p in found],
                             columns=["layer", "check", "feature_id", "message"])
    lines = []
    groups = found.groupby(["layer", "check"], sort=False, dropna=False)
    for (layer, _check), items in groups:
        first = items["feature_id"].dropna().head(ids).astype(str).tolist()
        more = ", …" if len(items) > ids else ""
        where = f" ({', '.join(first)}{more})" if first else ""
        head = f"{len(items):,} × " if len(items) > 1 else ""
        lines.append(f"WARNING: {layer}: {head}{items['message'].iat[0]}{where}")
    if (groups.size() > 1).any():
        lines.append("  (every warning, one a line: warnings.csv in the output folder)")
    return lines


@contextmanager
def staged(out: Path, inputs: Sequence[Path | str | None] = ()) -> Iterator[Path]:
    """:func:`staged_output` for a command: ``--out`` checked against its inputs, and
    the warnings seen so far written to ``warnings.csv`` with the outputs."""
    from gisplan.outputs.tables import write_warnings

    check_out_path(out, [i for i in inputs if i is not None])
    STATE["step"] = "写出 writing files"
    with staged_output(out) as stage:
        yield stage
        if STATE["warnings"]:
            write_warnings(STATE["warnings"], stage / "warnings.csv")  # type: ignore[arg-type]


def check_max_gap_flag(max_gap_m: float | None) -> None:
    """``--max-gap-m`` must be a finite number >= 0 (checked before anything is read)."""
    if max_gap_m is not None and not (math.isfinite(max_gap_m) and max_gap_m >= 0):
        raise GisplanError(f"--max-gap-m must be >= 0 and finite, got {max_gap_m:g}")


def input_paths(args: argparse.Namespace) -> list[Path]:
    """Every input path a command names (plan folders and files), for the --out check."""
    names = ("plan_dir", "old_dir", "new_dir", "proposal", "rules", "fire_lanes", "markup",
             "cad_mapping")
    return [getattr(args, n) for n in names if getattr(args, n, None) is not None]


def load_plan(args: argparse.Namespace) -> Layers:
    STATE["step"] = "校验 validate"
    layers = load_layers(args.plan_dir, engine=args.engine, repair=args.repair)
    print_warnings(layers)
    if getattr(args, "out", None) is not None:
        check_out_path(args.out, [s.path for s in layers.plan.layers.values()])
    return layers


def cmd_validate(args: argparse.Namespace) -> int:
    from gisplan.inputs.programme import validate_all

    report = validate_all(args.plan_dir, engine=args.engine, repair=args.repair)
    if args.format == "json":
        print(report.to_json())
    else:
        if report.problems:
            print(report.format_text())
        verdict = "OK" if report.ok else "FAILED"
        print(f"{verdict}: {len(report.errors)} errors, {len(report.warnings)} warnings")
    return 0 if report.ok else 1


def scope_and_zones(args: argparse.Namespace, *, layers: Layers | None = None):
    from gisplan.analysis.scope import compute_scope
    from gisplan.analysis.zones import detect_zones

    check_max_gap_flag(args.max_gap_m)
    layers = load_plan(args) if layers is None else layers
    STATE["step"] = "连片片区 zones"
    zones = detect_zones(layers, max_gap_m=args.max_gap_m)
    STATE["step"] = "工程量 scope"
    return zones, compute_scope(layers, zones=zones.membership)


def report_written(out: Path, written: list[Path]) -> None:
    if STATE["verbosity"] < 0:
        return
    for path in written:
        print(f"wrote {out / path.name}")


def cmd_scope(args: argparse.Namespace) -> int:
    from gisplan.outputs import workbook
    from gisplan.outputs.background import in_child
    from gisplan.outputs.pages.summary import write_report

    check_max_gap_flag(args.max_gap_m)
    if args.engine == "dask":
        from gisplan.engines.distributed import run_scope_dask

        run = run_scope_dask(args.plan_dir, scheduler=args.scheduler, n_workers=args.workers,
                             max_gap_m=args.max_gap_m, repair=args.repair)
        print_warnings(run.layers)
        scope, communities = run.scope, run.layers.communities
    else:
        layers = load_plan(args)
        _, scope = scope_and_zones(args, layers=layers)
        communities = layers.communities
    with staged(args.out, input_paths(args)) as stage:
        # scope.xlsx takes as long as the other files: a second process writes it meanwhile
        with in_child(workbook.write_workbook, scope, stage / "scope.xlsx",
                      communities=communities, what="scope.xlsx") as book:
            written = workbook.write_scope_tables(scope, stage, communities=communities,
                                                  workbook=False)
            report = write_report(scope, stage, communities=communities)
        written += [book.value, report]
    report_written(args.out, written)
    return 0


def cmd_zones(args: argparse.Namespace) -> int:
    from gisplan.outputs.exports.layer_files import write_zone_files

    zones, scope = scope_and_zones(args)
    with staged(args.out, input_paths(args)) as stage:
        written = write_zone_files(zones, scope, stage)
    report_written(args.out, written)
    n = len(zones.outlines)
    print(f"{n} zones from {len(zones.membership)} communities (max gap {zones.max_gap_m:g} m)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from gisplan.analysis.scope import compute_scope
    from gisplan.analysis.zones import detect_zones
    from gisplan.cli import programme as prog
    from gisplan.cli.access import access_step, has_access
    from gisplan.cli.select import write_selection_step
    from gisplan.cli.sheets import package_sheets, write_plan_sheets
    from gisplan.outputs.exports.layer_files import enrich_layers, write_exports, write_zone_files
    from gisplan.outputs.packages import write_packages
    from gisplan.outputs.pages.summary import write_report
    from gisplan.outputs.workbook import write_scope_tables
    from gisplan.plan.settings import read_plan

    check_max_gap_flag(args.max_gap_m)
    as_of = prog.as_of_day(args.as_of)
    check_out_path(args.out, input_paths(args))
    selection = read_plan(args.plan_dir).selection  # [selection]: one more step
    n = (9 if has_access(args.plan_dir) else 8) + (selection is not None)
    with progress(1, n, "校验 validate"):
        layers = load_layers(args.plan_dir, engine=args.engine, repair=args.repair)
        programme = None if layers.plan.programme is None else prog.read_step(layers)
    check_out_path(args.out, [s.path for s in layers.plan.layers.values()])
    print_warnings(layers)
    with progress(2, n, "连片片区 zones"):
        zones = detect_zones(layers, max_gap_m=args.max_gap_m)
    with progress(3, n, "工程量 scope"):
        scope = compute_scope(layers, zones=zones.membership)
        result = None if programme is None else prog.compute_step(layers, scope, programme, as_of)
    prog.print_warnings(result)
    with staged(args.out, input_paths(args)) as stage:
        with progress(4, n, "表格 tables"):
            written = (write_scope_tables(scope, stage, communities=layers.communities)
                       + write_zone_files(zones, scope, stage))
            written += prog.write_step(layers, result, stage, online=args.online)
            written.append(write_report(scope, stage, plan_name=layers.plan.name,
                                        communities=layers.communities, programme=result))
        with progress(5, n, "地图 map"):
            written += _write_map(layers, scope, zones, stage, online=args.online)
        with progress(6, n, "导出 exports"):
            enriched = enrich_layers(layers, scope, zones)
            write_exports(layers, scope, zones, stage / "exports", enriched=enriched,
                          shp_encoding=args.shp_encoding)
            written.append(stage / "exports")
        with progress(7, n, "出图 sheets"):
            written += write_plan_sheets(layers, enriched, stage / "sheets")
        with progress(8, n, "一区一案 packages"):
            write_packages(layers, scope, zones, stage / "packages", enriched=enriched,
                           map_writer=_package_map_writer(layers, scope, zones,
                                                          online=args.online),
                           sheet_writer=package_sheets(layers, enriched,
                                                       drawn=stage / "sheets"))
            written.append(stage / "packages")
        step = 9
        if has_access(args.plan_dir):
            written += access_step(layers, stage, step=step, total=n)  # walking access
            step += 1
        if selection is not None:
            with progress(step, n, "分年度 selection"):
                written += write_selection_step(layers, scope, zones, stage, selection,
                                                plan_name=layers.plan.name)[0]
    report_written(args.out, written)
    print(summary(scope, zones) + prog.summary(result))
    return 0


def _map_options(layers: Layers, *, basemap: str | None = None,
                 metric: str | None = None) -> dict[str, object]:
    """Map options: the command line, else plan.toml [map], else the defaults (the Tianditu
    key: plan.toml, else the TIANDITU_TOKEN environment variable)."""
    import os

    cfg = layers.plan.map
    return {"basemap": basemap or cfg.basemap, "metric": metric or cfg.metric,
            "tianditu_token": cfg.tianditu_token or os.environ.get("TIANDITU_TOKEN")}


def _write_map(layers: Layers, scope, zones, stage: Path, *, online: bool = False,
               basemap: str | None = None, metric: str | None = None) -> list[Path]:
    from gisplan.outputs.webmap import build_map, write_map

    webmap = build_map(layers, scope, zones, offline=not online,
                       **_map_options(layers, basemap=basemap, metric=metric))
    return write_map(webmap, stage)


def _package_map_writer(layers: Layers, scope, zones, *, online: bool = False):
    """``map_writer`` for :func:`~gisplan.outputs.packages.write_packages`: a community's map."""
    from gisplan.outputs.webmap.community import build_community_map

    options = {**_map_options(layers), "offline": not online}

    def write(own, path: Path) -> None:
        community_id = own["communities"]["community_id"].iloc[0]
        webmap = build_community_map(layers, scope, zones, community_id, pipes=own["pipes"],
                                     **options)
        path.write_text(webmap.html, encoding="utf-8")

    return write


def cmd_map(args: argparse.Namespace) -> int:
    layers = load_plan(args)
    zones, scope = scope_and_zones(args, layers=layers)
    with staged(args.out, input_paths(args)) as stage:
        written = _write_map(layers, scope, zones, stage, online=args.online,
                             basemap=args.basemap, metric=args.metric)
    report_written(args.out, written)
    return 0


def _top_level(stage: Path, written: list[Path]) -> list[Path]:
    """The files and folders directly in ``stage`` that hold ``written``."""
    return [stage / name for name in dict.fromkeys(p.relative_to(stage).parts[0]
                                                   for p in written)]


def cmd_export(args: argparse.Namespace) -> int:
    from gisplan.cli.sheets import package_sheets
    from gisplan.outputs.exports.layer_files import FORMATS, enrich_layers, write_exports
    from gisplan.outputs.packages import write_packages

    layers = load_plan(args)
    zones, scope = scope_and_zones(args, layers=layers)
    with staged(args.out, input_paths(args)) as stage:
        enriched = enrich_layers(layers, scope, zones)
        written = write_exports(layers, scope, zones, stage, formats=args.format or FORMATS,
                                community=args.community, shp_encoding=args.shp_encoding,
                                enriched=enriched)
        if args.packages or args.zip:
            written += write_packages(
                layers, scope, zones, stage / "packages", as_zip=args.zip, enriched=enriched,
                communities=None if args.community is None else [args.community],
                map_writer=_package_map_writer(layers, scope, zones, online=args.online),
                sheet_writer=package_sheets(layers, enriched))
        written = _top_level(stage, written)
    report_written(args.out, written)
    return 0


def cmd_partition(args: argparse.Namespace) -> int:
    from gisplan.engines.partition import partition_plan

    check_out_path(args.out, input_paths(args))
    with staged(args.out, input_paths(args)) as stage:
        partition_plan(args.plan_dir, stage, npartitions=args.npartitions, engine=args.engine,
                       repair=args.repair)
        written = sorted(stage.iterdir())
    report_written(args.out, written)
    return 0


def summary(scope, zones) -> str:
    """A few lines for the terminal: headline figures, cost, zones (figures as in report.html)."""
    from gisplan.analysis.headline import headline, reconciliation
    from gisplan.analysis.provenance import obtained_counts

    h = headline(scope)
    lines = [
        f"社区 communities {h['communities']:,.0f} | 楼栋 buildings {h['buildings']:,.0f} | "
        f"户数 households {h['households']:,.0f} | "
        f"建筑面积 floor area {h['floor_area_m2']:,.0f} m²",
        f"费用 cost {h['cost_cny'] / 1e4:,.1f} 万元 (CNY 10k) | 连片片区 zones "
        f"{len(zones.outlines)}",
    ]
    r = reconciliation(scope)
    if r is not None:
        off = r[~r["matches"]]
        ways = "" if "obtained" not in r else f" ({obtained_counts(r[r['matches']]['obtained'])})"
        lines.append(f"核对 reconciliation: {len(r) - len(off)} of {len(r)} stated figures match"
                     + ways + (f"; differ: {', '.join(off['item'])}" if len(off) else ""))
    return "\n".join(lines)
