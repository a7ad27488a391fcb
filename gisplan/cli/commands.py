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

from gisplan.errors import GisplanError
from gisplan.inputs.validation import Layers, load_layers, validate_plan
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


def _print_warnings(layers: Layers) -> None:
    """The load's warnings on stderr: one line per (layer, kind) with a count and the
    first ids (every line with ``--verbose``, none with ``--quiet``); all of them go to
    ``OUT/warnings.csv``."""
    found = layers.report.warnings
    STATE["warnings"] = list(STATE["warnings"]) + found  # type: ignore[operator]
    if STATE["verbosity"] < 0 or not found:
        return
    if STATE["verbosity"] > 0:
        lines = [p.format() for p in found]
    else:
        lines = grouped_lines(found)
    print("\n".join(lines), file=sys.stderr)


def grouped_lines(found: list, *, ids: int = 5) -> list[str]:
    """One line per (layer, check): the count, the first message and the first ids."""
    groups: dict[tuple[str, str], list] = {}
    for problem in found:
        groups.setdefault((problem.layer, problem.check), []).append(problem)
    lines = []
    for (layer, _check), items in groups.items():
        first = [str(p.feature_id) for p in items[:ids] if p.feature_id is not None]
        more = ", …" if len(items) > ids else ""
        where = f" ({', '.join(first)}{more})" if first else ""
        head = f"{len(items):,} × " if len(items) > 1 else ""
        lines.append(f"WARNING: {layer}: {head}{items[0].message}{where}")
    if any(len(v) > 1 for v in groups.values()):
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


def _check_max_gap_flag(max_gap_m: float | None) -> None:
    """``--max-gap-m`` must be a finite number >= 0 (checked before anything is read)."""
    if max_gap_m is not None and not (math.isfinite(max_gap_m) and max_gap_m >= 0):
        raise GisplanError(f"--max-gap-m must be >= 0 and finite, got {max_gap_m:g}")


def _inputs(args: argparse.Namespace) -> list[Path]:
    """Every input path a command names (plan folders and files), for the --out check."""
    names = ("plan_dir", "old_dir", "new_dir", "proposal", "rules", "fire_lanes", "markup",
             "cad_mapping")
    return [getattr(args, n) for n in names if getattr(args, n, None) is not None]


def _load(args: argparse.Namespace) -> Layers:
    STATE["step"] = "校验 validate"
    layers = load_layers(args.plan_dir, engine=args.engine, repair=args.repair)
    _print_warnings(layers)
    if getattr(args, "out", None) is not None:
        check_out_path(args.out, [s.path for s in layers.plan.layers.values()])
    return layers


def cmd_validate(args: argparse.Namespace) -> int:
    report = validate_plan(args.plan_dir, engine=args.engine, repair=args.repair)
    if args.format == "json":
        print(report.to_json())
    else:
        if report.problems:
            print(report.format_text())
        verdict = "OK" if report.ok else "FAILED"
        print(f"{verdict}: {len(report.errors)} errors, {len(report.warnings)} warnings")
    return 0 if report.ok else 1


def _scope_and_zones(args: argparse.Namespace, *, layers: Layers | None = None):
    from gisplan.analysis.scope import compute_scope
    from gisplan.analysis.zones import detect_zones

    _check_max_gap_flag(args.max_gap_m)
    layers = _load(args) if layers is None else layers
    STATE["step"] = "连片片区 zones"
    zones = detect_zones(layers, max_gap_m=args.max_gap_m)
    STATE["step"] = "工程量 scope"
    return zones, compute_scope(layers, zones=zones.membership)


def _report_written(out: Path, written: list[Path]) -> None:
    if STATE["verbosity"] < 0:
        return
    for path in written:
        print(f"wrote {out / path.name}")


def cmd_scope(args: argparse.Namespace) -> int:
    from gisplan.outputs.pages.summary import write_report
    from gisplan.outputs.workbook import write_scope_tables

    _check_max_gap_flag(args.max_gap_m)
    if args.engine == "dask":
        from gisplan.engines.distributed import run_scope_dask

        run = run_scope_dask(args.plan_dir, scheduler=args.scheduler, n_workers=args.workers,
                             max_gap_m=args.max_gap_m, repair=args.repair)
        _print_warnings(run.layers)
        scope, communities = run.scope, run.layers.communities
    else:
        layers = _load(args)
        _, scope = _scope_and_zones(args, layers=layers)
        communities = layers.communities
    with staged(args.out, _inputs(args)) as stage:
        written = write_scope_tables(scope, stage, communities=communities)
        written.append(write_report(scope, stage, communities=communities))
    _report_written(args.out, written)
    return 0


def cmd_zones(args: argparse.Namespace) -> int:
    from gisplan.outputs.exports.layer_files import write_zone_files

    zones, scope = _scope_and_zones(args)
    with staged(args.out, _inputs(args)) as stage:
        written = write_zone_files(zones, scope, stage)
    _report_written(args.out, written)
    n = len(zones.outlines)
    print(f"{n} zones from {len(zones.membership)} communities (max gap {zones.max_gap_m:g} m)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from gisplan.analysis.scope import compute_scope
    from gisplan.analysis.zones import detect_zones
    from gisplan.cli.select import write_selection_step
    from gisplan.outputs.exports.layer_files import enrich_layers, write_exports, write_zone_files
    from gisplan.outputs.packages import write_packages
    from gisplan.outputs.pages.summary import write_report
    from gisplan.outputs.workbook import write_scope_tables
    from gisplan.plan.settings import read_plan

    _check_max_gap_flag(args.max_gap_m)
    check_out_path(args.out, _inputs(args))
    selection = read_plan(args.plan_dir).selection  # [selection]: one more step
    n = 7 + (selection is not None)
    with progress(1, n, "校验 validate"):
        layers = load_layers(args.plan_dir, engine=args.engine, repair=args.repair)
    check_out_path(args.out, [s.path for s in layers.plan.layers.values()])
    _print_warnings(layers)
    with progress(2, n, "连片片区 zones"):
        zones = detect_zones(layers, max_gap_m=args.max_gap_m)
    with progress(3, n, "工程量 scope"):
        scope = compute_scope(layers, zones=zones.membership)
    with staged(args.out, _inputs(args)) as stage:
        with progress(4, n, "表格 tables"):
            written = (write_scope_tables(scope, stage, communities=layers.communities)
                       + write_zone_files(zones, scope, stage))
            written.append(write_report(scope, stage, plan_name=layers.plan.name,
                                        communities=layers.communities))
        with progress(5, n, "地图 map"):
            written += _write_map(layers, scope, zones, stage)
        with progress(6, n, "导出 exports"):
            enriched = enrich_layers(layers, scope, zones)
            write_exports(layers, scope, zones, stage / "exports", enriched=enriched,
                          shp_encoding=args.shp_encoding)
            written.append(stage / "exports")
        with progress(7, n, "一区一案 packages"):
            write_packages(layers, scope, zones, stage / "packages", enriched=enriched,
                           map_writer=_package_map_writer(layers, scope, zones))
            written.append(stage / "packages")
        if selection is not None:
            with progress(8, n, "分年度 selection"):
                written += write_selection_step(layers, scope, zones, stage, selection,
                                                plan_name=layers.plan.name)[0]
    _report_written(args.out, written)
    print(summary(scope, zones))
    return 0


def _map_options(layers: Layers, *, basemap: str | None = None,
                 metric: str | None = None) -> dict[str, object]:
    """Map options: the command line, else plan.toml [map], else the defaults.

    The Tianditu key comes from plan.toml, else the TIANDITU_TOKEN environment variable.
    """
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


def _package_map_writer(layers: Layers, scope, zones):
    """``map_writer`` for :func:`~gisplan.outputs.packages.write_packages`: a community's map."""
    from gisplan.outputs.webmap.community import build_community_map

    options = _map_options(layers)

    def write(own, path: Path) -> None:
        community_id = own["communities"]["community_id"].iloc[0]
        webmap = build_community_map(layers, scope, zones, community_id, pipes=own["pipes"],
                                     **options)
        path.write_text(webmap.html, encoding="utf-8")

    return write


def cmd_map(args: argparse.Namespace) -> int:
    layers = _load(args)
    zones, scope = _scope_and_zones(args, layers=layers)
    with staged(args.out, _inputs(args)) as stage:
        written = _write_map(layers, scope, zones, stage, online=args.online,
                             basemap=args.basemap, metric=args.metric)
    _report_written(args.out, written)
    return 0


def _top_level(stage: Path, written: list[Path]) -> list[Path]:
    """The files and folders directly in ``stage`` that hold ``written``."""
    return [stage / name for name in dict.fromkeys(p.relative_to(stage).parts[0]
                                                   for p in written)]


def cmd_export(args: argparse.Namespace) -> int:
    from gisplan.outputs.exports.layer_files import FORMATS, enrich_layers, write_exports
    from gisplan.outputs.packages import write_packages

    layers = _load(args)
    zones, scope = _scope_and_zones(args, layers=layers)
    with staged(args.out, _inputs(args)) as stage:
        enriched = enrich_layers(layers, scope, zones)
        written = write_exports(layers, scope, zones, stage, formats=args.format or FORMATS,
                                community=args.community, shp_encoding=args.shp_encoding,
                                enriched=enriched)
        if args.packages or args.zip:
            written += write_packages(
                layers, scope, zones, stage / "packages", as_zip=args.zip, enriched=enriched,
                communities=None if args.community is None else [args.community],
                map_writer=_package_map_writer(layers, scope, zones))
        written = _top_level(stage, written)
    _report_written(args.out, written)
    return 0


def _cad_proposals(args: argparse.Namespace, layers: Layers):
    """A DXF site plan read through its mapping; entities it does not map are warned about."""
    from gisplan.inputs.cad import read_cad_proposal
    from gisplan.inputs.problems import Report

    if args.cad_mapping is None:
        raise GisplanError(f"--proposal {args.proposal}: a DXF drawing needs --cad-mapping FILE "
                           "(which CAD layers and blocks are which work items, and the "
                           "drawing's crs)")
    read = read_cad_proposal(args.proposal, layers, mapping=args.cad_mapping)
    report = Report()
    for r in read.unmapped.itertuples(index=False):
        report.add("warning", f"proposal ({args.proposal.name})", "unmapped_cad",
                   f"CAD layer '{r.cad_layer}': {r.count} × {r.cad_type} not reviewed: "
                   f"{r.reason}")
    STATE["warnings"] = list(STATE["warnings"]) + report.warnings  # type: ignore[operator]
    if report.warnings and STATE["verbosity"] >= 0:
        print("\n".join(p.format() for p in report.warnings), file=sys.stderr)
    return read.proposals


def cmd_review(args: argparse.Namespace) -> int:
    from gisplan.analysis.review import review_proposals
    from gisplan.inputs.proposals import load_rules, read_fire_lanes, read_markup, read_proposal
    from gisplan.outputs.pages.review import write_review
    from gisplan.outputs.pages.review_map import review_map

    check_out_path(args.out, _inputs(args))
    rules = load_rules(args.rules)
    layers = _load(args)
    if args.proposal.suffix.lower() == ".dxf":
        proposals = _cad_proposals(args, layers)
    else:
        proposals = read_proposal(args.proposal, layers, engine=args.engine)
    lanes = (None if args.fire_lanes is None
             else read_fire_lanes(args.fire_lanes, layers, engine=args.engine))
    markup = None if args.markup is None else read_markup(args.markup, layers, engine=args.engine)
    inputs = {k: str(v) for k, v in (("plan", args.plan_dir), ("proposal", args.proposal),
                                     ("rules", args.rules), ("fire_lanes", args.fire_lanes),
                                     ("markup", args.markup), ("cad_mapping", args.cad_mapping))
              if v is not None}
    review = review_proposals(layers, proposals, rules=rules, fire_lanes=lanes, markup=markup,
                              inputs=inputs)
    with staged(args.out, _inputs(args)) as stage:
        written = write_review(review, stage, map_html=review_map(layers, fire_lanes=lanes))
    _report_written(args.out, written)
    f = review.findings
    print(f"{len(review.proposals)} proposals, {len(f)} checks: {int((~f['passed']).sum())} "
          f"failed; {int((~review.proposals['passed']).sum())} proposals need changes; "
          f"违建台账 ledger {len(review.ledger)} structures")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from gisplan.analysis.diff import diff_plans
    from gisplan.analysis.scope import compute_scope
    from gisplan.outputs.pages.diff import write_diff, write_diff_map

    if args.tolerance_m < 0:
        raise GisplanError(f"--tolerance-m must be >= 0, got {args.tolerance_m:g}")
    check_out_path(args.out, _inputs(args))
    old = load_layers(args.old_dir, engine=args.engine, repair=args.repair)
    new = load_layers(args.new_dir, engine=args.engine, repair=args.repair)
    _print_warnings(old)
    _print_warnings(new)
    diff = diff_plans(old, new, old_scope=compute_scope(old), new_scope=compute_scope(new),
                      tolerance_m=args.tolerance_m)
    with staged(args.out, _inputs(args)) as stage:
        written = write_diff(diff, stage)
        written.append(write_diff_map(diff, stage, old_name=old.plan.name,
                                      new_name=new.plan.name, old_source=_source(old),
                                      new_source=_source(new), context=new.communities))
    _report_written(args.out, written)
    counts = diff.features["change"].value_counts()
    print("features: " + (", ".join(f"{n} {k}" for k, n in counts.items()) or "no change"))
    return 0


def _source(layers: Layers) -> str:
    """Where a plan version comes from: its folder and plan.toml's modification date."""
    import datetime

    toml = layers.plan.root / "plan.toml"
    when = datetime.datetime.fromtimestamp(toml.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    return f"{layers.plan.root} · 修改于 modified {when}"


def cmd_partition(args: argparse.Namespace) -> int:
    from gisplan.engines.partition import partition_plan

    check_out_path(args.out, _inputs(args))
    with staged(args.out, _inputs(args)) as stage:
        partition_plan(args.plan_dir, stage, npartitions=args.npartitions, engine=args.engine,
                       repair=args.repair)
        written = sorted(stage.iterdir())
    _report_written(args.out, written)
    return 0


def summary(scope, zones) -> str:
    """A few lines for the terminal: headline figures, cost, zones (figures as in report.html)."""
    from gisplan.analysis.headline import headline, reconciliation

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
        lines.append(f"核对 reconciliation: {len(r) - len(off)} of {len(r)} stated figures match"
                     + (f"; differ: {', '.join(off['item'])}" if len(off) else ""))
    return "\n".join(lines)
