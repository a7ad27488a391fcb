"""The web map in a real browser: headless Chromium (Debian's) driven by Playwright.

Pages are opened over file:// and over a loopback HTTP server. Every request
is observed and any that would leave the machine is aborted and fails the
test; console errors fail it too. Features are counted on the Leaflet map
object (``window.gisplanMap``), popups are read after real mouse clicks.

Needs ``pip install playwright`` (never ``playwright install``: the browser
is /usr/bin/chromium from apt, or $GISPLAN_CHROMIUM). Without them the tests
skip, unless GISPLAN_REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

import functools
import http.server
import math
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import HUNCHUN
from plans import X0, Y0, mini_layers, write_plan
from pyproj import Transformer

from gisplan.analysis.scope import compute_scope
from gisplan.analysis.zones import detect_zones
from gisplan.inputs.validation import load_layers
from gisplan.outputs.webmap import build_map, write_map
from gisplan.outputs.webmap.community import build_community_map

CHROMIUM = os.environ.get("GISPLAN_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
EVIL = "<img src=x onerror=alert(1)>"
REQUIRED = os.environ.get("GISPLAN_REQUIRE_BROWSER") == "1"

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    if REQUIRED:
        raise
    pytest.skip("playwright is not installed (pip install playwright)", allow_module_level=True)
if not Path(CHROMIUM).exists():  # pragma: no cover
    if REQUIRED:
        raise RuntimeError(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)


def _plan(folder: Path) -> tuple:
    layers = mini_layers()
    layers["communities"].loc[2, "name"] = EVIL
    loaded = load_layers(write_plan(folder, layers))
    zones = detect_zones(loaded)
    return loaded, compute_scope(loaded, zones=zones.membership), zones


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Site:
    root: Path
    port: int
    plan: tuple

    def url(self, scheme: str, name: str) -> str:
        if scheme == "file":
            return (self.root / name / "map.html").as_uri()
        return f"http://127.0.0.1:{self.port}/{name}/map.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("site")
    plan = _plan(root / "plan")
    write_map(build_map(*plan), root / "full")
    write_map(build_map(*plan, max_features=5, chunk_size=2, coarse_min_zoom=19),
              root / "coarse")
    write_map(build_community_map(*plan, "B"), root / "package")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(root, server.server_address[1], plan)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield b
        finally:
            b.close()


@dataclass
class Watch:
    """What a page did: console errors, requests, blocked requests, dialogs."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def check(self) -> None:
        assert self.external == [], f"requests leaving the machine: {self.external}"
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.dialogs == [], f"dialogs fired: {self.dialogs}"


def _local(url: str) -> bool:
    u = urlparse(url)
    return u.scheme in ("file", "data", "blob", "about") or (
        u.scheme in ("http", "https") and u.hostname in ("127.0.0.1", "localhost"))


def _open(browser: Browser, url: str, *,
          ready: str | None = "window.gisplanReady === true",
          viewport: tuple[int, int] = (1400, 900)) -> tuple[Page, Watch]:
    """Open ``url`` watching requests, console and dialogs; wait for ``ready`` (a JS test)."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    watch = Watch()

    def route(r) -> None:
        if _local(r.request.url):
            r.continue_()
        else:
            watch.external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("request", lambda r: watch.requests.append(r.url))
    page.on("request", lambda r: None if _local(r.url) or r.url in watch.external
            else watch.external.append(r.url))
    page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: None if r.url in watch.external
            else watch.errors.append(f"failed request {r.url}"))
    page.on("pageerror", lambda e: watch.errors.append(str(e)))

    def dialog(d) -> None:
        watch.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(url)
    if ready:
        page.wait_for_function(ready, timeout=20_000)
    return page, watch


def _counts(page: Page) -> dict[str, int]:
    return page.evaluate("gisplan.counts()")


_TO_LL = Transformer.from_crs("EPSG:4552", "EPSG:4326", always_xy=True)


def _point(page: Page, x: float, y: float) -> tuple[float, float]:
    """Page pixel of mini-plan metres (x, y)."""
    lon, lat = _TO_LL.transform(X0 + x, Y0 + y)
    return tuple(page.evaluate(
        """([lat, lon]) => { const p = gisplanMap.latLngToContainerPoint([lat, lon]);
             const r = gisplanMap.getContainer().getBoundingClientRect();
             return [p.x + r.left, p.y + r.top]; }""", [lat, lon]))


def _click(page: Page, x: float, y: float) -> str:
    """Click the map at mini-plan metres (x, y) and return the popup's text."""
    page.evaluate("gisplanMap.closePopup()")
    page.wait_for_selector(".leaflet-popup", state="detached")
    # A popup's auto-pan may still be moving the map.
    page.wait_for_function("!(gisplanMap._panAnim && gisplanMap._panAnim._inProgress)")
    page.mouse.click(*_point(page, x, y))
    page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    return page.inner_text(".leaflet-popup-content")


def _js_round(x: float, dp: int = 0) -> str:
    """The page's number format: half away from zero, comma thousands."""
    scaled = math.floor(abs(x) * 10**dp + 0.5) / 10**dp
    return ("-" if x < 0 and scaled else "") + f"{scaled:,.{dp}f}"


EXPECTED = {"communities": 3, "zones": 2, "buildings": 4, "structures": 2, "pipes:sewer": 1,
            "pipes:water": 1, "pipes:gas": 1}


@pytest.mark.parametrize("scheme", ["file", "http"])
def test_map_opens_offline_and_draws_every_feature(browser: Browser, site: Site,
                                                   scheme: str) -> None:
    page, watch = _open(browser, site.url(scheme, "full"))
    try:
        assert _counts(page) == EXPECTED              # facilities start hidden
        assert page.evaluate("gisplanMap.options.preferCanvas") is True
        title = page.inner_text("#gp-title")
        assert "测试计划" in title and "社区 3" in title and "楼栋 4" in title
        legend = page.inner_text(".gp-legend")
        assert "图例" in legend and "基本型" in legend and "污水" not in legend  # folded
        page.click(".gp-lg-sec[data-sec=pipes] summary")
        assert "污水" in page.inner_text(".gp-legend")
        for control in (".leaflet-control-search", ".leaflet-control-measure",
                        ".leaflet-control-zoom-fullscreen", ".leaflet-control-scale"):
            assert page.locator(control).count() == 1, control
        assert watch.requests and all(_local(u) for u in watch.requests)
        watch.check()
    finally:
        page.close()


def test_layer_control_toggles_layers(browser: Browser, site: Site) -> None:
    page, watch = _open(browser, site.url("file", "full"))
    try:
        # Collapsed on open (an icon, clear of the data); it opens on hover.
        control = page.locator(".leaflet-control-layers")
        assert "leaflet-control-layers-expanded" not in control.get_attribute("class")
        control.hover()
        box = page.locator(".leaflet-control-layers-overlays label",
                           has_text="楼栋（4）").locator("input")
        box.click()
        assert "buildings" not in _counts(page)
        box.click()
        assert _counts(page)["buildings"] == 4
        page.locator(".leaflet-control-layers-overlays label",
                     has_text="设施（3）").locator("input").click()
        assert _counts(page)["facilities"] == 3
        assert "设施" in page.inner_text(".gp-legend")
        watch.check()
    finally:
        page.close()


def test_community_popup_shows_its_scope_figures(browser: Browser, site: Site) -> None:
    _, scope, _ = site.plan
    t = scope.table
    a = t[(t["level"] == "community") & (t["area_id"] == "A")]
    work = a[(a["group"] != "metric") & (a["quantity"] != 0)]
    hh = a.set_index("item").loc["households", "quantity"]
    page, watch = _open(browser, site.url("http", "full"))
    try:
        text = _click(page, 40, 35)
        assert text.startswith("甲社区")
        assert "Z001" in text and f"户数\t{hh:,.0f}" in text
        assert f"费用（元）\t{round(a['cost_cny'].sum()):,}" in text
        rows = page.evaluate("""[...document.querySelectorAll(
            '.leaflet-popup-content table.gp-scope tbody tr')].map(
            (tr) => [...tr.cells].map((td) => td.textContent))""")
        expected = [[name + (" 申报" if src != "derived" else ""), unit,
                     _js_round(q, 0 if float(q).is_integer() else 2), _js_round(cost)]
                    for name, unit, q, cost, src in work[["name_zh", "unit", "quantity",
                                                          "cost_cny", "source"]].itertuples(
                        index=False)]
        assert rows[:-1] == expected
        assert rows[-1] == ["合计", _js_round(work["cost_cny"].sum())]
        watch.check()
    finally:
        page.close()


def test_building_pipe_and_zone_popups(browser: Browser, site: Site) -> None:
    page, watch = _open(browser, site.url("file", "full"))
    try:
        text = _click(page, 40, 16)                    # b1
        assert text.startswith("b1") and "甲社区 (A)" in text
        assert "平屋面防水 申报\t㎡\t700" in text and "楼梯间大白 申报\t㎡\t500" in text
        text = _click(page, 250, 50)                   # p1, between B and C
        assert text.startswith("污水 DN300")
        assert "长度（m）\t300.0" in text and "DN300污水管网" in text
        assert "甲社区 (A) 50.0 m" in text
        text = _click(page, 0, 40)                     # Z001's outline (A's west edge)
        assert text.startswith("连片片区 Z001") and "甲社区、乙社区" in text
        watch.check()
    finally:
        page.close()


def test_injected_name_renders_as_text(browser: Browser, site: Site) -> None:
    page, watch = _open(browser, site.url("http", "full"))
    try:
        page.mouse.move(*_point(page, 380, 80))
        page.wait_for_selector(".leaflet-tooltip", timeout=5_000)
        assert page.inner_text(".leaflet-tooltip") == EVIL
        text = _click(page, 380, 80)
        assert text.startswith(EVIL)
        assert page.locator(".leaflet-popup-content img").count() == 0
        # The search list shows it as text too.
        page.locator(".leaflet-control-search .search-button").click()
        page.locator(".leaflet-control-search input").press_sequentially("img")
        page.wait_for_selector(".search-tip", timeout=5_000)
        assert EVIL in page.inner_text(".search-tooltip")
        assert page.locator(".search-tooltip img").count() == 0
        assert page.locator("img[src=x]").count() == 0
        watch.check()
    finally:
        page.close()


def test_measure_and_fullscreen(browser: Browser, site: Site) -> None:
    page, watch = _open(browser, site.url("http", "full"))
    try:
        page.hover(".leaflet-control-measure")
        page.click(".leaflet-control-measure .js-start")
        for x, y in ((0, 0), (100, 0), (100, 100)):   # community A's corners
            page.mouse.click(*_point(page, x, y))
        page.click(".leaflet-control-measure .js-finish")
        text = page.inner_text(".leaflet-popup-content")
        area = float(text.split("平方米")[0].split()[-1].replace(",", ""))
        assert "面积测量" in text and area == pytest.approx(5000, rel=0.02)   # half of A
        page.click(".leaflet-control-zoom-fullscreen")
        page.wait_for_function("gisplanMap._isFullscreen === true")
        watch.check()
    finally:
        page.close()


def test_search_opens_a_building(browser: Browser, site: Site) -> None:
    page, watch = _open(browser, site.url("file", "full"))
    try:
        page.locator(".leaflet-control-search .search-button").click()
        page.locator(".leaflet-control-search input").press_sequentially("b3")
        page.locator(".search-tip", has_text="b3").first.click()
        page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
        assert page.inner_text(".leaflet-popup-content h4") == "b3"
        watch.check()
    finally:
        page.close()


@pytest.mark.parametrize("scheme", ["file", "http"])
def test_coarse_view_loads_detail_by_area(browser: Browser, site: Site, scheme: str) -> None:
    page, watch = _open(browser, site.url(scheme, "coarse"))
    try:
        assert page.evaluate("gisplanMap.getZoom()") < 19
        assert _counts(page) == {"communities": 3, "zones": 2}
        title = page.inner_text("#gp-title")
        assert "概略视图" in title and "请放大到 19 级以上" in title
        assert not any("map_data/" in u for u in watch.requests)
        lon, lat = _TO_LL.transform(X0 + 40, Y0 + 16)     # b1, in A
        page.evaluate("([lat, lon]) => gisplanMap.setView([lat, lon], 19)", [lat, lon])
        page.wait_for_function("(gisplan.counts().buildings || 0) >= 1", timeout=10_000)
        assert any("map_data/buildings-" in u for u in watch.requests)
        # Labels come from the loaded area too: b1 has no name, so its id.
        page.wait_for_function("[...document.querySelectorAll('.gp-lbl-bld')]"
                               ".some((e) => e.textContent === 'b1')", timeout=5_000)
        text = _click(page, 40, 16)
        assert text.startswith("b1") and "平屋面防水 申报" in text
        assert "已按范围加载" in page.inner_text("#gp-title")
        watch.check()
    finally:
        page.close()


@pytest.mark.skipif(not (HUNCHUN / "plan.toml").exists(), reason="no Hunchun plan")
def test_hunchun_map_draws_every_feature(browser: Browser, tmp_path: Path) -> None:
    layers = load_layers(HUNCHUN)
    zones = detect_zones(layers)
    webmap = build_map(layers, compute_scope(layers, zones=zones.membership), zones)
    write_map(webmap, tmp_path)
    # How long it takes is measured by benchmarks/bench_map.py, not asserted here.
    page, watch = _open(browser, (tmp_path / "map.html").as_uri())
    try:
        counts = _counts(page)
        assert counts["buildings"] == len(layers.buildings)
        assert counts["communities"] == len(layers.communities)
        assert sum(v for k, v in counts.items() if k.startswith("pipes:")) == len(layers.pipes)
        watch.check()
    finally:
        page.close()


def test_package_map_names_its_neighbours(browser: Browser, site: Site) -> None:
    """B's package map: B is the one community (clickable, counted); A and C around it are
    grey context named "(相邻)", C's hostile name as text, and a click on A opens nothing."""
    page, watch = _open(browser, site.url("file", "package"))
    try:
        assert _counts(page)["communities"] == 1
        names = page.eval_on_selector_all(".gp-lbl-ctx", "els => els.map(e => e.textContent)")
        assert "甲社区（相邻）" in names
        assert page.locator(".gp-lbl-com", has_text="乙社区").count() == 1
        assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
        page.mouse.click(*_point(page, 50, 95))  # inside A, clear of its pipes
        page.wait_for_timeout(300)
        assert page.locator(".leaflet-popup").count() == 0
        assert "相邻社区" in page.inner_text(".gp-legend")
        watch.check()
    finally:
        page.close()
