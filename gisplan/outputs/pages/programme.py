"""``programme.html``: investment per project, who is late, a Gantt chart per project and a map.

The page (Chinese first, English beside) holds:

- the investment table: each project's construction, other costs, contingency and
  total against its stated total, every difference highlighted; the plan-level
  parts against the plan's own total (where its parts do not add up, the gap is
  shown); where the unallocated cost comes from;
- the overdue milestones with their lead (牵头单位) and supporting units;
- a Gantt chart per project (inline SVG): phases, planned spans and deadlines,
  progress dates, status colours and the as-of line;
- a map of the communities coloured by their projects' current phase (the least
  advanced of them, or one project's), Leaflet inlined so the page loads nothing;
- the whole schedule.

Every text is HTML-escaped; colours and labels come from ``gisplan/plan/data``.

The Gantt charts are drawn by :mod:`gisplan.outputs.pages.gantt`.

Examples
--------
>>> colours = phase_colors(["准备 preparation", "施工 construction"])
>>> colours["准备 preparation"] != colours["施工 construction"], colours[COMPLETE]
(True, '#238b45')
"""

from __future__ import annotations

import html
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gisplan import __version__
from gisplan.analysis.programme import COMPLETE, ProgrammeResult
from gisplan.outputs.pages.gantt import gantt_svg, iso_day, plain, status_label, status_style
from gisplan.outputs.pages.kit import (
    PAGE_CSS,
    bounds,
    feature_collection,
    html_table,
    json_element,
    number,
    page_assets,
)
from gisplan.outputs.webmap.assets import LEAFLET_ASSETS
from gisplan.outputs.webmap.styles import ramp, styles
from gisplan.plan.catalogue import load_funding_sources

DATA_ID = "gisplan-programme-data"
CSS = PAGE_CSS + """
body{max-width:1200px}.gp-note{color:#666;font-size:12px}.bad{color:#cb181d;font-weight:600}
.gp-gantt{margin:0.3em 0 1.2em;overflow-x:auto}svg text{font-size:11px;fill:#222}
.gp-figs{display:flex;flex-wrap:wrap;gap:10px}.gp-fig{border:1px solid #c6dbef;
border-radius:6px;padding:6px 12px;background:#f7fbff}.gp-fig .v{font-size:22px;font-weight:600}
tr.overdue td{background:#fde2e1}details{margin:0.5em 0}"""


def phase_colors(phases: list[str]) -> dict[str, str]:
    """Phase -> colour, in phase order, plus :data:`COMPLETE` and no project (``""``)."""
    colours = ramp("phase")
    out = {ph: colours[min(i, len(colours) - 1)] for i, ph in enumerate(phases)}
    extra = styles()["phase"]
    out[COMPLETE] = extra["complete"]["value"]
    out[""] = extra["none"]["value"]
    return out


def _wan(x: object) -> str:
    return "" if x is None or pd.isna(x) else f"{float(x) / 1e4:,.1f}"  # type: ignore[arg-type]


def _track(track: str) -> str:
    names = load_funding_sources()["name_zh"]
    return f"{names[track]} ({track})" if track in names.index else str(track)


# -- tables -----------------------------------------------------------------------------------

def _off(x: object) -> bool:
    return x is not None and not pd.isna(x) and abs(float(x)) >= 0.5  # type: ignore[arg-type]


def investment_html(result: ProgrammeResult) -> str:
    """The investment table, the plan-level parts and where the unallocated cost comes from."""
    inv = result.investment
    rows, classes = [], []
    for r in inv.itertuples(index=False):
        rel = "" if pd.isna(r.relative_difference) else f"{r.relative_difference:+.1%}"
        rows.append([(str(r.project_id), ""), (str(r.name), ""), (_track(r.track), ""),
                     (_wan(r.construction_cny), "num"), (_wan(r.other_cny), "num"),
                     (_wan(r.contingency_cny), "num"), (_wan(r.total_cny), "num"),
                     (_wan(r.stated_total_cny), "num"),
                     (_wan(r.difference_cny) if _off(r.difference_cny) else "", "num"),
                     (rel if _off(r.difference_cny) else "", "num")])
        classes.append(" ".join(c for c, on in (("off", _off(r.difference_cny)),
                                                ("total", r.project_id == "all")) if on))
    table = html_table(["编号 id", "项目 project", "资金渠道 track", "建安工程费 construction",
                        "其他费用 other", "基本预备费 contingency", "总投资 total",
                        "规划总投资 stated total", "差值 difference", "相对差 relative"],
                       rows, row_classes=classes)
    return table + _parts_html(inv) + _unallocated_html(result)


def _parts_html(inv: pd.DataFrame) -> str:
    rows, classes = [], []
    for r in inv.itertuples(index=False):
        for part, zh in (("construction", "建安工程费 construction"), ("other", "其他费用 other"),
                         ("contingency", "基本预备费 contingency")):
            stated = getattr(r, f"stated_{part}_cny")
            if pd.isna(stated):
                continue
            diff = getattr(r, f"{part}_difference_cny")
            rows.append([(str(r.name) if r.project_id == "all" else f"{r.project_id} {r.name}",
                          ""), (zh, ""),
                         (_wan(getattr(r, f"{part}_cny")), "num"), (_wan(stated), "num"),
                         (_wan(diff) if _off(diff) else "", "num")])
            classes.append("off" if _off(diff) else "")
    if not rows:
        return ""
    out = ("<h3>分项核对 parts against the stated parts（万元）</h3>"
           + html_table(["项目 project", "分项 part", "计算 computed", "规划 stated",
                         "差值 difference"], rows, row_classes=classes))
    for r in inv[inv["stated_gap_cny"].notna()].itertuples(index=False):
        parts = " + ".join(_wan(getattr(r, f"stated_{p}_cny"))
                           for p in ("construction", "other", "contingency"))
        off = _off(r.stated_gap_cny)
        verdict = "（规划自身数字不闭合 the plan's own figures do not add up）" if off else ""
        out += (f'<p class="{"bad" if off else "gp-note"}" data-gap="{float(r.stated_gap_cny)!r}">'
                f"{html.escape(str(r.project_id))}: 规划各分项之和 the stated parts "
                f"{html.escape(parts)} = {_wan(r.stated_parts_cny)} 万元；规划总投资 the stated "
                f"total {_wan(r.stated_total_cny)} 万元：相差 gap {_wan(r.stated_gap_cny)} 万元"
                f"{html.escape(verdict)}</p>")
    return out


def _unallocated_html(result: ProgrammeResult) -> str:
    u = result.unallocated
    if u.empty:
        return ""
    where = {"unassigned": "社区外 outside every community", "community": "社区内 in a community"}
    rows = [[(where.get(r.source, r.source), ""), (str(r.item), ""), (str(r.name_zh), ""),
             (number(r.quantity), "num"), (_wan(r.cost_cny), "num")]
            for r in u.head(12).itertuples(index=False)]
    more = f"<p class='gp-note'>另有 {len(u) - 12} 项 and {len(u) - 12} more items.</p>" \
        if len(u) > 12 else ""
    return ("<h3>未归入项目的费用 cost no project claims（万元）</h3>"
            + html_table(["位置 where", "代码 code", "项目 item", "工程量 quantity",
                          "费用 cost"], rows) + more)


def overdue_html(result: ProgrammeResult) -> str:
    od = result.overdue
    if od.empty:
        return f'<p class="gp-note">截至 {result.as_of:%Y-%m-%d} 无逾期事项 nothing is overdue.</p>'
    rows = [[(str(r.project_id), ""), (str(r.milestone_id), ""), (str(r.name), ""),
             (iso_day(r.due), ""), (str(r.days_late), "num"), (plain(r.lead), ""),
             (plain(r.support).replace(";", "、"), "")] for r in od.itertuples(index=False)]
    return html_table(["项目 project", "编号 id", "事项 milestone", "截止 due",
                       "逾期天数 days late", "牵头单位 lead", "配合单位 support"], rows,
                      row_classes=["overdue"] * len(rows))


def schedule_html(result: ProgrammeResult) -> str:
    rows, classes = [], []
    for r in result.schedule.itertuples(index=False):
        rows.append([(str(r.project_id), ""), (str(r.milestone_id), ""), (str(r.phase), ""),
                     (str(r.name), ""), (iso_day(r.start), ""), (iso_day(r.due), ""),
                     (status_label(r.status), ""), (iso_day(r.started_on), ""),
                     (iso_day(r.done_on), ""), (str(r.days_late), "num"), (plain(r.lead), "")])
        classes.append("overdue" if r.status == "overdue" else "")
    return html_table(["项目 project", "编号 id", "阶段 phase", "事项 milestone", "开始 start",
                       "截止 due", "状态 status", "开始于 started", "完成于 done",
                       "逾期天数 days late", "牵头单位 lead"], rows, row_classes=classes)


def summary_html(result: ProgrammeResult | None) -> str:
    """For ``report.html``: investment per project against the stated totals, the stated
    parts' gap and how many milestones are late ("" without a programme)."""
    if result is None:
        return ""
    e = html.escape
    rows, classes = [], []
    for r in result.investment.itertuples(index=False):
        off = _off(r.difference_cny)
        rows.append([(f"{r.project_id} {r.name}", ""), (_wan(r.total_cny), "num"),
                     (_wan(r.stated_total_cny), "num"),
                     (f"{r.difference_cny / 1e4:+,.1f}" if off else "", "num"),
                     (f"{r.relative_difference:+.1%}" if off else "", "num")])
        classes.append(" ".join(c for c, on in (("off", off), ("total", r.project_id == "all"))
                                if on))
    table = html_table(["项目 project", "总投资 total (万元)", "规划 stated (万元)",
                        "差值 difference (万元)", "相对差 relative"], rows, row_classes=classes)
    late = len(result.overdue)
    gap = result.investment.set_index("project_id")["stated_gap_cny"].dropna()
    gaps = "".join(
        f'<p class="bad">{e(str(pid))}: 规划各分项之和比规划总投资少 the plan\'s stated parts fall '
        f"short of its stated total by {_wan(v)} 万元</p>" for pid, v in gap.items() if _off(v))
    return f"""<h2>投资与进度 investment and schedule</h2>
<div class="gp-figs"><div class="gp-fig" data-metric="overdue" data-value="{late}">
<div class="k">逾期事项 overdue milestones（截至 as of {result.as_of:%Y-%m-%d}）</div>
<span class="v {"bad" if late else "ok"}">{late}</span></div></div>
{table}{gaps}
<p class="gp-note">programme.html 有甘特图、逾期清单和地图 has the Gantt charts, the overdue list
with lead units and the map; investment.csv and schedule.csv hold every figure.</p>"""


# -- map --------------------------------------------------------------------------------------

def map_data(result: ProgrammeResult, communities: gpd.GeoDataFrame) -> dict:
    """Communities with their projects' phases and colours, views and legend, for the map."""
    phases = list(dict.fromkeys(result.programme.milestones["phase"]))
    colour = phase_colors(phases)
    of = result.phases.set_index("project_id")["phase"]
    projects = result.programme.projects
    ids = communities["community_id"].astype(object).to_numpy()
    least = result.communities.set_index("community_id").reindex(ids)
    views = {"*": [colour.get(p or "", colour[""]) for p in least["phase"].fillna("")]}
    labels = {"*": "各社区项目中最滞后的阶段 least advanced of its projects"}
    per_project: dict[str, list[str | None]] = {}
    for p in projects.itertuples(index=False):
        mine = (np.ones(len(ids), bool) if p.communities is None
                else np.isin(ids, list(p.communities)))
        views[p.project_id] = [colour.get(of[p.project_id], colour[""]) if m else colour[""]
                               for m in mine]
        per_project[p.project_id] = [of[p.project_id] if m else None for m in mine]
        labels[p.project_id] = f"{p.project_id} {p.name}"
    props = pd.DataFrame({
        "community_id": ids, "name": communities["name"].astype(object).to_numpy(),
        "projects": least["projects"].fillna("").to_numpy(),
        "phase": least["phase"].to_numpy(),
        "colors": [dict(zip(views, c, strict=True)) for c in zip(*views.values(), strict=True)],
        "project_phases": [{k: v[i] for k, v in per_project.items() if v[i] is not None}
                           for i in range(len(ids))]})
    legend = [[colour[p], p] for p in phases] + [[colour[COMPLETE], COMPLETE],
                                                  [colour[""], styles()["phase"]["none"]
                                                   ["label_zh"] + " in no project"]]
    return {"views": [[k, labels[k]] for k in views], "legend": legend,
            "communities": feature_collection(communities, props), "bounds": bounds(communities)}


# -- page -------------------------------------------------------------------------------------

def programme_html(result: ProgrammeResult, communities: gpd.GeoDataFrame, *,
                   plan_name: str = "", offline: bool = True) -> str:
    """The programme page as one HTML document (Leaflet inlined unless ``offline`` is False)."""
    e = html.escape
    s = result.schedule
    counts = s["status"].value_counts()
    figs = "".join(
        f'<div class="gp-fig" data-status="{e(k)}"><div>{e(status_label(k))}</div>'
        f'<span class="v">{int(counts.get(k, 0))}</span></div>' for k in status_style())
    gantts = "".join(
        '<div class="gp-gantt">' + gantt_svg(
            s[s["project_id"] == p.project_id], as_of=result.as_of,
            title=f"{p.project_id} {p.name} · {_track(p.track)} · 当前阶段 now: "
                  f"{result.phases.set_index('project_id').at[p.project_id, 'phase']}")
        + "</div>" for p in result.programme.projects.itertuples(index=False))
    legend = " ".join(f'<span style="color:{v["value"]}">■</span> {e(v["label_zh"])} '
                      f'{e(v["label_en"])}' for v in status_style().values())
    warn = "".join(f'<p class="bad">{e(w)}</p>' for w in result.warnings)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{e(plan_name)} 项目进度与投资 programme</title><style>{CSS}</style>
{page_assets(LEAFLET_ASSETS, "programme.js", offline=offline)}</head>
<body>
<h1>{e(plan_name)} — 项目进度与投资 programme and investment</h1>
<p>截至 as of <b>{result.as_of:%Y-%m-%d}</b> · {len(result.programme.projects)} 个项目 projects ·
{len(result.programme.milestones)} 个事项 milestones</p>
<div class="gp-figs">{figs}</div>
<h2>投资 investment（万元 CNY 10k）</h2>
{warn}
{investment_html(result)}
<p class="gp-note">建安工程费 = 项目所含各社区工程量 × 目录单价；其他费用 = 建安 × other_rate；
基本预备费 = (建安 + 其他) × contingency_rate. construction = the claimed community costs at
catalogue prices (editable assumptions); investment.csv holds every figure in yuan.</p>
<h2>逾期事项 overdue ({len(result.overdue)})</h2>
{overdue_html(result)}
<h2>进度计划 schedule (Gantt)</h2>
<p class="gp-note">{legend} · 条 bar: 计划起止 planned span; ◆ 截止 deadline; ● 完成 done;
▲ 开始 started; 红色虚线 red dashed: 截至日 as-of day.</p>
{gantts}
<h2>各社区当前阶段 communities by their projects' current phase</h2>
<div id="gp-programme-map" class="gp-map"></div>
<details><summary>全部事项 the whole schedule ({len(s)})</summary>
{schedule_html(result)}</details>
<p class="gp-note">gisplan {e(__version__)} · schedule.csv, investment.csv</p>
{json_element(DATA_ID, map_data(result, communities))}
<script>GisplanProgramme.init('gp-programme-map', JSON.parse(
document.getElementById('{DATA_ID}').textContent));</script>
</body></html>
"""


def write_programme_page(result: ProgrammeResult, folder: Path, communities: gpd.GeoDataFrame,
                         **options: object) -> Path:
    """Write ``programme.html`` into ``folder`` (options as :func:`programme_html`)."""
    path = Path(folder) / "programme.html"
    path.write_text(programme_html(result, communities, **options), encoding="utf-8")  # type: ignore[arg-type]
    return path
