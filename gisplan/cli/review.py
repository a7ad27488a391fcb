"""``gisplan review`` and ``gisplan diff``: a plan set against something else (a site
plan to review, another version of itself)."""

from __future__ import annotations

import argparse
import sys

from gisplan.cli.commands import (
    STATE,
    input_paths,
    load_plan,
    print_warnings,
    report_written,
    staged,
)
from gisplan.errors import GisplanError
from gisplan.inputs.validation import Layers, load_layers
from gisplan.outputs.staging import check_out_path


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

    check_out_path(args.out, input_paths(args))
    rules = load_rules(args.rules)
    layers = load_plan(args)
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
    with staged(args.out, input_paths(args)) as stage:
        written = write_review(review, stage, map_html=review_map(layers, fire_lanes=lanes,
                                                               offline=not args.online))
    report_written(args.out, written)
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
    check_out_path(args.out, input_paths(args))
    old = load_layers(args.old_dir, engine=args.engine, repair=args.repair)
    new = load_layers(args.new_dir, engine=args.engine, repair=args.repair)
    print_warnings(old)
    print_warnings(new)
    diff = diff_plans(old, new, old_scope=compute_scope(old), new_scope=compute_scope(new),
                      tolerance_m=args.tolerance_m)
    with staged(args.out, input_paths(args)) as stage:
        written = write_diff(diff, stage)
        written.append(write_diff_map(diff, stage, old_name=old.plan.name,
                                      new_name=new.plan.name, old_source=_source(old),
                                      new_source=_source(new), context=new.communities,
                                      offline=not args.online))
    report_written(args.out, written)
    counts = diff.features["change"].value_counts()
    print("features: " + (", ".join(f"{n} {k}" for k, n in counts.items()) or "no change"))
    return 0


def _source(layers: Layers) -> str:
    """Where a plan version comes from: its folder and plan.toml's modification date."""
    import datetime

    toml = layers.plan.root / "plan.toml"
    when = datetime.datetime.fromtimestamp(toml.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    return f"{layers.plan.root} · 修改于 modified {when}"
