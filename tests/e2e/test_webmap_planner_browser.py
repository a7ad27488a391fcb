"""The web map as a planner reads it, in headless Chromium (issue #12, point 1).

Labels placed without overlap at two zooms, the layer control collapsed and the data clear
of every control on open, a legend that fits a 900 px window, facilities clustered at city
zoom, search by street, the notice when a basemap cannot load, the print mode, and the
table of communities. Same browser, flags and checks as test_webmap_browser.py, whose
helpers this module uses; the Hunchun plan's geometry is generated (layers/hunchun2020).
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Iterator

import pytest
from conftest import HUNCHUN
from test_webmap_browser import (
    CHROMIUM,
    EVIL,
    FLAGS,
    Browser,
    Page,
    _counts,
    _open,
    _plan,
    sync_playwright,
)

from gisplan.analysis.scope import compute_scope
from gisplan.analysis.zones import detect_zones
from gisplan.inputs.validation import load_layers
from gisplan.outputs.webmap import build_map, write_map

pytestmark = pytest.mark.skipif(not (HUNCHUN / "plan.toml").exists(), reason="no Hunchun plan")

RECTS = """(sel) => [...document.querySelectorAll(sel)].filter((e) => e.offsetParent !== null)
    .map((e) => { const r = e.getBoundingClientRect();
      return {text: e.textContent, cls: e.className, x0: r.left, y0: r.top, x1: r.right,
              y1: r.bottom}; })"""
CONTROLS = ".leaflet-control, #gp-title"
SIZES = [(1400, 900), (1400, 700)]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def hunchun(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    layers = load_layers(HUNCHUN)
    zones = detect_zones(layers)
    scope = compute_scope(layers, zones=zones.membership)
    folder = tmp_path_factory.mktemp("hunchun_map")
    write_map(build_map(layers, scope, zones), folder)
    return (folder / "map.html").as_uri(), layers, scope


@pytest.fixture(scope="module")
def mini_osm(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The mini plan (a community named EVIL) opening on the OpenStreetMap basemap."""
    root = tmp_path_factory.mktemp("mini_osm")
    write_map(build_map(*_plan(root / "plan"), basemap="osm"), root / "map")
    return (root / "map" / "map.html").as_uri()


def _overlap(a: dict, b: dict) -> bool:
    return a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"] and b["y0"] < a["y1"]


def _rects(page: Page, selector: str) -> list[dict]:
    return page.evaluate(RECTS, selector)


def _apart(labels: list[dict], controls: list[dict]) -> None:
    for a, b in itertools.combinations(labels, 2):
        assert not _overlap(a, b), f"labels {a['text']!r} and {b['text']!r} overlap"
    for a, c in itertools.product(labels, controls):
        assert not _overlap(a, c), f"label {a['text']!r} is under a control ({c['cls']})"


def _settle(page: Page) -> None:
    """Wait until the labels of the current view are placed (one animation frame)."""
    page.evaluate("new Promise((done) => requestAnimationFrame(() => "
                  "requestAnimationFrame(done)))")


@pytest.mark.parametrize("size", SIZES)
def test_labels_are_chinese_and_never_overlap_at_two_zooms(chromium: Browser, hunchun: tuple,
                                                           size: tuple[int, int]) -> None:
    url, layers, _ = hunchun
    page, watch = _open(chromium, url, viewport=size)
    try:
        labels = _rects(page, ".gp-label")
        names = sorted(r["text"] for r in labels if "gp-lbl-com" in r["cls"])
        assert names == sorted(layers.communities["name"])           # every community named
        assert sorted(r["text"] for r in labels if "gp-lbl-zone" in r["cls"]) == [
            "片区 Z001", "片区 Z002", "片区 Z003", "片区 Z004"]
        assert not any("gp-lbl-bld" in r["cls"] for r in labels)     # too far out
        _apart(labels, _rects(page, CONTROLS))
        # Close in: building numbers ("3号楼"), from the names without the community's.
        page.evaluate("""() => { const t = gisplan.data.layers.communities, s = gisplan.data.scale;
            const i = t.cols.name.indexOf('团结社区');
            gisplanMap.setView([t.at[2 * i] / s, t.at[2 * i + 1] / s], 18, {animate: false}); }""")
        _settle(page)
        labels = _rects(page, ".gp-label")
        numbers = [r["text"] for r in labels if "gp-lbl-bld" in r["cls"]]
        b = layers.buildings.merge(layers.communities[["community_id", "name"]],
                                   on="community_id", suffixes=("", "_com"))
        expected = {n.removeprefix(c) for n, c in zip(b["name"], b["name_com"], strict=True)}
        assert len(numbers) >= 6 and set(numbers) <= expected
        assert all(re.fullmatch(r"\d+号楼", n) for n in numbers)
        _apart(labels, _rects(page, CONTROLS))
        watch.check()
    finally:
        page.close()


@pytest.mark.parametrize("size", SIZES)
def test_layer_control_collapsed_and_no_control_covers_data_on_open(
        chromium: Browser, hunchun: tuple, size: tuple[int, int]) -> None:
    url, _, _ = hunchun
    page, watch = _open(chromium, url, viewport=size)
    try:
        control = page.locator(".leaflet-control-layers")
        assert "leaflet-control-layers-expanded" not in control.get_attribute("class")
        box = control.bounding_box()
        assert box["width"] < 60 and box["height"] < 60
        data = page.evaluate("""() => { const b = L.latLngBounds(gisplan.data.bounds);
            const p = gisplanMap.latLngToContainerPoint(b.getNorthWest());
            const q = gisplanMap.latLngToContainerPoint(b.getSouthEast());
            return {text: 'data', cls: '', x0: p.x, y0: p.y, x1: q.x, y1: q.y}; }""")
        assert 0 <= data["x0"] < data["x1"] <= size[0] and 0 <= data["y0"] < data["y1"] <= size[1]
        for c in _rects(page, CONTROLS):
            assert not _overlap(data, c), f"{c['cls']} covers part of the plan on open"
        control.hover()                                            # opens on hover
        assert "leaflet-control-layers-expanded" in control.get_attribute("class")
        watch.check()
    finally:
        page.close()


def test_legend_fits_a_900_px_window_with_every_layer_on(chromium: Browser,
                                                         hunchun: tuple) -> None:
    url, _, _ = hunchun
    page, watch = _open(chromium, url)
    try:
        page.evaluate("Object.values(gisplan.groups).forEach((g) => gisplanMap.addLayer(g))")
        legend = page.locator(".gp-legend")
        sections = page.evaluate("""[...document.querySelectorAll('.gp-lg-sec')]
            .map((d) => [d.dataset.sec, d.open])""")
        assert sections == [["communities", True], ["buildings", True], ["structures", False],
                            ["pipes", False], ["facilities", True], ["barriers", False]]
        box = legend.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 900
        assert page.evaluate("(() => { const d = document.querySelector('.gp-legend');"
                             " return d.scrollHeight <= d.clientHeight + 1; })()")
        for c in _rects(page, ".leaflet-control-layers, #gp-title"):
            assert not _overlap({"x0": box["x"], "y0": box["y"], "x1": box["x"] + box["width"],
                                 "y1": box["y"] + box["height"]}, c)
        page.click(".gp-lg-sec[data-sec=pipes] summary")             # a folded section opens
        assert "供热" in page.inner_text(".gp-lg-sec[data-sec=pipes]")
        page.click(".gp-lg-toggle")                                  # the legend folds
        assert legend.bounding_box()["height"] < 40
        watch.check()
    finally:
        page.close()


def test_facilities_are_clustered_at_city_zoom_and_coloured_by_kind(chromium: Browser,
                                                                   hunchun: tuple) -> None:
    url, layers, _ = hunchun
    points = int((layers.facilities.geom_type == "Point").sum())
    page, watch = _open(chromium, url)
    try:
        page.evaluate("void gisplanMap.addLayer(gisplan.groups.facilities)")
        marks = """() => { let n = 0, c = 0, m = 0; gisplanMap.eachLayer((l) => {
            if (l instanceof L.MarkerCluster) { c++; n += l.getChildCount(); }
            else if (l.gp && l.gp.k === 'facilities' && l instanceof L.Marker) m++; });
            return {n, c, m}; }"""
        # Clusters are filled in steps (chunked loading): wait until every facility is in.
        page.wait_for_function(f"(({marks})()).n + (({marks})()).m === {points}",
                               timeout=15_000)
        marks = page.evaluate(marks)
        assert marks["m"] < points / 20 and marks["c"] < 200    # hardly any single dot
        assert _counts(page)["facilities"] == len(layers.facilities)
        page.evaluate("void gisplanMap.setZoom(19, {animate: false})")
        # Every facility single (the clusters' own animation takes a moment).
        page.wait_for_function("(() => { const m = gisplan.facilityMarks();"
                               " return m.markers > 0 && m.clusters === 0; })()", timeout=5_000)
        colours = page.evaluate("""() => { const out = {}; gisplanMap.eachLayer((l) => {
            if (l.gp && l.gp.k === 'facilities' && l._icon) out[l._icon.className.match(
              /gp-fk-(\\w+)/)[1]] = getComputedStyle(l._icon).backgroundColor; }); return out; }""")
        styles = page.evaluate("gisplan.S.facility_kind")
        nets = page.evaluate("Object.values(gisplan.data.nets).map((n) => n.color)")
        assert len(colours) >= 3
        for kind, rgb in colours.items():
            hexa = styles[kind]["value"]
            assert rgb == "rgb({}, {}, {})".format(*(int(hexa[k:k + 2], 16) for k in (1, 3, 5)))
            assert hexa not in nets
        watch.check()
    finally:
        page.close()


def _search(page: Page, text: str) -> list[str]:
    box = page.locator(".leaflet-control-search input")
    if not box.is_visible():
        page.locator(".leaflet-control-search .search-button").click()
    box.fill("")
    box.press_sequentially(text)
    page.wait_for_selector(".search-tip", timeout=5_000)
    return page.evaluate("[...document.querySelectorAll('.search-tip')].map((e) => e.textContent)")


def test_search_by_street_community_building_and_facility(chromium: Browser,
                                                          hunchun: tuple) -> None:
    url, layers, _ = hunchun
    com = layers.communities
    jinghe = com[com["street"] == "靖和街道"]
    page, watch = _open(chromium, url)
    try:
        tips = _search(page, "靖和")
        assert tips[0] == f"街道 · 靖和街道（{len(jinghe)} 个社区）"
        assert sorted(t.split(" · ")[1] for t in tips[1:]) == sorted(jinghe["name"])
        page.locator(".search-tip").first.click()
        inside = page.evaluate("""(names) => { const t = gisplan.data.layers.communities;
            const s = gisplan.data.scale, b = gisplanMap.getBounds();
            return names.map((n) => { const i = t.cols.name.indexOf(n);
              return b.contains([t.at[2 * i] / s, t.at[2 * i + 1] / s]); }); }""",
                               list(jinghe["name"]))
        assert all(inside)
        assert _search(page, "HC-B001")[0] == "楼栋 · HC-B001 · 永新社区1号楼"
        tips = _search(page, "充电桩")
        n = int((layers.facilities["item"] == "ev_charger").sum())
        assert len(tips) == n and all(t.startswith("设施 · 充电桩 · HC-F") for t in tips)
        page.locator(".search-tip").first.click()
        page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
        assert page.inner_text(".leaflet-popup-content h4") == "充电桩"
        watch.check()
    finally:
        page.close()


def test_a_basemap_that_cannot_load_says_so(chromium: Browser, mini_osm: str) -> None:
    page, watch = _open(chromium, mini_osm)      # every tile request is aborted
    try:
        banner = page.locator("#gp-banner")
        banner.wait_for(state="visible", timeout=10_000)
        text = banner.inner_text()
        assert "底图“OpenStreetMap”无法加载" in text and "could not load" in text
        assert re.search(r"(\d+) 个瓦片失败", text)
        assert watch.external and all("tile.openstreetmap.org" in u for u in watch.external)
        assert _counts(page)["communities"] == 3                  # the data is drawn anyway
        page.locator(".leaflet-control-layers").hover()
        page.locator(".leaflet-control-layers-base label", has_text="无底图").click()
        banner.wait_for(state="hidden", timeout=5_000)
        assert all("ERR_FAILED" in e or "tile.openstreetmap.org" in e for e in watch.errors)
        assert watch.dialogs == []
    finally:
        page.close()


def test_print_mode_shows_title_legend_scale_north_and_date(chromium: Browser,
                                                            hunchun: tuple) -> None:
    url, _, _ = hunchun
    page, watch = _open(chromium, url)
    try:
        shown = """(sel) => [...document.querySelectorAll(sel)].map((e) =>
            getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().width > 0)"""
        assert page.evaluate(shown, ".gp-north") == [False]         # on screen: no arrow
        page.emulate_media(media="print")
        for sel in (".leaflet-control-zoom", ".leaflet-control-layers", ".leaflet-control-search",
                    ".leaflet-control-measure", ".gp-tools"):
            assert page.evaluate(shown, sel) == [False], sel
        for sel in ("#gp-title", ".gp-legend", ".leaflet-control-scale", ".gp-north"):
            assert page.evaluate(shown, sel) == [True], sel
        today = datetime.date.today().isoformat()
        assert page.inner_text("#gp-print-info") == f"制图日期 {today}"
        page.emulate_media(media="screen")
        # The button: A3 landscape, the map sized to the paper; window.print is stubbed.
        page.evaluate("""window.print = () => { window.printed = {page: document.getElementById(
            'gp-page').textContent, size: gisplanMap.getSize()}; }""")
        page.get_by_role("button", name="打印").click()
        page.get_by_role("button", name="A3 横向").click()
        page.wait_for_function("window.printed !== undefined")
        printed = page.evaluate("window.printed")
        assert "size: A3 landscape" in printed["page"]
        assert printed["size"]["x"] == pytest.approx(404 / 25.4 * 96, abs=2)
        assert printed["size"]["y"] == pytest.approx(279 / 25.4 * 96, abs=2)
        page.evaluate("window.dispatchEvent(new Event('afterprint'))")
        assert page.evaluate("gisplanMap.getSize()") == {"x": 1400, "y": 900}
        # A real print (Chromium's PDF) on A4: one landscape page.
        page.evaluate("gisplan.preparePrint('A4')")
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
        w, h = (float(v) for v in re.search(
            rb"/MediaBox\s*\[0 0 ([\d.]+) ([\d.]+)\]", pdf).groups())
        assert w == pytest.approx(297 / 25.4 * 72, abs=2) and h == pytest.approx(
            210 / 25.4 * 72, abs=2)
        watch.check()
    finally:
        page.close()


def test_table_filters_by_street_and_a_row_shows_its_community(chromium: Browser,
                                                              hunchun: tuple) -> None:
    url, layers, scope = hunchun
    t = scope.table
    hh = t[(t["level"] == "community") & (t["item"] == "households")].set_index("area_id")
    com = layers.communities.assign(households=lambda d: d["community_id"].map(
        hh["quantity"]))
    page, watch = _open(chromium, url)
    try:
        page.get_by_role("button", name="表格").click()
        rows = "[...document.querySelectorAll('.gp-table tbody tr')].map((tr) => " \
               "[...tr.cells].map((td) => td.textContent))"
        assert len(page.evaluate(rows)) == len(com)
        page.select_option(".gp-tb-street", "新安街道")
        got = page.evaluate(rows)
        xinan = com[com["street"] == "新安街道"]
        assert sorted(r[0] for r in got) == sorted(xinan["name"]) and {r[2] for r in got} == {
            "新安街道"}
        foot = page.evaluate("[...document.querySelectorAll('.gp-table tfoot td')]"
                             ".map((td) => td.textContent)")
        assert foot[0] == "合计" and foot[6] == f"{xinan['households'].sum():,.0f}"
        assert page.inner_text(".gp-tb-count") == f"{len(xinan)} 个社区"
        page.click(".gp-table th[data-key=households]")             # sort by households
        got = page.evaluate(rows)
        assert [int(r[6].replace(",", "")) for r in got] == sorted(xinan["households"])
        before = page.evaluate("gisplanMap.getCenter()")
        page.locator(".gp-table tbody tr", has_text="长安社区").click()
        page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
        assert page.inner_text(".leaflet-popup-content h4") == "长安社区"
        assert page.evaluate("gisplanMap.getCenter()") != before
        at = page.evaluate("""() => { const t = gisplan.data.layers.communities;
            const s = gisplan.data.scale, i = t.cols.name.indexOf('长安社区');
            return gisplanMap.latLngToContainerPoint([t.at[2 * i] / s, t.at[2 * i + 1] / s]); }""")
        panel = page.locator(".gp-table-panel").bounding_box()
        assert 0 < at["x"] < 1400 and 0 < at["y"] < panel["y"]      # in view, above the table
        watch.check()
    finally:
        page.close()


def test_injected_name_is_text_in_labels_table_and_search(chromium: Browser,
                                                         mini_osm: str) -> None:
    page, watch = _open(chromium, mini_osm)
    try:
        assert EVIL in [r["text"] for r in _rects(page, ".gp-lbl-com")]
        page.get_by_role("button", name="表格").click()
        assert EVIL in page.inner_text(".gp-table")
        assert any(t.startswith(f"社区 · {EVIL}") for t in _search(page, "img"))
        assert page.locator("img[src=x]").count() == 0 and watch.dialogs == []
    finally:
        page.close()

