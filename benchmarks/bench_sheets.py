"""Benchmark: map sheets (出图) per sheet and for a whole plan, and their memory.

Draws the overview and every community's sheets (scope, and pipe works per network)
of a plan one at a time in one process, as each of ``gisplan sheets``'s two workers
does (:func:`gisplan.outputs.sheets.write_sheets`), and
reports per kind of sheet the median wall and CPU time, the whole run's time
and the peak resident memory after every tenth community (flat when each figure
is closed after saving). Loading, zones, scope and enrichment are not timed.

Usage::

    python benchmarks/bench_sheets.py                       # the bundled Hunchun plan
    python benchmarks/bench_sheets.py --city 10000 --max 60  # a synthetic city, 60 communities
    python benchmarks/bench_sheets.py --formats pdf --dpi 100
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import matplotlib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gisplan.analysis.scope import compute_scope  # noqa: E402
from gisplan.analysis.zones import detect_zones  # noqa: E402
from gisplan.inputs.validation import load_layers  # noqa: E402
from gisplan.outputs.exports.layer_files import enrich_layers  # noqa: E402
from gisplan.outputs.sheets.font import rc_params  # noqa: E402
from gisplan.outputs.sheets.sheets import (  # noqa: E402
    SheetOptions,
    community_sheets,
    overview_sheet,
    sheet_texts,
)
from gisplan.plan.sheets import SheetSettings  # noqa: E402


def _plan(city: int | None, tmp: Path) -> Path:
    if city is None:
        return ROOT / "layers" / "hunchun2020"
    from gisplan.inputs.synthetic import make_city
    from gisplan.outputs.plan_folder import write_plan_folder

    return write_plan_folder(make_city(city, seed=1), tmp / "city")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--city", type=int, default=None, metavar="N",
                    help="a synthetic city of N buildings instead of Hunchun")
    ap.add_argument("--max", type=int, default=None, help="at most this many communities")
    ap.add_argument("--paper", default="A3")
    ap.add_argument("--dpi", type=int, default=150)
    ap.add_argument("--formats", default="pdf,png")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        layers = load_layers(_plan(args.city, tmp))
        zones = detect_zones(layers)
        scope = compute_scope(layers, zones=zones.membership)
        enriched = enrich_layers(layers, scope, zones)
        options = SheetOptions(layers.plan.name, layers.plan.crs,
                               SheetSettings(paper=args.paper, dpi=args.dpi),
                               formats=tuple(args.formats.split(",")))
        ids = layers.communities["community_id"].astype(str).tolist()[:args.max]
        out = tmp / "sheets"
        out.mkdir()
        times: dict[str, list[tuple[float, float]]] = {"overview": [], "community": []}
        rss = []
        start = time.perf_counter()
        with matplotlib.rc_context(rc_params(sheet_texts(enriched, options))):
            w, c = time.perf_counter(), time.process_time()
            overview_sheet(enriched, out, options)
            times["overview"].append((time.perf_counter() - w, time.process_time() - c))
            for i, cid in enumerate(ids):
                w, c = time.perf_counter(), time.process_time()
                sheets = community_sheets(enriched, cid, out, options, number=str(i + 1))
                n = max(len(sheets), 1)
                times["community"] += [((time.perf_counter() - w) / n,
                                        (time.process_time() - c) / n)] * n
                if i % 10 == 0:
                    rss.append(round(_rss_mb()))
        total = time.perf_counter() - start
    print(f"plan: {layers.plan.name}, {len(ids)} communities, paper {args.paper}, "
          f"{args.dpi} dpi, formats {args.formats}")
    for kind, t in times.items():
        print(f"{kind:10s} sheets {len(t):4d}  median wall {median(x for x, _ in t):.2f} s  "
              f"CPU {median(y for _, y in t):.2f} s per sheet")
    print(f"all {sum(len(t) for t in times.values())} sheets: {total:.1f} s wall; "
          f"peak RSS every 10 communities (MB): {rss}")


if __name__ == "__main__":
    main()
