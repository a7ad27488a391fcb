"""``report.html``: the one page a leader reads (汇总报告).

Headline figures (communities, buildings, households, floor area, total
cost), cost by street and by contiguous zone, by funding source, basic
(基本型) against upgrade (提升型) work, a table per street, and the
reconciliation of the computed figures against the plan's own stated totals
with every difference highlighted. Charts are inline SVG drawn here (bar
lengths proportional to the values, exact figures in each bar's tooltip);
the page has no script and loads nothing. Every text is HTML-escaped.

The core never imports this module; the CLI writes the page with ``run``
and ``scope``.

Examples
--------
>>> svg = bar_chart(["甲 A", "乙 B"], [1.0, 3.0], title="费用 cost", unit="万元")
>>> svg.count("<rect class=\\"gp-bar\\"")
2
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gisplan import __version__
from gisplan.analysis.headline import HEADLINE, headline, reconciliation
from gisplan.analysis.programme import ProgrammeResult
from gisplan.analysis.provenance import count_obtained, obtained_label
from gisplan.analysis.scope import Scope, level_figures
from gisplan.outputs.pages.kit import PAGE_CSS, number, text_width
from gisplan.outputs.pages.programme import summary_html as _programme_html
from gisplan.outputs.pages.svg_map import svg_map
from gisplan.plan.catalogue import load_funding_sources

COLORS = {"bar": "#3182bd", "basic": "#41ab5d", "upgrade": "#fd8d3c"}
TIER = {"basic": "基本型 basic", "upgrade": "提升型 upgrade"}
CSS = PAGE_CSS + """body{margin:1.5em auto;max-width:1100px;padding:0 1em}h1{font-size:22px}
h2{font-size:17px;margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:3px}
.gp-figs{display:flex;flex-wrap:wrap;gap:10px}.gp-fig{border:1px solid #c6dbef;border-radius:6px;
padding:8px 14px;background:#f7fbff;min-width:150px}.gp-fig .k{color:#555;font-size:13px}
.gp-fig .v{font-size:24px;font-weight:600}.gp-fig .u{font-size:13px;color:#555}
table{border-collapse:collapse;font-size:13px;margin:0.5em 0 1em}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:left}th{background:#eee}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.off td{background:#fde2e1}
tr.total td{font-weight:600}.gp-note{color:#666;font-size:12px}.ok{color:#238b45}
.bad{color:#cb181d;font-weight:600}svg text{font-size:12px;fill:#222}"""

Fmt = Callable[[float], str]


def _wan(v: float) -> str:
    return f"{v / 1e4:,.1f}"


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    t = html.escape(title)
    return (f'<svg class="gp-chart" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{t}">'
            f'<text class="gp-chart-title" x="0" y="15" style="font-size:14px;font-weight:600">'
            f"{t}</text>{''.join(body)}</svg>")


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str, unit: str,
              color: str = COLORS["bar"], plot_width: float = 420, bar_height: float = 20,
              fmt: Fmt = lambda v: f"{v:,.1f}", notes: Sequence[str] | None = None) -> str:
    """A horizontal bar chart as inline SVG: bar lengths proportional to ``values``.

    Each bar is a ``<rect class="gp-bar">`` with ``data-value`` (the exact
    value) and a tooltip; ``notes`` (e.g. shares) follow the value text.
    Negative and missing values draw no bar.
    """
    vals = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    top = max(vals.max(initial=0.0), 0.0) or 1.0
    left = max([text_width(str(s)) for s in labels] + [40]) + 10
    texts = [f"{fmt(v)} {unit}" + (f" {notes[i]}" if notes else "") for i, v in enumerate(vals)]
    right = max([text_width(s) for s in texts] + [40]) + 10
    e = html.escape
    body = []
    for i, (label, v, text) in enumerate(zip(labels, vals, texts, strict=True)):
        y = 28 + i * (bar_height + 6)
        w = max(v, 0.0) / top * plot_width
        mid = y + bar_height / 2 + 4
        body.append(
            f'<g><text x="{left - 6:.1f}" y="{mid:.1f}" text-anchor="end">{e(str(label))}</text>'
            f'<rect class="gp-bar" x="{left:.1f}" y="{y:.1f}" width="{w:.3f}" '
            f'height="{bar_height}" fill="{e(color)}" data-value="{float(v)!r}">'
            f"<title>{e(str(label))}: {e(text)}</title></rect>"
            f'<text x="{left + w + 4:.1f}" y="{mid:.1f}">{e(text)}</text></g>')
    height = 28 + len(vals) * (bar_height + 6) + 4
    return _svg(left + plot_width + right, height, title, body)


def stacked_bar_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float], str]],
                      *, title: str, unit: str, plot_width: float = 420,
                      bar_height: float = 20, fmt: Fmt = lambda v: f"{v:,.1f}") -> str:
    """Horizontal stacked bars (one per label, one segment per series), on one scale.

    ``series`` is (name, values, colour); the value text is the total.
    """
    vals = np.nan_to_num(np.array([s[1] for s in series], dtype=float).reshape(
        len(series), len(labels)), nan=0.0).clip(min=0)
    totals = vals.sum(axis=0)
    top = totals.max(initial=0.0) or 1.0
    left = max([text_width(str(s)) for s in labels] + [40]) + 10
    texts = [f"{fmt(t)} {unit}" for t in totals]
    right = max([text_width(s) for s in texts] + [40]) + 10
    e = html.escape
    body, x = [], left
    for name, _, color in series:  # legend
        body.append(f'<rect x="{x:.1f}" y="24" width="12" height="12" fill="{e(color)}"/>'
                    f'<text x="{x + 16:.1f}" y="34">{e(name)}</text>')
        x += text_width(name) + 34
    for i, label in enumerate(labels):
        y = 46 + i * (bar_height + 6)
        mid = y + bar_height / 2 + 4
        body.append(f'<text x="{left - 6:.1f}" y="{mid:.1f}" text-anchor="end">'
                    f"{e(str(label))}</text>")
        x = left
        for k, (name, _, color) in enumerate(series):
            v = float(vals[k, i])
            w = v / top * plot_width
            body.append(f'<rect class="gp-bar" x="{x:.3f}" y="{y:.1f}" width="{w:.3f}" '
                        f'height="{bar_height}" fill="{e(color)}" data-value="{v!r}">'
                        f"<title>{e(str(label))} · {e(name)}: {e(fmt(v))} {e(unit)}"
                        "</title></rect>")
            x += w
        body.append(f'<text x="{x + 4:.1f}" y="{mid:.1f}">{e(texts[i])}</text>')
    height = 46 + len(labels) * (bar_height + 6) + 4
    return _svg(max(left + plot_width + right, x), height, title, body)


# -- figures -----------------------------------------------------------------------------------

def _areas(scope: Scope, level: str) -> pd.DataFrame:
    """Per area of ``level``: name, headline metrics and cost, by area id."""
    t = scope.table[scope.table["level"] == level]
    if t.empty:
        return pd.DataFrame(columns=["area_name", "cost_cny", *(h[0] for h in HEADLINE)])
    wide = level_figures(t, level, [h[0] for h in HEADLINE])
    wide["area_name"] = t.groupby("area_id")["area_name"].first()
    return wide.sort_index()


def _zone_labels(scope: Scope, zones: pd.DataFrame) -> list[str]:
    com = scope.table[(scope.table["level"] == "community") & (scope.table["item"] ==
                                                               "communities")]
    names = (com.groupby("zone_id")["area_name"].agg(list) if "zone_id" in com
             else pd.Series(dtype=object))
    members = _lookup(names, zones.index, [])
    out = []
    for zid, some, n in zip(zones.index, members, zones["communities"].to_numpy(), strict=True):
        head = "、".join(map(str, some[:2])) + ("等" if len(some) > 2 else "")
        out.append(f"{zid} {head}（{n:.0f}个社区 communities）")
    return out


# -- page --------------------------------------------------------------------------------------

def _cell(v: object, cls: str = "") -> str:
    return f'<td class="{cls}">{html.escape("" if v is None else str(v))}</td>'


def _figures(h: dict[str, float], scope: Scope) -> str:
    e = html.escape
    cards = [(item, zh, en, f"{h[item]:,.0f}", unit, h[item]) for item, zh, en, unit in HEADLINE]
    cards.append(("cost", "总费用", "total cost", _wan(h["cost_cny"]), "万元 (CNY 10k)",
                  h["cost_cny"]))
    if h["households"] > 0:
        per = h["cost_cny"] / h["households"]
        cards.append(("cost_per_household", "户均费用", "per household", f"{per:,.0f}", "元/户",
                      per))
    nz = scope.table.loc[scope.table["level"] == "zone", "area_id"].nunique()
    if nz:
        cards.append(("zones", "连片片区", "contiguous zones", f"{nz}", "个", float(nz)))
    return '<div class="gp-figs">' + "".join(
        f'<div class="gp-fig" data-metric="{e(k)}" data-value="{float(v)!r}">'
        f'<div class="k">{e(zh)} {e(en)}</div><span class="v">{e(text)}</span> '
        f'<span class="u">{e(unit)}</span></div>'
        for k, zh, en, text, unit, v in cards) + "</div>"


def _lookup(values: pd.Series, keys: pd.Index | pd.MultiIndex, missing: object) -> list:
    """``values[key]`` for each key (``missing`` where there is none), all at once."""
    out = values.reindex(keys).to_numpy(dtype=object, copy=True).tolist()
    for i in np.flatnonzero(~keys.isin(values.index)):
        out[i] = missing
    return out


def _row_html(cells: list[list[str]], classes: list[str] | None = None) -> list[str]:
    """``<tr>`` elements from columns of ready ``<td>`` cells."""
    rows = ["".join(r) for r in zip(*cells, strict=True)]
    if classes is None:
        return [f"<tr>{r}</tr>" for r in rows]
    return [f'<tr class="{c}">{r}</tr>' for c, r in zip(classes, rows, strict=True)]


def _street_table(scope: Scope) -> str:
    sc = scope.scenarios.set_index(["level", "area_id"])
    rows = []
    parts = [("street", _areas(scope, "street")), ("unassigned", _areas(scope, "unassigned")),
             ("city", _areas(scope, "city"))]
    for level, frame in parts:
        if level == "unassigned":
            frame = frame[~((frame["cost_cny"] == 0) & (frame["buildings"] == 0))]
        if frame.empty:
            continue
        names = ([_cell("未归属 unassigned" if level == "unassigned" else "全市 city")] * len(frame)
                 if level != "street" else [_cell(v) for v in frame["area_name"]])
        keys = pd.MultiIndex.from_arrays([[level] * len(frame), frame.index])
        cells = [names] + [[_cell(f"{v:,.0f}", "num") for v in frame[h[0]].to_numpy()]
                           for h in HEADLINE] + [
            [_cell(_wan(v), "num") for v in frame["cost_cny"].to_numpy()],
            [_cell(_wan(v), "num") for v in _lookup(sc["cost_basic_cny"], keys, 0.0)],
            [_cell(_wan(v), "num") for v in _lookup(sc["cost_upgrade_cny"], keys, 0.0)]]
        rows += _row_html(cells, ["total" if level == "city" else ""] * len(frame))
    head = ["街道 street", "社区 communities", "楼栋 buildings", "户数 households",
            "建筑面积 floor area (㎡)", "费用 cost (万元)", "基本型 basic (万元)",
            "提升型 upgrade (万元)"]
    return ("<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head)
            + "</tr></thead><tbody>" + "\n".join(rows) + "</tbody></table>")


def _community_table(scope: Scope, communities: pd.DataFrame | None) -> str:
    """One row per community: street, type, headline figures, cost; then the totals."""
    com = _areas(scope, "community")
    info = (pd.DataFrame(communities).drop(columns="geometry", errors="ignore")
            .set_index("community_id") if communities is not None else pd.DataFrame())
    rtype = {"basic": "基本型", "upgrade": "提升型"}
    street = (_lookup(info["street"], com.index, "") if "street" in info
              else [""] * len(com))
    kind = (_lookup(info["renovation_type"], com.index, "") if "renovation_type" in info
            else [""] * len(com))
    rows = _row_html([[_cell(v) for v in com.index], [_cell(v) for v in com["area_name"]],
                      [_cell(v) for v in street], [_cell(rtype.get(v, v)) for v in kind]]
                     + [[_cell(number(v), "num") for v in com[h[0]].to_numpy()]
                        for h in HEADLINE[1:]]
                     + [[_cell(_wan(v), "num") for v in com["cost_cny"].to_numpy()]])
    city = _areas(scope, "city")
    if len(city):
        r = city.iloc[0]
        rows.append('<tr class="total">' + "".join(
            [_cell("合计 total"), _cell(""), _cell(""), _cell("")]
            + [_cell(number(r[h[0]]), "num") for h in HEADLINE[1:]]
            + [_cell(_wan(r["cost_cny"]), "num")]) + "</tr>")
    head = ["编号 id", "社区 community", "街道 street", "类型 type", "楼栋 buildings",
            "户数 households", "建筑面积 floor area (㎡)", "费用 cost (万元)"]
    note = ('<p class="gp-note">合计为全市，含未归属部分 the total is the city\'s, '
            "unassigned features included.</p>")
    return ("<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head)
            + "</tr></thead><tbody>" + "\n".join(rows) + "</tbody></table>" + note)


def _map_html(scope: Scope, communities: gpd.GeoDataFrame | None) -> str:
    if communities is None or not len(communities):
        return ""
    cost = _areas(scope, "community")["cost_cny"] / 1e4
    g = communities[["community_id", "name", "geometry"]].copy()
    g["cost"] = g["community_id"].map(cost).to_numpy(dtype=float)
    svg = svg_map(g, value="cost", label="name", title="社区费用 cost by community", unit="万元")
    return f'<h2>社区分布 the communities</h2><div class="gp-chart-box">{svg}</div>' if svg else ""


def _reconciliation_html(scope: Scope) -> str:
    r = reconciliation(scope)
    if r is None or r.empty:
        return '<p class="gp-note">规划未给出总量 the plan states no totals (plan.toml ' \
               "[quantities] stated).</p>"
    off = r[~r["matches"]]
    verdict = (f'<p class="ok">{len(r)} 项规划数全部一致 all {len(r)} stated figures match.</p>'
               if off.empty else
               f'<p class="bad">{len(off)} / {len(r)} 项不一致 stated figures differ: '
               f'{html.escape(", ".join(map(str, off["item"])))}</p>')
    if "obtained" in r:
        ways = "; ".join(f"{n} {obtained_label(k)}" for k, n in
                         count_obtained(r.loc[r["matches"], "obtained"]).items())
        verdict += (f'<p class="gp-note" data-obtained="1">一致的数字如何取得 how the matching '
                    f"figures were obtained: {html.escape(ways)}. 只有几何量测的数字检验图层与"
                    "规划是否相符，计数、属性和申报数是输入的回显 only figures measured from "
                    "geometry test the layers against the plan; counted, attribute and "
                    "declared figures echo what was put in.</p>")
    rows = []
    for x in r.itertuples(index=False):
        rel = ("0.00%" if x.matches else "" if pd.isna(x.relative_difference)
               else f"{x.relative_difference:+.2%}")
        text = getattr(x, "source_text", "")
        cells = [_cell(x.name_zh if not pd.isna(x.name_zh) else x.item), _cell(x.item),
                 _cell("" if pd.isna(x.unit) else x.unit), _cell(number(x.stated), "num"),
                 _cell(number(x.computed), "num"),
                 _cell("0" if x.matches else f"{x.difference:+,.2f}", "num"),
                 _cell(rel, "num"),
                 _cell(obtained_label(getattr(x, "obtained", ""))),
                 _cell("" if pd.isna(text) else text)]
        rows.append(f'<tr class="{"" if x.matches else "off"}">{"".join(cells)}</tr>')
    head = ["项目 item", "代码 code", "单位 unit", "规划数 stated", "计算数 computed",
            "差值 difference", "相对差 relative", "取得方式 how obtained", "规划原文 source text"]
    return (verdict + "<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head)
            + "</tr></thead><tbody>" + "\n".join(rows) + "</tbody></table>")


def report_html(scope: Scope, *, plan_name: str | None = None,
                communities: gpd.GeoDataFrame | None = None,
                programme: ProgrammeResult | None = None) -> str:
    """The summary page as one offline HTML document (no script, inline SVG charts).

    With ``programme`` it also shows the investment per project and the overdue count."""
    e = html.escape
    city = scope.table[scope.table["level"] == "city"]
    name = plan_name or (str(city["area_name"].iloc[0]) if len(city) else "")
    h = headline(scope)
    streets = _areas(scope, "street")
    unassigned = _areas(scope, "unassigned")
    labels = list(streets["area_name"].astype(str))
    values = list(streets["cost_cny"] / 1e4)
    if len(unassigned) and unassigned["cost_cny"].sum() > 0:
        labels.append("未归属 unassigned")
        values.append(float(unassigned["cost_cny"].sum()) / 1e4)
    charts = [bar_chart(labels, values, title="按街道 cost by street", unit="万元", fmt=_wan_v)]
    zones = _areas(scope, "zone")
    if len(zones):
        charts.append(bar_chart(_zone_labels(scope, zones), list(zones["cost_cny"] / 1e4),
                                title="按连片片区 cost by contiguous zone", unit="万元",
                                fmt=_wan_v, color="#6a51a3"))
    fund = scope.funding[scope.funding["level"] == "city"].sort_values("cost_cny",
                                                                        ascending=False)
    en = load_funding_sources()["name_en"]
    charts.append(bar_chart(
        [f"{z}" for z in fund["funding_name_zh"].fillna(fund["funding"])],
        list(fund["cost_cny"] / 1e4), title="按资金来源 cost by funding source", unit="万元",
        fmt=_wan_v, color="#2c7fb8",
        notes=[f"({s:.1%}) {en.get(f, f)}" for s, f in zip(fund["share"], fund["funding"],
                                                          strict=True)]))
    sc = scope.scenarios
    sc = pd.concat([sc[sc["level"] == "street"].sort_values("area_id"), sc[sc["level"] == "city"]])
    charts.append(stacked_bar_chart(
        [("全市 city" if lv == "city" else str(n)) for lv, n in zip(sc["level"], sc["area_name"],
                                                                      strict=True)],
        [(TIER["basic"], list(sc["cost_basic_cny"] / 1e4), COLORS["basic"]),
         (TIER["upgrade"], list(sc["cost_upgrade_cny"] / 1e4), COLORS["upgrade"])],
        title="基本型与提升型 basic and upgrade work", unit="万元", fmt=_wan_v))
    figures = _figures(h, scope)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{e(name)} 汇总报告 summary</title><style>{CSS}</style></head>
<body>
<h1>{e(name)} — 汇总报告 summary</h1>
{figures}
<p class="gp-note">费用按目录单价估算（可在 plan.toml [prices] 修改） costs use the catalogue's
unit prices (editable assumptions, plan.toml [prices]); 1 万元 = CNY 10,000.</p>
<h2>费用构成 where the money goes</h2>
{"".join(f'<div class="gp-chart-box">{c}</div>' for c in charts)}
{_map_html(scope, communities)}
{_programme_html(programme)}
<h2>各街道 by street</h2>
{_street_table(scope)}
<h2>各社区 by community</h2>
{_community_table(scope, communities)}
<h2>与规划总量核对 reconciliation with the plan's stated totals</h2>
{_reconciliation_html(scope)}
<p class="gp-note">gisplan {e(__version__)} · scope.csv, scope.xlsx and reconciliation.csv hold
every figure.</p>
</body></html>
"""


def _wan_v(v: float) -> str:
    return f"{v:,.1f}"


def write_report(scope: Scope, folder: Path, *, plan_name: str | None = None,
                 communities: gpd.GeoDataFrame | None = None,
                 programme: ProgrammeResult | None = None) -> Path:
    """Write ``report.html`` into ``folder``; return its path. With ``communities``
    the page has a map of them and their streets and types in its table; with
    ``programme`` the investment per project and the overdue count."""
    path = Path(folder) / "report.html"
    path.write_text(report_html(scope, plan_name=plan_name, communities=communities,
                                programme=programme),
                    encoding="utf-8")
    return path
