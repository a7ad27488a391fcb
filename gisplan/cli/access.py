"""``gisplan access`` and ``gisplan sites``: walking access to services, and where to add them.

Examples
--------
::

    gisplan access layers/hunchun2020 --out out/access
    gisplan sites layers/hunchun2020 --kind kindergarten --count 2 --out out/sites
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gisplan.cli.commands import (
    input_paths,
    load_plan,
    print_warnings,
    progress,
    report_written,
    staged,
)
from gisplan.inputs.validation import Layers


def add_parser(sub, plan_command) -> None:
    """Register ``access`` and ``sites``."""
    c = plan_command("access", "walking access to services (生活圈步行可达性): access.csv, "
                     "coverage.csv, access.html", out=True)
    c.add_argument("--online", action="store_true",
                   help="link Leaflet from a CDN instead of inlining it")
    c = plan_command("sites", "choose candidate sites that bring the most households within "
                     "walking distance of a kind of service (optimal, integer programming)",
                     out=True)
    c.add_argument("--kind", required=True, metavar="KIND",
                   help="kind of service (gisplan/plan/data/service_standards.csv)")
    c.add_argument("--count", type=int, required=True, metavar="K", help="sites to choose")


def cmd_access(args: argparse.Namespace) -> int:
    from gisplan.analysis.access import compute_access
    from gisplan.outputs.access import write_access

    layers = load_plan(args)
    access = compute_access(layers)
    print_warnings(access)
    with staged(args.out, input_paths(args)) as stage:
        written = write_access(access, layers, stage, offline=not args.online)
    report_written(args.out, written)
    print(access_summary(access))
    return 0


def access_summary(access) -> str:
    """One line per kind: households within of all, at the city level."""
    city = access.coverage[access.coverage["level"] == "city"].set_index("kind")
    lines = []
    for r in access.kinds.itertuples(index=False):
        c = city.loc[r.kind]
        share = "" if c["households"] == 0 else f" ({c['share_within']:.1%})"
        lines.append(f"{r.name_zh} {r.kind} ≤ {r.max_walk_m:g} m: {c['households_within']:,} of "
                     f"{c['households']:,} households{share}")
    return "\n".join(lines) or "no services"


def cmd_sites(args: argparse.Namespace) -> int:
    from gisplan.analysis.sites import choose_sites
    from gisplan.errors import GisplanError
    from gisplan.outputs.access import write_sites

    if args.count < 1:
        raise GisplanError(f"--count must be >= 1, got {args.count}")
    layers = load_plan(args)
    choice = choose_sites(layers, kind=args.kind, count=args.count)
    print_warnings(choice)
    with staged(args.out, input_paths(args)) as stage:
        written = write_sites(choice, stage)
    report_written(args.out, written)
    last = choice.table["households_within_total"].iloc[-1]
    print(f"{args.kind} ≤ {choice.max_walk_m:g} m: {choice.households_within_before:,} → "
          f"{last:,} of {choice.households:,} households with "
          f"{', '.join(choice.table['site_id'].astype(str))} "
          f"(best {len(choice.table)} of {choice.candidates} candidate sites)")
    return 0


def has_access(plan_dir: Path) -> bool:
    """The plan has roads and services: ``gisplan run`` adds walking access."""
    from gisplan.errors import GisplanError
    from gisplan.plan.settings import read_plan

    try:
        return {"roads", "services"} <= set(read_plan(plan_dir).layers)
    except GisplanError:  # reported by run's validate step
        return False


def access_step(layers: Layers, stage: Path, *, step: int, total: int) -> list[Path]:
    """``run``'s walking access step (``step`` of ``total``): the files of ``gisplan
    access``, its warnings; nothing where the plan has no roads or no services."""
    from gisplan.analysis.access import compute_access
    from gisplan.outputs.access import write_access

    if not {"roads", "services"} <= set(layers.plan.layers):
        return []
    with progress(step, total, "步行可达 access"):
        access = compute_access(layers)
        written = write_access(access, layers, stage)
    print_warnings(access)
    return written


COMMANDS = {"access": cmd_access, "sites": cmd_sites}
