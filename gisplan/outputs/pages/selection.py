"""``selection.html``: the chosen multi-year programme on an offline map, with its tables.

The map colours each community by its year (not chosen in grey); below it, how
the solver ended (proven optimal, or stopped with the gap), the budget use of
each year, the communities that cannot be chosen and why, and every community.
Leaflet is inlined (:mod:`gisplan.outputs.webmap.assets`), every value escaped,
Chinese first with English beside.

Examples
--------
>>> write_selection_page(selection, cand, communities, Path("out"), report=rep)  # doctest: +SKIP
PosixPath('out/selection.html')
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from gisplan import __version__
from gisplan.analysis.selection import Selection
from gisplan.outputs.pages.kit import (
    PAGE_CSS,
    bounds,
    feature_collection,
    html_table,
    json_element,
    number,
    page_assets,
)
from gisplan.outputs.selection import selection_table, summary_table
from gisplan.outputs.webmap.assets import LEAFLET_ASSETS

DATA_ID = "gisplan-selection-data"
#: Year colours in programme order (ColorBrewer Dark2), then repeated; not chosen: grey.
COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")
GREY = "#bdbdbd"
OBJECTIVE_ZH = {"households": "户数 households", "priority": "优先级 priority"}
CSS = PAGE_CSS + """
.gp-bar{background:#eee;width:160px;height:12px;display:inline-block;vertical-align:middle}
.gp-bar i{display:block;height:12px;background:#2171b5}
.gp-status{padding:6px 10px;border-left:4px solid #1a9850;background:#f3faf5;margin:0.5em 0}
.gp-status.stopped{border-color:#d73027;background:#fdf3f2}"""


def selection_map_data(table: pd.DataFrame, communities: gpd.GeoDataFrame,
                       years: list[str]) -> dict[str, Any]:
    """GeoJSON of the communities with their choice, the year colours and the bounds."""
    geo = communities[["community_id", "geometry"]].copy()
    geo["community_id"] = geo["community_id"].astype(str)
    props = table.set_index("community_id").reindex(geo["community_id"]).reset_index()
    return {"communities": feature_collection(geo.reset_index(drop=True), props),
            "years": [{"year": y} for y in years], "grey": GREY,
            "colors": {y: COLORS[i % len(COLORS)] for i, y in enumerate(years)},
            "bounds": bounds(communities)}


def _status_html(report: dict[str, Any]) -> str:
    e = html.escape
    stopped = report["status"] != "optimal"
    what = OBJECTIVE_ZH.get(report["objective"], report["objective"])
    gap = f"{100 * report['gap']:.4g} %"
    lines = [
        f"<b>求解状态 status: {e(report['status_zh'])}</b>",
        f"目标 objective（{e(what)}）: <b>{e(number(report['objective_value']))}</b>；"
        f"上界 bound: {e(number(report['bound']))}；差距 gap: {e(gap)}",
        f"同分时先重后轻 tie-break (heavier earlier): {e(report['tie_break'])}；"
        f"户·年 weight-years: {e(number(report['weight_years']))}",
        f"对照：贪心规则（每元权重最高者优先）greedy rule (best weight per yuan first): "
        f"{e(number(report['greedy_objective_value']))}",
        f"求解器 solver: {e(report['solver'])}，{e(number(report['seconds']))} s"
        + (f"（时限 time limit {e(number(report['time_limit_s']))} s）"
           if report["time_limit_s"] is not None else "")
        + f"；找到者 found by: {e(report['found_by'])}",
    ]
    klass = "gp-status stopped" if stopped else "gp-status"
    return f'<div class="{klass}">' + "<br>".join(lines) + "</div>"


def _years_html(summary: pd.DataFrame, colors: dict[str, str]) -> str:
    rows, classes = [], []
    for r in summary.itertuples(index=False):
        use = r.cost_cny / r.budget_cny if r.budget_cny else 0.0
        total = r.year == "total"
        rows.append([("合计 total" if total else str(r.year), ""),
                     (number(r.budget_cny, 0), "num"), (number(r.cost_cny, 0), "num"),
                     (f"{100 * use:.1f} %", "num"), (str(r.communities), "num"),
                     (number(r.households), "num"), (number(r.weight), "num")])
        classes.append("total" if total else "")
    table = html_table(["年度 year", "预算 budget (元)", "费用 cost (元)", "预算使用 budget use",
                        "社区 communities", "户数 households", "权重 weight"], rows,
                       row_classes=classes)
    bars = "".join(
        f'<div><i class="gp-sw" style="background:{html.escape(colors[str(r.year)])}"></i> '
        f"{html.escape(str(r.year))} <span class=\"gp-bar\"><i style=\"width:"
        f"{min(100.0, 100 * r.cost_cny / r.budget_cny if r.budget_cny else 0):.1f}%\"></i>"
        f"</span> {100 * r.cost_cny / r.budget_cny if r.budget_cny else 0:.1f} %</div>"
        for r in summary.itertuples(index=False) if r.year != "total")
    return table + f'<div class="gp-note">预算使用 budget use</div>{bars}'


def _community_rows(table: pd.DataFrame) -> tuple[list, list[str]]:
    rows = [[(str(r.community_id), ""), (str(r.name), ""),
             ("" if r.zone_id is None or pd.isna(r.zone_id) else str(r.zone_id), ""),
             (str(r.year) if isinstance(r.year, str) else "未入选 not chosen", ""),
             ("是 yes" if r.fixed_year else "", ""), (number(r.cost_cny, 0), "num"),
             (number(r.households), "num"), (number(r.weight), "num"), (str(r.note), "")]
            for r in table.itertuples(index=False)]
    return rows, [f"community:{c}" for c in table["community_id"]]


HEADER = ["编号 id", "名称 name", "连片片区 zone", "年度 year", "年度固定 fixed", "费用 cost (元)",
          "户数 households", "权重 weight", "说明 note"]


def selection_html(selection: Selection, candidates: pd.DataFrame,
                   communities: gpd.GeoDataFrame, *, report: dict[str, Any],
                   plan_name: str = "", offline: bool = True) -> str:
    """The page as one HTML document (``report``: what ``selection.json`` holds)."""
    e = html.escape
    table = selection_table(selection, candidates)
    summary = summary_table(selection, candidates)
    years = list(selection.years["year"])
    data = selection_map_data(table, communities, years)
    out = table[table["note"] != ""]
    rows, refs = _community_rows(table)
    out_rows, out_refs = _community_rows(out)
    budgets = "，".join(f"{y}: {number(v, 0)} 元" for y, v in report["budgets_cny"].items())
    zones = "是 yes" if report["keep_zones_together"] else "否 no"
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>分年度改造计划 multi-year selection {e(plan_name)}</title><style>{CSS}</style>
{page_assets(LEAFLET_ASSETS, "selection.js", offline=offline)}</head>
<body>
<h1>分年度改造计划 multi-year selection — {e(plan_name)}</h1>
<p class="gp-note">预算 budgets: {e(budgets)}；连片片区整体入选 zones kept together: {e(zones)}</p>
{_status_html(report)}
<div id="gp-selection-map" class="gp-map"></div>
<h2>各年度 per year</h2>
{_years_html(summary, data["colors"])}
<h2>无法入选 cannot be chosen ({len(out)})</h2>
{html_table(HEADER, out_rows, refs=out_refs)}
<h2>全部社区 every community ({len(table)})</h2>
<p class="gp-note">点击一行可在地图上定位 click a row to find it on the map.</p>
{html_table(HEADER, rows, refs=refs)}
<p class="gp-note">gisplan {e(__version__)}</p>
{json_element(DATA_ID, data)}
<script>GisplanSelection.init('gp-selection-map', JSON.parse(
document.getElementById('{DATA_ID}').textContent));</script>
</body></html>
"""


def write_selection_page(selection: Selection, candidates: pd.DataFrame,
                         communities: gpd.GeoDataFrame, folder: Path, **options: Any) -> Path:
    """Write ``selection.html`` into ``folder`` (options as :func:`selection_html`)."""
    path = Path(folder) / "selection.html"
    path.write_text(selection_html(selection, candidates, communities, **options),
                    encoding="utf-8")
    return path
