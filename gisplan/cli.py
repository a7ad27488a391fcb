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

    def plan_command(name: str, help_: str, *, out: bool,
                     engines: tuple[str, ...] = ENGINES) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_, description=help_)
        c.add_argument("plan_dir", metavar="PLAN_DIR", type=Path, help="plan folder (plan.toml)")
        if out:
            c.add_argument("--out", "-o", type=Path, required=True, metavar="OUT_DIR",
                           help="output folder (created; files of the same name are replaced)")
        c.add_argument("--engine", choices=engines, default="pyogrio",
                       help="GDAL binding for reading layers (default: pyogrio)"
                       + ("; dask: compute on a dask cluster (see --scheduler)"
                          if "dask" in engines else ""))
        c.add_argument("--repair", action="store_true",
                       help="repair invalid geometries with make_valid instead of failing")
        return c

    v = plan_command("validate", "check a plan folder and list every problem", out=False)
    v.add_argument("--format", choices=("text", "json"), default="text")
    for name, help_ in (("scope", "compute per-area scope, cost and funding tables"),
                        ("zones", "detect contiguous renovation zones (集中连片)")):
        c = plan_command(name, help_, out=True,
                         engines=(*ENGINES, "dask") if name == "scope" else ENGINES)
        c.add_argument("--max-gap-m", type=float, default=None, metavar="M",
                       help="largest gap between communities of one zone (default: plan.toml)")
        if name == "scope":
            _dask_options(c)
    c = plan_command("run", "the whole job: validate, scope, zones and their files", out=True)
    c.add_argument("--max-gap-m", type=float, default=None, metavar="M",
                   help="largest gap between communities of one zone (default: plan.toml)")
    _export_parsers(sub, plan_command)
    _map_parser(sub, plan_command)
    c = plan_command("partition", "write the plan as Hilbert-partitioned GeoParquet for "
                     "--engine dask", out=True)
    c.add_argument("--npartitions", type=int, required=True, metavar="K",
                   help="partitions of the buildings layer (other layers: as many rows each)")
    return p


def _dask_options(c: argparse.ArgumentParser) -> None:
    """``scope --engine dask`` (see gisplan.distributed)."""
    c.add_argument("--scheduler", metavar="ADDRESS",
                   help="dask scheduler to run on (tcp://host:8786); default: a local cluster")
    c.add_argument("--workers", type=int, default=None, metavar="N",
                   help="workers of the local cluster (default: one per core)")


def _map_parser(sub, plan_command) -> None:
    """``map`` (see gisplan.webmap)."""
    from gisplan.webmap.options import BASEMAPS, METRICS

    c = plan_command("map", "interactive web map OUT_DIR/map.html (opens offline by "
                     "double-click)", out=True)
    c.add_argument("--online", action="store_true",
                   help="link Leaflet from a CDN instead of inlining it (smaller, needs internet)")
    c.add_argument("--basemap", choices=BASEMAPS, default=None,
                   help="basemap on open (default: plan.toml [map], else none; Tianditu needs "
                        "[map] tianditu_token or TIANDITU_TOKEN)")
    c.add_argument("--metric", choices=METRICS, default=None,
                   help="community colouring on open (default: plan.toml [map], else "
                        "households)")
    c.add_argument("--max-gap-m", type=float, default=None, metavar="M",
                   help="largest gap between communities of one zone (default: plan.toml)")


def _export_parsers(sub, plan_command) -> None:
    """``export``, ``review`` and ``diff`` (see gisplan.export, gisplan.review, gisplan.diff)."""
    c = plan_command("export", "layers for design firms: GeoJSON, GeoPackage, Shapefile, DXF; "
                     "一区一案 packages", out=True)
    c.add_argument("--format", action="append", choices=("geojson", "gpkg", "shp", "dxf"),
                   help="format to write; repeat for several (default: all four)")
    c.add_argument("--community", metavar="ID", help="export only this community")
    c.add_argument("--shp-encoding", choices=("GBK", "UTF-8"), default="GBK",
                   help="Shapefile text encoding, written in the .cpg (default: GBK)")
    c.add_argument("--packages", action="store_true",
                   help="also write OUT_DIR/packages/<community_id>/ (一区一案)")
    c.add_argument("--zip", action="store_true", help="write each package as a .zip")
    c.add_argument("--max-gap-m", type=float, default=None, metavar="M",
                   help="largest gap between communities of one zone (default: plan.toml)")
    c = plan_command("review", "site-plan review (选址审查) of proposed facilities", out=True)
    c.add_argument("--proposal", type=Path, required=True, metavar="FILE",
                   help="layer of proposed facilities: facility_id, item, community_id")
    c.add_argument("--rules", type=Path, metavar="FILE",
                   help="rules TOML overriding gisplan/data/review_rules.toml")
    c.add_argument("--fire-lanes", type=Path, metavar="FILE",
                   help="fire-lane centrelines with lane_id and width_m")
    c.add_argument("--markup", type=Path, metavar="FILE",
                   help="reviewer markup GeoJSON (reviewer, time, comment, status) to list")
    c = sub.add_parser("diff", help="what changed between two versions of a plan",
                       description="what changed between two versions of a plan")
    c.add_argument("old_dir", metavar="OLD_PLAN_DIR", type=Path)
    c.add_argument("new_dir", metavar="NEW_PLAN_DIR", type=Path)
    c.add_argument("--out", "-o", type=Path, required=True, metavar="OUT_DIR")
    c.add_argument("--tolerance-m", type=float, default=0.01, metavar="M",
                   help="geometry differences up to this are no change (default: 0.01)")
    c.add_argument("--engine", choices=ENGINES, default="pyogrio")
    c.add_argument("--repair", action="store_true")


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


def _scope_and_zones(args: argparse.Namespace, *, layers: Layers | None = None):
    from gisplan.scope import compute_scope
    from gisplan.zones import detect_zones

    layers = _load(args) if layers is None else layers
    if args.max_gap_m is not None and args.max_gap_m < 0:
        raise GisplanError(f"--max-gap-m must be >= 0, got {args.max_gap_m:g}")
    zones = detect_zones(layers, max_gap_m=args.max_gap_m)
    return zones, compute_scope(layers, zones=zones.membership)


def _report_written(out: Path, written: list[Path]) -> None:
    for path in written:
        print(f"wrote {out / path.name}")


def _cmd_scope(args: argparse.Namespace) -> int:
    from gisplan.report_page import write_report
    from gisplan.tables import write_scope_tables

    if args.engine == "dask":
        from gisplan.distributed import run_scope_dask

        run = run_scope_dask(args.plan_dir, scheduler=args.scheduler, n_workers=args.workers,
                             max_gap_m=args.max_gap_m, repair=args.repair)
        for problem in run.layers.report.warnings:
            print(problem.format(), file=sys.stderr)
        scope = run.scope
    else:
        _, scope = _scope_and_zones(args)
    with staged_output(args.out) as stage:
        written = write_scope_tables(scope, stage)
        written.append(write_report(scope, stage))
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
    from gisplan.export import write_exports, write_zone_files
    from gisplan.packages import write_packages
    from gisplan.report_page import write_report
    from gisplan.tables import write_scope_tables

    layers = _load(args)
    zones, scope = _scope_and_zones(args, layers=layers)
    with staged_output(args.out) as stage:
        written = write_scope_tables(scope, stage) + write_zone_files(zones, scope, stage)
        written.append(write_report(scope, stage, plan_name=layers.plan.name))
        written.append(stage / "exports")
        write_exports(layers, scope, zones, stage / "exports")
        written.append(stage / "packages")
        write_packages(layers, scope, zones, stage / "packages",
                       map_writer=_package_map_writer(layers, scope, zones))
        written += _write_map(layers, scope, zones, stage)
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
    from gisplan.webmap import build_map, write_map

    webmap = build_map(layers, scope, zones, offline=not online,
                       **_map_options(layers, basemap=basemap, metric=metric))
    return write_map(webmap, stage)


def _package_map_writer(layers: Layers, scope, zones):
    """``map_writer`` for :func:`gisplan.packages.write_packages`: each community's own map."""
    from gisplan.webmap.community import build_community_map

    options = _map_options(layers)

    def write(own, path: Path) -> None:
        community_id = own["communities"]["community_id"].iloc[0]
        webmap = build_community_map(layers, scope, zones, community_id, **options)
        path.write_text(webmap.html, encoding="utf-8")

    return write


def _cmd_map(args: argparse.Namespace) -> int:
    layers = _load(args)
    zones, scope = _scope_and_zones(args, layers=layers)
    with staged_output(args.out) as stage:
        written = _write_map(layers, scope, zones, stage, online=args.online,
                             basemap=args.basemap, metric=args.metric)
    _report_written(args.out, written)
    return 0


def _top_level(stage: Path, written: list[Path]) -> list[Path]:
    """The files and folders directly in ``stage`` that hold ``written``."""
    return [stage / name for name in dict.fromkeys(p.relative_to(stage).parts[0]
                                                   for p in written)]


def _cmd_export(args: argparse.Namespace) -> int:
    from gisplan.export import FORMATS, write_exports
    from gisplan.packages import write_packages

    layers = _load(args)
    zones, scope = _scope_and_zones(args, layers=layers)
    with staged_output(args.out) as stage:
        written = write_exports(layers, scope, zones, stage, formats=args.format or FORMATS,
                                community=args.community, shp_encoding=args.shp_encoding)
        if args.packages or args.zip:
            written += write_packages(
                layers, scope, zones, stage / "packages", as_zip=args.zip,
                communities=None if args.community is None else [args.community],
                map_writer=_package_map_writer(layers, scope, zones))
        written = _top_level(stage, written)
    _report_written(args.out, written)
    return 0


def _cmd_review(args: argparse.Namespace) -> int:
    from gisplan.review import load_rules, review_proposals
    from gisplan.review_input import read_fire_lanes, read_markup, read_proposal
    from gisplan.review_map import review_map
    from gisplan.review_report import write_review

    rules = load_rules(args.rules)
    layers = _load(args)
    proposals = read_proposal(args.proposal, layers, engine=args.engine)
    lanes = (None if args.fire_lanes is None
             else read_fire_lanes(args.fire_lanes, layers, engine=args.engine))
    markup = None if args.markup is None else read_markup(args.markup, layers, engine=args.engine)
    inputs = {k: str(v) for k, v in (("plan", args.plan_dir), ("proposal", args.proposal),
                                     ("rules", args.rules), ("fire_lanes", args.fire_lanes),
                                     ("markup", args.markup)) if v is not None}
    review = review_proposals(layers, proposals, rules=rules, fire_lanes=lanes, markup=markup,
                              inputs=inputs)
    with staged_output(args.out) as stage:
        written = write_review(review, stage, map_html=review_map(layers, fire_lanes=lanes))
    _report_written(args.out, written)
    f = review.findings
    print(f"{len(review.proposals)} proposals, {len(f)} checks: {int((~f['passed']).sum())} "
          f"failed; {int((~review.proposals['passed']).sum())} proposals need changes; "
          f"违建台账 ledger {len(review.ledger)} structures")
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from gisplan.diff import diff_plans, write_diff
    from gisplan.diff_map import write_diff_map
    from gisplan.scope import compute_scope

    if args.tolerance_m < 0:
        raise GisplanError(f"--tolerance-m must be >= 0, got {args.tolerance_m:g}")
    old = load_layers(args.old_dir, engine=args.engine, repair=args.repair)
    new = load_layers(args.new_dir, engine=args.engine, repair=args.repair)
    diff = diff_plans(old, new, old_scope=compute_scope(old), new_scope=compute_scope(new),
                      tolerance_m=args.tolerance_m)
    with staged_output(args.out) as stage:
        written = write_diff(diff, stage)
        written.append(write_diff_map(diff, stage, old_name=old.plan.name,
                                      new_name=new.plan.name, context=new.communities))
    _report_written(args.out, written)
    counts = diff.features["change"].value_counts()
    print("features: " + (", ".join(f"{n} {k}" for k, n in counts.items()) or "no change"))
    return 0


def _cmd_partition(args: argparse.Namespace) -> int:
    from gisplan.partition import partition_plan

    if args.out.resolve() == args.plan_dir.resolve():
        raise GisplanError(f"--out {args.out}: is the plan folder itself; write somewhere else")
    with staged_output(args.out) as stage:
        partition_plan(args.plan_dir, stage, npartitions=args.npartitions, engine=args.engine,
                       repair=args.repair)
        written = sorted(stage.iterdir())
    _report_written(args.out, written)
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
            "run": _cmd_run, "export": _cmd_export, "review": _cmd_review, "diff": _cmd_diff,
            "map": _cmd_map, "partition": _cmd_partition}


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
