"""``gisplan select``: which communities in which year, optimally, under the yearly budgets.

Budgets, objective and zones come from plan.toml ``[selection]``; the command line
replaces them. ``gisplan run`` calls :func:`write_selection_step` when the plan has
``[selection]``.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import replace
from pathlib import Path

from gisplan.errors import GisplanError
from gisplan.plan.selection import OBJECTIVES, SelectionSettings, parse_budget_flags


def add_parser(sub, plan_command) -> None:
    """``select`` and its options."""
    c = plan_command("select", "choose which communities to renovate in which year under the "
                     "yearly budgets (分年度改造计划), optimally", out=True)
    c.add_argument("--budget", action="append", metavar="YEAR=CNY",
                   help="a year's budget in CNY; repeat for each year, in order (replaces "
                        "plan.toml [selection] budgets)")
    c.add_argument("--objective", choices=OBJECTIVES, default=None,
                   help="maximise households, or the communities' priority column "
                        "(default: plan.toml, else households)")
    c.add_argument("--no-keep-zones", action="store_true",
                   help="choose communities one by one instead of whole contiguous zones")
    c.add_argument("--time-limit", type=float, default=None, metavar="S",
                   help="seconds for the solver (default: plan.toml time_limit_s, else 60); "
                        "when it stops the solver the files say so, with the gap")
    c.add_argument("--max-gap-m", type=float, default=None, metavar="M",
                   help="largest gap between communities of one zone (default: plan.toml)")


def settings_from(args: argparse.Namespace, plan_settings: SelectionSettings | None
                  ) -> SelectionSettings:
    """The plan's ``[selection]`` with the command line's values in their place.

    Raises
    ------
    GisplanError
        No budgets anywhere, a malformed ``--budget`` or a bad ``--time-limit``.
    """
    limit = args.time_limit
    if limit is not None and not (math.isfinite(limit) and 0 < limit <= 86_400):
        raise GisplanError(f"--time-limit must be a number of seconds > 0 and <= 86400, "
                           f"got {limit:g}")
    if args.budget:
        budgets = parse_budget_flags(args.budget)
    elif plan_settings is not None:
        budgets = plan_settings.budgets
    else:
        raise GisplanError(
            f"{args.plan_dir / 'plan.toml'}: no budgets to select under: the plan has no "
            "[selection] section and no --budget was given; add to plan.toml\n"
            "  [selection]\n  budgets = { \"2021\" = 60000000, \"2022\" = 50000000 }\n"
            "or give --budget 2021=60000000 --budget 2022=50000000")
    base = plan_settings or SelectionSettings(budgets=budgets)
    return replace(base, budgets=budgets, objective=args.objective or base.objective,
                   keep_zones_together=base.keep_zones_together and not args.no_keep_zones,
                   time_limit_s=base.time_limit_s if limit is None else limit)


def write_selection_step(layers, scope, zones, stage: Path, settings: SelectionSettings, *,
                         plan_name: str = "") -> tuple[list[Path], object]:
    """Choose and write ``selection.csv``, ``selection_summary.csv``, ``selection.json`` and
    ``selection.html`` into ``stage``; too-expensive communities become warnings."""
    from gisplan.analysis.selection import select
    from gisplan.analysis.selection_candidates import candidates
    from gisplan.cli import commands
    from gisplan.inputs.problems import Report
    from gisplan.inputs.validation import file_column
    from gisplan.outputs.pages.selection import write_selection_page
    from gisplan.outputs.selection import solver_report, write_selection

    cand = candidates(layers, scope, zones, objective=settings.objective,
                      keep_zones_together=settings.keep_zones_together)
    chosen = select(cand, settings.budgets, time_limit=settings.time_limit_s,
                    year_field=file_column(layers.plan, "communities", "year"))
    report = solver_report(chosen, objective=settings.objective,
                           keep_zones_together=settings.keep_zones_together,
                           time_limit_s=settings.time_limit_s, budgets=settings.budgets)
    found = Report()
    for cid, note in chosen.chosen["note"][chosen.chosen["note"] != ""].items():
        found.add("warning", "communities", "too_expensive", note, feature_id=str(cid))
    commands.STATE["warnings"] = list(commands.STATE["warnings"]) + found.warnings  # type: ignore
    if found.warnings and commands.STATE["verbosity"] >= 0:
        lines = ([p.format() for p in found.warnings] if commands.STATE["verbosity"] > 0
                 else commands.grouped_lines(found.warnings))
        print("\n".join(lines), file=sys.stderr)
    written = write_selection(chosen, cand, stage, report=report)
    written.append(write_selection_page(chosen, cand, layers.communities, stage,
                                        report=report, plan_name=plan_name))
    return written, chosen


def summary_line(chosen) -> str:
    """One line for the terminal: status, total, gap and what each year takes."""
    from gisplan.analysis.selection import STATUS_ZH

    years = "; ".join(f"{r.year}: {r.candidates} 社区 communities, {r.cost_cny / 1e4:,.1f}/"
                      f"{r.budget_cny / 1e4:,.1f} 万元" for r in chosen.years.itertuples())
    return (f"分年度 selection: {STATUS_ZH[chosen.status]}; total weight "
            f"{chosen.objective:,.6g} (bound {chosen.bound:,.6g}, gap {100 * chosen.gap:.3g} %);"
            f" {years}")


def cmd_select(args: argparse.Namespace) -> int:
    from gisplan.cli import commands
    from gisplan.plan.settings import read_plan

    commands.check_max_gap_flag(args.max_gap_m)
    settings = settings_from(args, read_plan(args.plan_dir).selection)
    layers = commands.load_plan(args)
    zones, scope = commands.scope_and_zones(args, layers=layers)
    commands.STATE["step"] = "分年度 selection"
    with commands.staged(args.out, commands.input_paths(args)) as stage:
        written, chosen = write_selection_step(layers, scope, zones, stage, settings,
                                               plan_name=layers.plan.name)
    commands.report_written(args.out, written)
    print(summary_line(chosen))
    return 0


COMMANDS = {"select": cmd_select}
