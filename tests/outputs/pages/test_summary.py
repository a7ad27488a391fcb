"""report.html, the summary page: SVG charts, headline figures, reconciliation, escaping.

Browser checks (it opens offline, shows the city totals) are in test_pages_browser.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from plans import mini_layers, write_plan

from gisplan.analysis.scope import compute_scope
from gisplan.analysis.zones import detect_zones
from gisplan.cli.main import main
from gisplan.inputs.validation import load_layers
from gisplan.outputs.pages.summary import (
    bar_chart,
    headline,
    reconciliation,
    report_html,
    stacked_bar_chart,
)

EVIL = "<img src=x onerror=alert(1)>"
BAR = re.compile(r'<rect class="gp-bar" x="([\d.]+)" y="[\d.]+" width="([\d.]+)" '
                 r'height="[\d.]+" fill="[^"]*" data-value="([^"]+)"')


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        self.refs += [v or "" for k, v in attrs if k in ("src", "href", "srcset", "data")]


def _bars(svg: str) -> list[tuple[float, float, float]]:
    return [(float(x), float(w), float(v)) for x, w, v in BAR.findall(svg)]


def test_bars_are_proportional_to_values() -> None:
    values = [12.5, 50.0, 0.0, 25.0]
    svg = bar_chart(["甲 A", "乙 B", "丙 C", "丁 D"], values, title="费用 cost", unit="万元",
                    plot_width=400)
    bars = _bars(svg)
    assert [v for _, _, v in bars] == values
    assert [w for _, w, _ in bars] == pytest.approx([100.0, 400.0, 0.0, 200.0])
    assert len({x for x, _, _ in bars}) == 1          # one baseline
    assert svg.startswith("<svg") and "费用 cost" in svg and "50.0 万元" in svg


def test_bar_chart_handles_nothing_and_negatives() -> None:
    assert _bars(bar_chart(["a"], [0.0], title="t", unit="u"))[0][1] == 0.0
    assert _bars(bar_chart(["a", "b"], [-5.0, 10.0], title="t", unit="u",
                           plot_width=100))[0][1] == 0.0
    assert _bars(bar_chart([], [], title="t", unit="u")) == []


def test_stacked_bars_share_one_scale() -> None:
    svg = stacked_bar_chart(["S1", "S2"], [("基本型 basic", [30.0, 10.0], "#0a0"),
                                           ("提升型 upgrade", [10.0, 0.0], "#f80")],
                            title="t", unit="万元", plot_width=400)
    bars = _bars(svg)
    # S1: 30 + 10 = 40 is the longest bar; S2: 10 + 0
    assert [w for _, w, _ in bars] == pytest.approx([300.0, 100.0, 100.0, 0.0])
    assert bars[1][0] == pytest.approx(bars[0][0] + 300.0)      # the segments abut
    assert "40.0 万元" in svg and "10.0 万元" in svg


def test_chart_text_is_escaped() -> None:
    svg = bar_chart([EVIL], [1.0], title=EVIL, unit="</svg><script>", notes=["&"])
    assert "<img" not in svg and "<script>" not in svg
    assert "&lt;img src=x onerror=alert(1)&gt;" in svg and "&amp;" in svg


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory):
    """The mini plan with a poisoned street, plan name and stated totals (one of them off)."""
    layers = mini_layers()
    layers["communities"].loc[2, "street"] = EVIL
    folder = write_plan(tmp_path_factory.mktemp("report") / "plan", layers)
    toml = (folder / "plan.toml").read_text(encoding="utf-8")
    toml = toml.replace('name = "测试计划"', f'name = "{EVIL}"').replace(
        'declared = "quantities.csv"', 'declared = "quantities.csv"\nstated = "stated.csv"')
    (folder / "plan.toml").write_text(toml, encoding="utf-8")
    pd.DataFrame({"item": ["households", "buildings"], "quantity": [78, 5],
                  "source_text": ["共计78户", EVIL]}).to_csv(folder / "stated.csv", index=False)
    loaded = load_layers(folder)
    zones = detect_zones(loaded)
    return folder, compute_scope(loaded, zones=zones.membership)


def test_page_shows_the_city_totals(mini) -> None:
    _, scope = mini
    page = report_html(scope)
    city = scope.table[scope.table["level"] == "city"].set_index("item")
    h = headline(scope)
    assert h["households"] == city.loc["households", "quantity"] == 78
    assert h["cost_cny"] == pytest.approx(city["cost_cny"].sum())
    figs = dict(re.findall(r'data-metric="(\w+)" data-value="([^"]+)"', page))
    for key in ("communities", "buildings", "households", "floor_area_m2"):
        assert float(figs[key]) == city.loc[key, "quantity"]
    assert float(figs["cost"]) == pytest.approx(city["cost_cny"].sum())
    assert f"{city['cost_cny'].sum() / 1e4:,.1f}" in page
    assert page.count('<svg class="gp-chart"') == 4      # street, zone, funding, basic/upgrade


def test_charts_hold_the_scope_figures(mini) -> None:
    _, scope = mini
    page = report_html(scope)
    t = scope.table
    street = t[t["level"] == "street"].groupby("area_id")["cost_cny"].sum() / 1e4
    charts = re.findall(r'<svg class="gp-chart".*?</svg>', page, re.S)
    got = [v for _, _, v in _bars(charts[0])]
    unassigned = t[t["level"] == "unassigned"]["cost_cny"].sum() / 1e4
    assert got == pytest.approx([*street.sort_index().tolist(), unassigned])
    funding = [v for _, _, v in _bars(charts[2])]
    assert sum(funding) == pytest.approx(t[t["level"] == "city"]["cost_cny"].sum() / 1e4)


def test_reconciliation_highlights_differences(mini) -> None:
    _, scope = mini
    r = reconciliation(scope).set_index("item")
    assert bool(r.loc["households", "matches"]) and not bool(r.loc["buildings", "matches"])
    page = report_html(scope)
    rows = re.findall(r'<tr class="(off|)">(.*?)</tr>', page, re.S)
    off = [cells for cls, cells in rows if cls == "off"]
    assert len(off) == 1 and ">buildings<" in off[0] and "-1.00" in off[0]
    assert "1 / 2 项不一致 stated figures differ: buildings" in page
    # each figure says how it was obtained; the verdict counts the matching ones
    assert [r["obtained"] for _, r in r.iterrows()] == ["attribute", "counted"]
    assert ">要素计数 counted features<" in off[0]  # buildings are counted
    assert "how the matching figures were obtained: 1 属性求和 attribute sums." in page


def test_every_value_is_escaped_and_nothing_loads(mini) -> None:
    _, scope = mini
    page = report_html(scope)
    assert EVIL not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    tags = _Tags()
    tags.feed(page)
    assert "script" not in tags.tags and "img" not in tags.tags and tags.refs == []


def test_cli_scope_and_run_write_the_report(mini, tmp_path: Path) -> None:
    folder, scope = mini
    assert main(["scope", str(folder), "--out", str(tmp_path / "s")]) == 0
    page = (tmp_path / "s" / "report.html").read_text(encoding="utf-8")
    from gisplan import load_layers

    assert page == report_html(scope, communities=load_layers(folder).communities)
    plan = write_plan(tmp_path / "plan")
    assert main(["run", str(plan), "--out", str(tmp_path / "r")]) == 0
    assert "测试计划 — 汇总报告 summary" in (tmp_path / "r" / "report.html").read_text(
        encoding="utf-8")


def test_community_table_map_and_relative_differences(mini, tmp_path: Path) -> None:
    """The mini plan by hand: A 甲社区 (S1, basic) has b1's 30 households; every stated
    figure gets its relative difference; counts print as whole numbers."""
    from gisplan import load_layers

    folder, scope = mini
    communities = load_layers(folder).communities
    page = report_html(scope, communities=communities)
    table = page[page.index("各社区 by community"):]
    row = table[table.index("<td class=\"\">A</td>"):]
    row = row[:row.index("</tr>")]
    assert "甲社区" in row and "S1" in row and "基本型" in row
    assert '<td class="num">30</td>' in row  # households, whole
    assert page.count('stroke-width="0.6"') == len(communities)  # one shape each
    assert 'class="gp-north"' in page and 'class="gp-scale"' in page
