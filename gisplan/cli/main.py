"""The ``gisplan`` command: a thin shell over the Python API.

User mistakes (a :class:`~gisplan.errors.GisplanError`) become a message on
stderr and exit code 1, with nothing written; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

from gisplan import __version__
from gisplan.cli import commands, review
from gisplan.errors import GisplanError, PlanError, ValidationError
from gisplan.inputs.io import ENGINES
from gisplan.outputs.staging import check_out_path

log = logging.getLogger("gisplan")


def _parser() -> argparse.ArgumentParser:
    from gisplan.cli.programme import add_as_of

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
        _verbosity_options(c)
        return c

    v = plan_command("validate", "check a plan folder and list every problem", out=False)
    v.add_argument("--format", choices=("text", "json"), default="text")
    for name, help_ in (("scope", "compute per-area scope, cost and funding tables"),
                        ("zones", "detect contiguous renovation zones (集中连片)")):
        c = plan_command(name, help_, out=True,
                         engines=(*ENGINES, "dask") if name == "scope" else ENGINES)
        _max_gap_option(c)
        if name == "scope":
            _dask_options(c)
    c = plan_command("run", "the whole job: validate, scope, zones and their files", out=True)
    _max_gap_option(c)
    _shp_encoding_option(c)
    _online_option(c)
    add_as_of(c)  # used when the plan has [programme]
    _export_parsers(sub, plan_command)
    _map_parser(sub, plan_command)
    c = plan_command("partition", "write the plan as Hilbert-partitioned GeoParquet for "
                     "--engine dask", out=True)
    c.add_argument("--npartitions", type=int, required=True, metavar="K",
                   help="partitions of the buildings layer (other layers: as many rows each)")
    for module in _command_modules():
        module.add_parser(sub, plan_command)
    return p


#: Modules of further commands, each with ``add_parser(sub, plan_command)`` and ``COMMANDS``
#: (name -> function of the parsed arguments returning the exit code).
COMMAND_MODULES: tuple[str, ...] = ("gisplan.cli.programme", "gisplan.cli.access",
                                   "gisplan.cli.sheets", "gisplan.cli.select")


def _command_modules() -> list:
    import importlib

    return [importlib.import_module(name) for name in COMMAND_MODULES]


def _max_gap_option(c: argparse.ArgumentParser) -> None:
    """``--max-gap-m`` (checked to be >= 0 in gisplan.cli.commands, so that a bad value exits 1)."""
    c.add_argument("--max-gap-m", type=float, default=None, metavar="M",
                   help="largest gap between communities of one zone (default: plan.toml)")


def _online_option(c: argparse.ArgumentParser) -> None:
    """``--online`` for every command that writes a page."""
    c.add_argument("--online", action="store_true",
                   help="link Leaflet from a CDN instead of inlining it (smaller pages that "
                        "need internet to open)")


def _dask_options(c: argparse.ArgumentParser) -> None:
    """``scope --engine dask`` (see gisplan.engines.distributed)."""
    c.add_argument("--scheduler", metavar="ADDRESS",
                   help="dask scheduler to run on (tcp://host:8786); default: a local cluster")
    c.add_argument("--workers", type=int, default=None, metavar="N",
                   help="workers of the local cluster (default: one per core)")


def _map_parser(sub, plan_command) -> None:
    """``map`` (see gisplan.outputs.webmap)."""
    from gisplan.plan.settings import BASEMAPS, METRICS

    c = plan_command("map", "interactive web map OUT_DIR/map.html (opens offline by "
                     "double-click)", out=True)
    _online_option(c)
    c.add_argument("--basemap", choices=BASEMAPS, default=None,
                   help="basemap on open (default: plan.toml [map], else none; Tianditu needs "
                        "[map] tianditu_token or TIANDITU_TOKEN)")
    c.add_argument("--metric", choices=METRICS, default=None,
                   help="community colouring on open (default: plan.toml [map], else "
                        "households)")
    _max_gap_option(c)


def _shp_encoding_option(c: argparse.ArgumentParser) -> None:
    """``--shp-encoding`` of ``export`` and ``run`` (names outside GBK need UTF-8)."""
    c.add_argument("--shp-encoding", choices=("GBK", "UTF-8"), default="GBK",
                   help="Shapefile text encoding, written in the .cpg (default: GBK)")


def _export_parsers(sub, plan_command) -> None:
    """``export``, ``review`` and ``diff``."""
    c = plan_command("export", "layers for design firms: GeoJSON, GeoPackage, Shapefile, DXF; "
                     "一区一案 packages", out=True)
    c.add_argument("--format", action="append", choices=("geojson", "gpkg", "shp", "dxf"),
                   help="format to write; repeat for several (default: all four)")
    c.add_argument("--community", metavar="ID", help="export only this community")
    _shp_encoding_option(c)
    c.add_argument("--packages", action="store_true",
                   help="also write OUT_DIR/packages/<community_id>/ (一区一案)")
    c.add_argument("--zip", action="store_true", help="write each package as a .zip")
    _max_gap_option(c)
    _online_option(c)
    c = plan_command("review", "site-plan review (选址审查) of proposed facilities", out=True)
    c.add_argument("--proposal", type=Path, required=True, metavar="FILE",
                   help="layer of proposed facilities (facility_id, item, community_id), or a "
                        "DXF site plan with --cad-mapping")
    c.add_argument("--cad-mapping", type=Path, metavar="FILE",
                   help="for a DXF proposal: TOML mapping CAD layers/blocks to work items and "
                        "giving the drawing's crs (see gisplan.inputs.cad)")
    c.add_argument("--rules", type=Path, metavar="FILE",
                   help="rules TOML overriding gisplan/plan/data/review_rules.toml")
    c.add_argument("--fire-lanes", type=Path, metavar="FILE",
                   help="fire-lane centrelines with lane_id and width_m")
    c.add_argument("--markup", type=Path, metavar="FILE",
                   help="reviewer markup GeoJSON (reviewer, time, comment, status) to list")
    _online_option(c)
    c = sub.add_parser("diff", help="what changed between two versions of a plan",
                       description="what changed between two versions of a plan")
    c.add_argument("old_dir", metavar="OLD_PLAN_DIR", type=Path)
    c.add_argument("new_dir", metavar="NEW_PLAN_DIR", type=Path)
    c.add_argument("--out", "-o", type=Path, required=True, metavar="OUT_DIR")
    c.add_argument("--tolerance-m", type=float, default=0.01, metavar="M",
                   help="geometry differences up to this are no change (default: 0.01)")
    c.add_argument("--engine", choices=ENGINES, default="pyogrio")
    c.add_argument("--repair", action="store_true")
    _online_option(c)
    _verbosity_options(c)


COMMANDS = {**{name: getattr(commands, f"cmd_{name}") for name in (
    "validate", "scope", "zones", "run", "map", "export", "partition")},
    "review": review.cmd_review, "diff": review.cmd_diff}


def _command(name: str):
    if name in COMMANDS:
        return COMMANDS[name]
    for module in _command_modules():
        if name in module.COMMANDS:
            return module.COMMANDS[name]
    raise KeyError(name)



def _verbosity_options(c: argparse.ArgumentParser) -> None:
    g = c.add_mutually_exclusive_group()
    g.add_argument("--quiet", "-q", action="store_true",
                   help="print nothing but errors (warnings still go to OUT/warnings.csv)")
    g.add_argument("--verbose", "-v", action="store_true",
                   help="print every warning, one a line, and every library warning")


def _crash_report(args: argparse.Namespace, exc: BaseException) -> Path | None:
    """Write the traceback beside OUT (or in the working folder); return its path."""
    import datetime
    import platform
    import traceback

    stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S")
    out = getattr(args, "out", None)
    places = ([Path(out).absolute().parent / f"{Path(out).name}.gisplan-error-{stamp}.txt"]
              if out is not None else [])
    places.append(Path(tempfile.gettempdir()) / f"gisplan-error-{stamp}.txt")
    text = (f"gisplan {__version__} on Python {platform.python_version()} "
            f"({platform.platform()})\ncommand: {' '.join(sys.argv)}\n"
            f"step: {commands.STATE['step']}\n\n"
            + "".join(traceback.format_exception(exc)))
    for path in places:
        try:
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def _report_library_warnings(caught: list[warnings.WarningMessage], verbose: bool) -> None:
    """Library warnings (pyogrio, shapely, pandas...) grouped by where they come from."""
    if not caught:
        return
    if verbose:
        for w in caught:
            print(f"library warning: {w.category.__name__}: {w.message} "
                  f"({Path(w.filename).name}:{w.lineno})", file=sys.stderr)
        return
    groups: dict[tuple[str, str], int] = {}
    for w in caught:
        key = (w.category.__name__, str(w.message).splitlines()[0][:80])
        groups[key] = groups.get(key, 0) + 1
    shown = "; ".join(f"{n} × {cat}: {msg}" for (cat, msg), n in list(groups.items())[:3])
    print(f"note: {len(caught)} library warnings ({shown}); --verbose lists them",
          file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    0: done; 1: a problem in the input or the options, with a located message and
    nothing written; 2: an unexpected failure, with one line on stderr and a full
    report written beside OUT; 130: interrupted.
    """
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    verbose, quiet = getattr(args, "verbose", False), getattr(args, "quiet", False)
    commands.STATE.update(step=args.command, warnings=[], verbosity=1 if verbose else
                          -1 if quiet else 0)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if getattr(args, "out", None) is not None:
                check_out_path(args.out, commands.input_paths(args))
            code = _command(args.command)(args)
        if not quiet:
            _report_library_warnings(caught, verbose)
        return code
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
            from gisplan.inputs.problems import Report

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
    except Exception as exc:  # the one place a bug becomes a message, never a traceback
        path = _crash_report(args, exc)
        where = f"; full report: {path}" if path else ""
        print(f"gisplan: unexpected failure in step '{commands.STATE['step']}' "
              f"({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''})"
              f"; the output folder was left as it was{where}", file=sys.stderr)
        return 2
