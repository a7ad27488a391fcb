"""The ``gisplan`` command: a thin shell over the Python API.

User mistakes (a :class:`~gisplan.errors.GisplanError`) become a message on
stderr and exit code 1, with nothing written; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from gisplan import __version__
from gisplan.errors import GisplanError, PlanError, ValidationError
from gisplan.io import ENGINES
from gisplan.layers import Layers, load_layers, validate_plan
from gisplan.outputs import staged_output

log = logging.getLogger("gisplan")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gisplan", description=(
        "GIS planning for old residential community renovation (城镇老旧小区改造)."))
    p.add_argument("--version", action="version", version=f"gisplan {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def plan_command(name: str, help_: str, *, out: bool) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_, description=help_)
        c.add_argument("plan_dir", metavar="PLAN_DIR", type=Path, help="plan folder (plan.toml)")
        if out:
            c.add_argument("--out", "-o", type=Path, required=True, metavar="OUT_DIR",
                           help="output folder (created; files of the same name are replaced)")
        c.add_argument("--engine", choices=ENGINES, default="pyogrio",
                       help="GDAL binding for reading layers (default: pyogrio)")
        c.add_argument("--repair", action="store_true",
                       help="repair invalid geometries with make_valid instead of failing")
        return c

    v = plan_command("validate", "check a plan folder and list every problem", out=False)
    v.add_argument("--format", choices=("text", "json"), default="text")
    for name, help_ in (("scope", "compute per-area scope, cost and funding tables"),
                        ("zones", "detect contiguous renovation zones (集中连片)")):
        c = plan_command(name, help_, out=True)
        c.add_argument("--max-gap-m", type=float, default=None, metavar="M",
                       help="largest gap between communities of one zone (default: plan.toml)")
    c = plan_command("run", "the whole job: validate, scope, zones and their files", out=True)
    c.add_argument("--max-gap-m", type=float, default=None, metavar="M",
                   help="largest gap between communities of one zone (default: plan.toml)")
    return p


def _load(args: argparse.Namespace) -> Layers:
    layers = load_layers(args.plan_dir, engine=args.engine, repair=args.repair)
    for problem in layers.report.warnings:
        print(problem.format(), file=sys.stderr)
    return layers


def _cmd_validate(args: argparse.Namespace) -> int:
    report = validate_plan(args.plan_dir, engine=args.engine, repair=args.repair)
    if args.format == "json":
        print(report.to_json())
    else:
        if report.problems:
            print(report.format_text())
        verdict = "OK" if report.ok else "FAILED"
        print(f"{verdict}: {len(report.errors)} errors, {len(report.warnings)} warnings")
    return 0 if report.ok else 1


def _scope_and_zones(args: argparse.Namespace):
    from gisplan.scope import compute_scope
    from gisplan.zones import detect_zones

    layers = _load(args)
    if args.max_gap_m is not None and args.max_gap_m < 0:
        raise GisplanError(f"--max-gap-m must be >= 0, got {args.max_gap_m:g}")
    zones = detect_zones(layers, max_gap_m=args.max_gap_m)
    return zones, compute_scope(layers, zones=zones.membership)


def _report_written(out: Path, written: list[Path]) -> None:
    for path in written:
        print(f"wrote {out / path.name}")


def _cmd_scope(args: argparse.Namespace) -> int:
    from gisplan.tables import write_scope_tables

    _, scope = _scope_and_zones(args)
    with staged_output(args.out) as stage:
        written = write_scope_tables(scope, stage)
    _report_written(args.out, written)
    return 0


def _cmd_zones(args: argparse.Namespace) -> int:
    from gisplan.export import write_zone_files

    zones, scope = _scope_and_zones(args)
    with staged_output(args.out) as stage:
        written = write_zone_files(zones, scope, stage)
    _report_written(args.out, written)
    n = len(zones.outlines)
    print(f"{n} zones from {len(zones.membership)} communities (max gap {zones.max_gap_m:g} m)")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from gisplan.export import write_zone_files
    from gisplan.tables import write_scope_tables

    zones, scope = _scope_and_zones(args)
    with staged_output(args.out) as stage:
        written = write_scope_tables(scope, stage) + write_zone_files(zones, scope, stage)
    _report_written(args.out, written)
    print(summary(scope, zones))
    return 0


def summary(scope, zones) -> str:
    """A few lines for the terminal: headline figures, cost, zones."""
    city = scope.table[scope.table["level"] == "city"].set_index("item")
    q = city["quantity"]
    lines = [
        f"社区 communities {q.get('communities', 0):,.0f} | 楼栋 buildings "
        f"{q.get('buildings', 0):,.0f} | 户数 households {q.get('households', 0):,.0f} | "
        f"建筑面积 floor area {q.get('floor_area_m2', 0):,.0f} m²",
        f"费用 cost {city['cost_cny'].sum() / 1e4:,.1f} 万元 (CNY 10k) | 连片片区 zones "
        f"{len(zones.outlines)}",
    ]
    if scope.reconciliation is not None:
        r = scope.reconciliation.dropna(subset=["stated"])
        off = r[(r["difference"].abs() > 1e-6 * r["stated"].abs().clip(lower=1))]
        lines.append(f"核对 reconciliation: {len(r) - len(off)} of {len(r)} stated figures match"
                     + (f"; differ: {', '.join(off['item'])}" if len(off) else ""))
    return "\n".join(lines)


COMMANDS = {"validate": _cmd_validate, "scope": _cmd_scope, "zones": _cmd_zones,
            "run": _cmd_run}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        return COMMANDS[args.command](args)
    except ValidationError as exc:
        if getattr(args, "format", "text") == "json":
            print(exc.report.to_json())
        else:
            print(exc.report.format_text(), file=sys.stderr)
            print(f"FAILED: {len(exc.report.errors)} errors; nothing was written",
                  file=sys.stderr)
        return 1
    except GisplanError as exc:
        if getattr(args, "format", "text") == "json":
            from gisplan.report import Report

            report = Report()
            report.add("error", "plan.toml" if isinstance(exc, PlanError) else "input",
                       type(exc).__name__, str(exc))
            print(report.to_json())
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130
