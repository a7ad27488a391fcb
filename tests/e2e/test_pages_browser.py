"""review.html, diff.html and report.html in a real browser (headless Chromium via Playwright).

Same browser, flags and checks as test_webmap_browser.py (every request observed, anything
leaving the machine aborted and failing the test, console errors and dialogs failing it);
it skips without a browser unless GISPLAN_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from plans import (
    CRS,
    MARKUP,
    line,
    new_version,
    proposal_frame,
    review_plan_layers,
    write_plan,
)
from test_webmap_browser import (
    EVIL,
    Browser,
    Page,
    _local,
    _open,
    browser,  # noqa: F401 - the shared browser fixture
)

from gisplan.analysis.scope import compute_scope
from gisplan.analysis.zones import detect_zones
from gisplan.cli.main import main
from gisplan.inputs.proposals import read_markup
from gisplan.inputs.validation import load_layers


@pytest.fixture(scope="module")
def review_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`gisplan review` of the review plan (community C named EVIL; one markup comment EVIL)."""
    import geopandas as gpd

    root = tmp_path_factory.mktemp("review_page")
    layers = review_plan_layers()
    layers["communities"].loc[2, "name"] = EVIL
    write_plan(root / "plan", layers)
    proposal_frame().to_file(root / "proposal.geojson", engine="pyogrio")
    gpd.GeoDataFrame({"lane_id": ["L1"], "width_m": [6.0]},
                     geometry=[line((170, 0), (170, 100))], crs=CRS).to_file(
        root / "lanes.geojson", engine="pyogrio")
    marks = json.loads(json.dumps(MARKUP))
    marks["features"][1]["properties"]["comment"] = EVIL
    (root / "markup.geojson").write_text(json.dumps(marks, ensure_ascii=False), encoding="utf-8")
    assert main(["review", str(root / "plan"), "--proposal", str(root / "proposal.geojson"),
                 "--fire-lanes", str(root / "lanes.geojson"), "--markup",
                 str(root / "markup.geojson"), "--out", str(root / "out")]) == 0
    return root


def _popup(page: Page) -> str:
    page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    return page.inner_text(".leaflet-popup-content")


def _row(page: Page, ref: str) -> None:
    page.evaluate("gisplanMap.closePopup()")
    page.wait_for_selector(".leaflet-popup", state="detached")   # it fades out first
    page.locator(f'tr[data-map="{ref}"]').first.click()


def test_review_page_opens_offline_with_every_finding(browser: Browser, review_site) -> None:
    page, watch = _open(browser, (review_site / "out" / "review.html").as_uri())
    try:
        n = page.evaluate("""() => { const c = {}; gisplanMap.eachLayer((l) => {
            const p = l.gpProps;
            if (p && p.facility_id) c[p.passed] = (c[p.passed] || 0) + 1; }); return c; }""")
        assert n == {"true": 2, "false": 12}
        for control in (".leaflet-draw", "#gp-export", ".leaflet-control-layers",
                        ".gp-legend"):
            assert page.locator(control).count() == 1, control
        assert watch.requests and all(_local(u) for u in watch.requests)
        watch.check()
    finally:
        page.close()


def test_finding_row_opens_its_proposal(browser: Browser, review_site) -> None:
    page, watch = _open(browser, (review_site / "out" / "review.html").as_uri())
    try:
        _row(page, "proposal:charger")
        text = _popup(page)
        assert text.startswith("charger") and "不通过 fail" in text
        assert "建筑退让距离 building_setback: 2.000 m from the nearest building wall (b1)" in text
        assert "未通过的规则 failing rules (1)" in text
        # the map moved to it: the charger is in view, near the middle
        assert page.evaluate("gisplanMap.getZoom()") >= 18
        _row(page, "proposal:pair1")
        assert "proposal_overlap" in _popup(page)
        _row(page, "proposal:fine")
        text = _popup(page)
        assert "通过 pass" in text and "failing rules" not in text
        _row(page, "structure:s1")
        assert _popup(page).startswith("违建台账 ledger · s1")
        watch.check()
    finally:
        page.close()


def test_injected_comment_and_name_render_as_text(browser: Browser, review_site) -> None:
    page, watch = _open(browser, (review_site / "out" / "review.html").as_uri())
    try:
        _row(page, "mark:M2")
        text = _popup(page)
        assert text.startswith("审查标注 mark M2") and EVIL in text
        assert page.locator(".leaflet-popup-content img").count() == 0
        label = page.evaluate("""() => { let t = null; gisplanMap.eachLayer((l) => {
            const p = l.gpProps;
            if (p && p.community_id === 'C' && 'renovation_type' in p) t = l.getTooltip(); });
            return t ? t._content(t._source) : null; }""")
        assert label == "&lt;img src=x onerror=alert(1)&gt;"
        assert EVIL in page.inner_text("table.markup")
        assert page.locator("img[src=x]").count() == 0
        watch.check()
    finally:
        page.close()


def test_draw_a_mark_export_and_read_it_back(browser: Browser, review_site,
                                            tmp_path: Path) -> None:
    page, watch = _open(browser, (review_site / "out" / "review.html").as_uri())
    try:
        page.click(".leaflet-draw-draw-marker")
        box = page.locator("#gp-review-map").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5)
        page.wait_for_selector("#gp-mark-form", state="visible")
        page.click("#gp-mark-save")                      # empty: refused, said so
        assert "reviewer and comment are required" in page.inner_text("#gp-mark-error")
        page.fill("#gp-mark-reviewer", "王工")
        page.fill("#gp-mark-comment", f"此处需复核 {EVIL}")
        page.select_option("#gp-mark-status", "resolved")
        page.click("#gp-mark-save")
        page.wait_for_selector("#gp-mark-form", state="hidden")
        with page.expect_download() as info:
            page.click("#gp-export")
        download = info.value
        assert download.suggested_filename == "markup.geojson"
        path = tmp_path / "markup.geojson"
        download.save_as(path)
        assert "3 条标注已导出" in page.inner_text("#gp-export-status")
        watch.check()
    finally:
        page.close()
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 3
    new = doc["features"][2]
    assert new["geometry"]["type"] == "Point"
    assert set(new["properties"]) == {"mark_id", "reviewer", "time", "comment", "status"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", new["properties"]["time"])
    layers = load_layers(review_site / "plan")
    marks = read_markup(path, layers)
    assert marks["mark_id"].tolist() == ["M1", "M2", "M3"]
    m3 = marks.iloc[2]
    assert (m3["reviewer"], m3["comment"], m3["status"]) == ("王工", f"此处需复核 {EVIL}",
                                                             "resolved")
    assert marks.iloc[1]["comment"] == EVIL                # kept from --markup
    # ... and the next review lists all three.
    out = tmp_path / "next"
    assert main(["review", str(review_site / "plan"), "--proposal",
                 str(review_site / "proposal.geojson"), "--markup", str(path),
                 "--out", str(out)]) == 0
    listed = json.loads((out / "review.json").read_text(encoding="utf-8"))["markup"]
    assert [m["mark_id"] for m in listed] == ["M1", "M2", "M3"]
    assert listed[2]["reviewer"] == "王工"


@pytest.fixture(scope="module")
def diff_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("diff_page")
    old, new = write_plan(root / "old"), write_plan(root / "new", new_version())
    assert main(["diff", str(old), str(new), "--out", str(root / "out")]) == 0
    return root / "out" / "diff.html"


def test_diff_page_draws_each_change(browser: Browser, diff_site: Path) -> None:
    page, watch = _open(browser, diff_site.as_uri())
    try:
        assert page.evaluate("gisplanDiff.counts()") == {
            "added": 1, "removed": 1, "moved": 2, "reshaped": 1, "attributes": 1}
        legend = page.inner_text(".gp-legend")
        assert "新增 added (1)" in legend and "移动 moved · 旧 old (2)" in legend
        _row(page, "feature:buildings:b3")
        text = _popup(page)
        assert text.startswith("楼栋 building b3") and "改形 reshaped" in text
        assert "400.0 m² → 500.0 m²" in text
        _row(page, "feature:buildings:b2")
        assert "households: 24 → 30" in _popup(page)
        watch.check()
    finally:
        page.close()


def test_report_page_shows_the_city_totals(browser: Browser, tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan")
    assert main(["scope", str(plan), "--out", str(tmp_path / "out")]) == 0
    layers = load_layers(plan)
    scope = compute_scope(layers, zones=detect_zones(layers).membership)
    city = scope.table[scope.table["level"] == "city"].set_index("item")
    page, watch = _open(browser, (tmp_path / "out" / "report.html").as_uri(), ready=None)
    try:
        shown = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
            '[data-metric]')].map((d) => [d.dataset.metric, d.querySelector('.v').textContent]))""")
        for key in ("communities", "buildings", "households", "floor_area_m2"):
            assert shown[key] == f"{city.loc[key, 'quantity']:,.0f}", key
        assert shown["cost"] == f"{city['cost_cny'].sum() / 1e4:,.1f}"
        assert page.locator("svg.gp-chart").count() == 4
        widths = page.evaluate("""[...document.querySelectorAll('svg.gp-chart')[0]
            .querySelectorAll('rect.gp-bar')].map((r) => r.getBBox().width)""")
        streets = scope.table[scope.table["level"] == "street"].groupby("area_id")["cost_cny"]
        costs = pd.Series([*streets.sum().sort_index(),
                           scope.table[scope.table["level"] == "unassigned"]["cost_cny"].sum()])
        assert [w / max(widths) for w in widths] == pytest.approx(
            (costs / costs.max()).tolist(), rel=1e-3)
        assert watch.requests == [(tmp_path / "out" / "report.html").as_uri()]
        watch.check()
    finally:
        page.close()
