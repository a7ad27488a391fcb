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
from gisplan.errors import GisplanError, ValidationError
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
    plan_command("scope", "compute per-area scope, cost and funding tables", out=True)
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


def _cmd_scope(args: argparse.Namespace) -> int:
    from gisplan.scope import compute_scope
    from gisplan.tables import write_scope_tables

    layers = _load(args)
    scope = compute_scope(layers)
    with staged_output(args.out) as stage:
        written = write_scope_tables(scope, stage)
    for path in written:
        print(f"wrote {args.out / path.name}")
    return 0


COMMANDS = {"validate": _cmd_validate, "scope": _cmd_scope}


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
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130
