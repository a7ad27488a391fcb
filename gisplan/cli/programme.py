"""``gisplan programme PLAN --as-of YYYY-MM-DD --out OUT``: investment, schedule and their page.

Writes ``investment.csv``, ``schedule.csv`` and ``programme.html``; ``gisplan run``
writes them too when the plan has ``[programme]`` (see :func:`programme_step`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

import pandas as pd

from gisplan.errors import GisplanError
from gisplan.inputs.validation import Layers


def add_parser(sub, plan_command) -> None:
    c = plan_command("programme", "investment per project, schedule and who is late: "
                     "investment.csv, schedule.csv, programme.html", out=True)
    add_as_of(c)
    c.add_argument("--online", action="store_true",
                   help="link Leaflet from a CDN instead of inlining it (a smaller page that "
                        "needs internet to open)")


def add_as_of(c: argparse.ArgumentParser) -> None:
    """``--as-of`` (checked by :func:`as_of_day`, so that a bad date exits 1)."""
    c.add_argument("--as-of", metavar="YYYY-MM-DD", default=None,
                   help="the day the milestones' statuses are for (default: today)")


def as_of_day(text: str | None) -> pd.Timestamp:
    """``--as-of`` as a day; today when not given.

    Raises
    ------
    GisplanError
        Not a ``YYYY-MM-DD`` date.
    """
    if text is None:
        return pd.Timestamp(dt.date.today())
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return pd.Timestamp(dt.date.fromisoformat(text))
    except ValueError:
        raise GisplanError(f"--as-of {text!r}: not a date; expected YYYY-MM-DD, e.g. "
                           "2020-09-15") from None


def read_step(layers: Layers):
    """The checked programme of ``layers``' plan (raises before anything is written)."""
    from gisplan.inputs.programme import read_programme

    return read_programme(layers)


def compute_step(layers: Layers, scope, programme, as_of: pd.Timestamp):
    """Investment, schedule and phases (:func:`gisplan.analysis.programme.compute_programme`)."""
    from gisplan.analysis.programme import compute_programme

    return compute_programme(scope, programme, layers.communities, as_of=as_of)


def print_warnings(result) -> None:
    """The programme's warnings (cost in no project) on stderr (none with ``--quiet``), and
    among the command's warnings, which ``warnings.csv`` lists; nothing for None."""
    from gisplan.cli.commands import STATE
    from gisplan.inputs.problems import Problem

    if result is None:
        return

    found = [Problem("warning", "programme", "unallocated_cost", text)
             for text in result.warnings]
    STATE["warnings"] = [*STATE["warnings"], *found]  # type: ignore[misc]
    if STATE["verbosity"] >= 0:  # type: ignore[operator]
        for problem in found:
            print(problem.format(), file=sys.stderr)


def write_step(layers: Layers, result, stage: Path, *, online: bool = False) -> list[Path]:
    """``investment.csv``, ``schedule.csv`` and ``programme.html`` (Leaflet inlined, or
    linked from a CDN if ``online``) into ``stage`` (nothing for None)."""
    from gisplan.outputs.pages.programme import write_programme_page
    from gisplan.outputs.tables import write_programme_tables

    if result is None:
        return []

    return [*write_programme_tables(result, stage),
            write_programme_page(result, stage, layers.communities, plan_name=layers.plan.name,
                                 offline=not online)]


def summary(result) -> str:
    """Two lines for the terminal, each after a line end: investment against the stated
    total, and who is late ("" for None)."""
    if result is None:
        return ""
    a = result.investment.set_index("project_id").loc["all"]
    line = f"\n投资 investment {a['total_cny'] / 1e4:,.1f} 万元"
    if not pd.isna(a["stated_total_cny"]):
        line += (f" vs stated {a['stated_total_cny'] / 1e4:,.1f} 万元 (difference "
                 f"{a['difference_cny'] / 1e4:+,.1f})")
    s = result.schedule["status"].value_counts()
    return (line + f"\n进度 schedule as of {result.as_of:%Y-%m-%d}: {s.get('overdue', 0)} overdue, "
            f"{s.get('due_soon', 0)} due soon, {s.get('done', 0)} done of {len(result.schedule)}")


def cmd_programme(args: argparse.Namespace) -> int:
    from gisplan.analysis.scope import compute_scope
    from gisplan.cli.commands import STATE, input_paths, load_plan, report_written, staged

    as_of = as_of_day(args.as_of)
    layers = load_plan(args)
    programme = read_step(layers)
    STATE["step"] = "项目进度 programme"
    result = compute_step(layers, compute_scope(layers), programme, as_of)
    print_warnings(result)
    with staged(args.out, input_paths(args)) as stage:
        written = write_step(layers, result, stage, online=args.online)
    report_written(args.out, written)
    print(summary(result).lstrip("\n"))
    return 0


COMMANDS = {"programme": cmd_programme}
