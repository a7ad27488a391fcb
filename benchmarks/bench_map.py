"""Benchmark: the web map (``gisplan map``) -- build time, HTML size, page load in Chromium.

For the Hunchun plan (when ``layers/hunchun2020`` exists) and synthetic cities
of N buildings (:mod:`gisplan.inputs.synthetic`, written as GeoParquet; not timed),
layers, zones and scope are computed (not timed), then

* ``build``  -- ``build_map(layers, scope, zones)``, median of ``--repeat`` runs,
* ``size``   -- bytes of ``map.html`` (and of ``map_data/`` in the coarse view),
* ``open``   -- headless Chromium (Debian's, via Playwright) from ``goto`` of the
  ``file://`` page until every layer is drawn (``window.gisplanReady``), median
  of ``--repeat`` page loads, with the JS heap and a zoom-in redraw time,
* ``drawn``  -- features on the map after opening.

``--baseline`` also times a plain folium ``GeoJson`` layer of the buildings
(folium defaults) for comparison.

Usage::

    python benchmarks/bench_map.py --sizes 10000 100000 --repeat 3
    python benchmarks/bench_map.py --sizes 1000000 --repeat 1      # the coarse view
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from gisplan.analysis.scope import compute_scope
from gisplan.analysis.zones import detect_zones
from gisplan.inputs.validation import load_layers
from gisplan.outputs.webmap import build_map, write_map

REPO = Path(__file__).resolve().parents[1]
HUNCHUN = REPO / "layers" / "hunchun2020"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


def _plan(name: str, work: Path) -> tuple:
    if name == "hunchun":
        folder = HUNCHUN
    else:
        from gisplan.inputs.synthetic import make_city
        from gisplan.outputs.plan_folder import write_plan_folder

        folder = write_plan_folder(make_city(int(name), seed=1), work / f"city{name}")
    layers = load_layers(folder)
    zones = detect_zones(layers)
    return layers, compute_scope(layers, zones=zones.membership), zones


def _browser_open(url: str, repeat: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {"open_s": [], "heap_mb": None, "zoom_s": None, "drawn": None,
                           "zoom_in_load_s": None}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for k in range(repeat):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            started = time.perf_counter()
            page.goto(url)
            page.wait_for_function("window.gisplanReady === true", timeout=300_000,
                                   polling=20)
            out["open_s"].append(time.perf_counter() - started)
            if errors:
                raise RuntimeError(f"page errors: {errors}")
            if k == 0 and page.evaluate("!!gisplan.data.coarse"):
                # Coarse view: zoom into the first buildings file's area and time its load.
                t0 = time.perf_counter()
                page.evaluate("""() => { const c = gisplan.data.coarse;
                    const ch = c.chunks.find((x) => x.k === 'buildings');
                    gisplanMap.setView([(ch.b[0] + ch.b[2]) / 2, (ch.b[1] + ch.b[3]) / 2],
                                       c.minZoom + 1, { animate: false }); }""")
                page.wait_for_function("gisplan.loadedFeatures > 0 && gisplan.pending() === 0",
                                       timeout=120_000, polling=20)
                out["zoom_in_load_s"] = time.perf_counter() - t0
                out["loaded"] = page.evaluate("gisplan.loadedFeatures")
            if k == 0:
                out["drawn"] = sum(page.evaluate("gisplan.counts()").values())
                out["heap_mb"] = page.evaluate(
                    "performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null")
                out["zoom_s"] = page.evaluate("""() => new Promise((done) => {
                    const t0 = performance.now();
                    gisplanMap.once('zoomend', () => requestAnimationFrame(() =>
                        requestAnimationFrame(() => done((performance.now() - t0) / 1000))));
                    gisplanMap.setZoom(gisplanMap.getZoom() + 1, { animate: false });
                })""")
            page.close()
        browser.close()
    out["open_s"] = median(out["open_s"])
    return out


def _baseline(layers) -> dict[str, float]:
    """A plain folium GeoJson layer of every building, folium's defaults."""
    import folium

    started = time.perf_counter()
    b = layers.buildings.to_crs(4326)
    m = folium.Map(location=[b.total_bounds[1], b.total_bounds[0]], zoom_start=14)
    folium.GeoJson(b).add_to(m)
    html = m.get_root().render()
    return {"baseline_build_s": time.perf_counter() - started,
            "baseline_mb": len(html.encode()) / 1e6}


def bench(name: str, *, repeat: int, browser: bool, baseline: bool,
          work: Path) -> dict[str, Any]:
    layers, scope, zones = _plan(name, work)
    times, webmap = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        webmap = build_map(layers, scope, zones)
        times.append(time.perf_counter() - started)
    assert webmap is not None
    out_dir = work / f"map-{name}"
    write_map(webmap, out_dir)
    row: dict[str, Any] = {
        "plan": name, "buildings": len(layers.buildings), "pipes": len(layers.pipes),
        "facilities": len(layers.facilities), "coarse": webmap.stats["coarse"],
        "build_s": median(times), "html_mb": webmap.stats["html_bytes"] / 1e6,
        "data_files_mb": sum(len(t.encode()) for t in webmap.files.values()) / 1e6,
    }
    if browser:
        row.update(_browser_open((out_dir / "map.html").as_uri(), repeat))
    if baseline:
        row.update(_baseline(layers))
    return row


def _table(rows: list[dict[str, Any]]) -> str:
    head = ("| plan | buildings | view | build | map.html | map_data/ | open in Chromium | "
            "zoom redraw | zoom in, load area | JS heap |\n"
            "|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        def f(key: str, fmt: str, unit: str, r: dict = r) -> str:
            return "–" if r.get(key) is None else f"{r[key]:{fmt}} {unit}"
        lines.append(
            f"| {r['plan']} | {r['buildings']:,} | {'coarse' if r['coarse'] else 'full'} | "
            f"{f('build_s', '.2f', 's')} | {f('html_mb', '.1f', 'MB')} | "
            f"{f('data_files_mb', '.1f', 'MB') if r['coarse'] else '–'} | "
            f"{f('open_s', '.2f', 's')} | {f('zoom_s', '.2f', 's')} | "
            f"{f('zoom_in_load_s', '.2f', 's')} | {f('heap_mb', '.0f', 'MB')} |")
        if "baseline_mb" in r:
            lines.append(f"| {r['plan']} plain folium GeoJson (buildings only) | "
                         f"{r['buildings']:,} | – | {r['baseline_build_s']:.2f} s | "
                         f"{r['baseline_mb']:.1f} MB | – | – | – | – | – |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", nargs="*", default=["hunchun", "10000", "100000"],
                   help="'hunchun' and/or numbers of buildings (default: hunchun 10000 100000)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--no-browser", action="store_true", help="skip the Chromium timings")
    p.add_argument("--baseline", action="store_true", help="also time plain folium GeoJson")
    p.add_argument("--json", type=Path, help="write the rows as JSON too")
    args = p.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_map-") as tmp:
        for name in args.sizes:
            if name == "hunchun" and not (HUNCHUN / "plan.toml").exists():
                print("skipping hunchun: layers/hunchun2020 is missing", file=sys.stderr)
                continue
            row = bench(name, repeat=args.repeat, browser=not args.no_browser,
                        baseline=args.baseline, work=Path(tmp))
            print(json.dumps(row), file=sys.stderr)
            rows.append(row)
    print(_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
