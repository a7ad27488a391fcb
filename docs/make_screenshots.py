"""Screenshots of the Hunchun web map for the README: ``docs/hunchun_map.png``, its zones
(``hunchun_zones.png``), its print mode (``hunchun_map_print.png``) and one 一区一案
package's map with its neighbours named (``hunchun_package_map.png``).

Builds the map of ``layers/hunchun2020`` exactly as ``gisplan map`` does,
opens it over file:// in headless Chromium (Debian's ``chromium``, driven by
Playwright), opens one community's popup and saves the picture. Rerun it
after changing the map::

    python docs/make_screenshots.py [--out docs/hunchun_map.png]

Chinese text needs a CJK font on the machine (``apt-get install
fonts-wqy-zenhei`` or ``fonts-noto-cjk``); without one it shows as boxes.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout

from gisplan.analysis.scope import compute_scope  # noqa: E402
from gisplan.analysis.zones import detect_zones  # noqa: E402
from gisplan.inputs.validation import load_layers  # noqa: E402
from gisplan.outputs.webmap import build_map, write_map  # noqa: E402
from gisplan.outputs.webmap.community import build_community_map  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--hide-scrollbars"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--plan", type=Path, default=REPO / "layers" / "hunchun2020")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "hunchun_map.png")
    p.add_argument("--width", type=int, default=1400)
    p.add_argument("--height", type=int, default=900)
    args = p.parse_args()
    if shutil.which("fc-list") and not subprocess.run(
            ["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip():
        print("warning: no CJK font installed; Chinese will show as boxes "
              "(apt-get install fonts-wqy-zenhei)", file=sys.stderr)

    from playwright.sync_api import sync_playwright

    layers = load_layers(args.plan)
    zones = detect_zones(layers)
    scope = compute_scope(layers, zones=zones.membership)
    webmap = build_map(layers, scope, zones)
    # The package map of 康平社区 (the fourth community), as `gisplan run` writes it.
    package = build_community_map(layers, scope, zones,
                                  layers.communities["community_id"].iloc[3])
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        write_map(webmap, tmp)
        write_map(package, Path(tmp) / "package")
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto((Path(tmp) / "map.html").as_uri())
        page.wait_for_function("window.gisplanReady === true", timeout=60_000)
        # The popup of the southernmost community, so that it opens over the map.
        page.evaluate("""() => {
            let best = null;
            const lat = (l) => l.getBounds().getCenter().lat;
            gisplan.groups.communities.eachLayer((l) => {
                if (!best || lat(l) < lat(best)) best = l;
            });
            L.popup({maxWidth: 480, minWidth: 240, maxHeight: 330, autoPan: false})
              .setLatLng(best.getBounds().getCenter())
              .setContent(gisplan.popup(best)).openOn(gisplanMap);
        }""")
        page.wait_for_timeout(400)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out))
        # The zones picture: communities, zones and barriers only.
        zones_png = args.out.with_name(args.out.stem.replace("map", "zones") + ".png")
        page.evaluate("""() => {
            gisplanMap.closePopup();
            for (const [key, group] of Object.entries(gisplan.groups)) {
                if (!["communities", "zones", "barriers"].includes(key)) {
                    gisplanMap.removeLayer(group);
                }
            }
        }""")
        page.wait_for_timeout(400)
        page.screenshot(path=str(zones_png))
        # Print mode on A4 landscape with the facilities on, as the printer gets it: the page
        # at the paper's size (297 x 210 mm at 96 px per inch) in print media.
        print_png = args.out.with_name(args.out.stem + "_print.png")
        page = browser.new_page(viewport={"width": 1123, "height": 794})
        page.goto((Path(tmp) / "map.html").as_uri())
        page.wait_for_function("window.gisplanReady === true", timeout=60_000)
        page.evaluate("gisplanMap.addLayer(gisplan.groups.facilities); gisplan.preparePrint('A4')")
        page.emulate_media(media="print")
        page.wait_for_timeout(600)
        page.screenshot(path=str(print_png))
        package_png = args.out.with_name("hunchun_package_map.png")
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto((Path(tmp) / "package" / "map.html").as_uri())
        page.wait_for_function("window.gisplanReady === true", timeout=60_000)
        page.wait_for_timeout(400)
        page.screenshot(path=str(package_png))
        browser.close()
    print(f"wrote {args.out}, {zones_png}, {print_png} and {package_png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
