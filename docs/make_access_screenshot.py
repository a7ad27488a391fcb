"""Screenshot of the Hunchun walking-access page for the README: ``docs/hunchun_access.png``.

Runs ``gisplan access`` on ``layers/hunchun2020`` (whose roads and services are generated),
opens ``access.html`` over file:// in headless Chromium (Debian's ``chromium``, driven by
Playwright), selects kindergartens and saves the map. Rerun it after changing the page::

    python docs/make_access_screenshot.py [--out docs/hunchun_access.png]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout

from gisplan.analysis.access import compute_access  # noqa: E402
from gisplan.inputs.validation import load_layers  # noqa: E402
from gisplan.outputs.access import write_access  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--hide-scrollbars"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--plan", type=Path, default=REPO / "layers" / "hunchun2020")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "hunchun_access.png")
    p.add_argument("--kind", default="kindergarten")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    layers = load_layers(args.plan)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        write_access(compute_access(layers), layers, Path(tmp))
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto((Path(tmp) / "access.html").as_uri())
        page.wait_for_function("window.gisplanReady === true", timeout=60_000)
        page.evaluate("""(kind) => {
            const k = gisplanAccess.data.kinds.findIndex((x) => x.kind === kind);
            gisplanAccess.show(k);
            gisplanMap.options.zoomSnap = 0.1;
            gisplanMap.fitBounds(gisplanAccess.communities.getBounds(), {padding: [5, 5]});
        }""", args.kind)
        page.wait_for_timeout(500)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.locator("#gp-access-map").screenshot(path=str(args.out))
        browser.close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
