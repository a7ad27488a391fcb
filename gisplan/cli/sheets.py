"""``gisplan sheets PLAN_DIR --out OUT_DIR``: the plan's map sheets (出图) as PDF and PNG.

OUT_DIR gets ``00_overview.pdf/.png``, ``<community_id>_scope.pdf/.png`` and
``<community_id>_pipes_<network>.pdf/.png`` (one per network with works in the
community) and ``sheets.csv`` listing them (see :mod:`gisplan.outputs.sheets`). Two
forked processes draw them; an error in either is this command's error.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from gisplan.cli.commands import (
    STATE,
    grouped_lines,
    input_paths,
    load_plan,
    scope_and_zones,
    staged,
)
from gisplan.errors import GisplanError
from gisplan.plan.sheets import MAX_DPI, MIN_DPI, PAPERS


def add_parser(sub, plan_command) -> None:
    c = plan_command("sheets", "map sheets (出图): the city overview and each community's "
                     "renovation scope and pipe works (one sheet per network) as PDF "
                     "(fonts embedded) and PNG", out=True)
    c.add_argument("--paper", default=None, metavar="A3|A4",
                   help="landscape paper (default: plan.toml [sheets], else A3)")
    c.add_argument("--dpi", type=float, default=None, metavar="N",
                   help=f"PNG resolution, {MIN_DPI}-{MAX_DPI} (default: plan.toml [sheets], "
                        "else 150)")
    c.add_argument("--community", action="append", metavar="ID",
                   help="draw only this community's sheets (repeat for several; no overview)")
    c.add_argument("--max-gap-m", type=float, default=None, metavar="M",
                   help="largest gap between communities of one zone (default: plan.toml)")


def check_sheet_flags(args: argparse.Namespace) -> None:
    """``--paper`` and ``--dpi`` (checked before anything is read, so a bad value exits 1)."""
    paper = getattr(args, "paper", None)
    if paper is not None and paper not in PAPERS:
        raise GisplanError(f"--paper must be one of {', '.join(PAPERS)}, got '{paper}'")
    dpi = getattr(args, "dpi", None)
    if dpi is not None and not (math.isfinite(dpi) and MIN_DPI <= dpi <= MAX_DPI
                                and dpi == int(dpi)):
        raise GisplanError(f"--dpi must be a whole number from {MIN_DPI} to {MAX_DPI}, "
                           f"got {dpi:g}")


def report_glyphs(enriched) -> None:
    """Names the font cannot draw, as warnings (stderr and OUT/warnings.csv)."""
    from gisplan.outputs.sheets.sheets import glyph_report

    found = glyph_report(enriched).warnings
    if found:
        STATE["warnings"] = list(STATE["warnings"]) + found  # type: ignore[operator]
        if STATE["verbosity"] >= 0:
            print("\n".join(grouped_lines(found)), file=sys.stderr)


def sheet_options(layers):
    """The sheets' title block and paper for a loaded plan (its name, CRS and [sheets])."""
    from gisplan.outputs.sheets.sheets import SheetOptions

    return SheetOptions(plan_name=layers.plan.name, crs=layers.plan.crs,
                        settings=layers.plan.sheets)


def write_plan_sheets(layers, enriched, folder: Path) -> list[Path]:
    """``gisplan run``'s sheets step: every sheet into ``folder``; returns ``[folder]``."""
    from gisplan.outputs.sheets.sheets import write_sheets

    report_glyphs(enriched)
    write_sheets(enriched, folder, sheet_options(layers))
    return [folder]


def package_sheets(layers, enriched, *, drawn: Path | None = None):
    """``sheet_writer`` for ``write_packages``: each community's sheets copied from ``drawn``
    (the folder ``gisplan run`` has just filled), else drawn into its package."""
    from gisplan.outputs.sheets.sheets import package_sheet_writer

    return package_sheet_writer(enriched, sheet_options(layers), drawn=drawn)


def cmd_sheets(args: argparse.Namespace) -> int:
    from gisplan.outputs.exports.layer_files import enrich_layers
    from gisplan.outputs.sheets import write_sheets_for_plan

    check_sheet_flags(args)
    layers = load_plan(args)
    zones, scope = scope_and_zones(args, layers=layers)
    enriched = enrich_layers(layers, scope, zones)
    report_glyphs(enriched)
    t0 = time.perf_counter()
    with staged(args.out, input_paths(args)) as stage:
        STATE["step"] = "出图 sheets"
        written = write_sheets_for_plan(layers, scope, zones, stage, paper=args.paper,
                                        dpi=None if args.dpi is None else int(args.dpi),
                                        communities=args.community, enriched=enriched)
    n = sum(p.suffix == ".pdf" for p in written)
    if STATE["verbosity"] >= 0:
        print(f"wrote {n} sheets (PDF and PNG) in {args.out} in {time.perf_counter() - t0:.1f} s;"
              f" list: {args.out / 'sheets.csv'}")
    return 0


COMMANDS = {"sheets": cmd_sheets}
