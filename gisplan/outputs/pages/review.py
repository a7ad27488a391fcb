"""The review's files: ``review.json``, ``review.csv``, ``ledger.csv``, ``review.geojson``
and a plain ``review.html``.

``review.csv`` has the columns ``rule, feature_id, measured, limit, passed,
message`` first (one row per rule checked per proposal, passes included),
then the rule's Chinese name, unit, item, community and the finding's
location. ``review.json`` holds the same rows with the rules used, a summary,
the demolition ledger and the reviewer markup. ``review.geojson`` (RFC 7946)
has every proposal with its verdict, for a map.

``review.html`` is self-contained and offline (no external URL, inline CSS):
summary, findings (each with its lon/lat), ledger and markup tables, every
value HTML-escaped. A map can be added with ``map_html``: a callable given the
:class:`~gisplan.analysis.review.Review` that returns an HTML fragment, placed in the
page's ``<section id="map">`` as it is (it is trusted, not escaped).
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from gisplan import __version__
from gisplan.analysis.review import EXTRA_COLUMNS, FINDING_COLUMNS, Review, locate_points
from gisplan.outputs.exports.layer_files import write_rfc7946
from gisplan.outputs.pages.kit import PAGE_CSS, html_table, records
from gisplan.outputs.pages.review_opinion import (
    badge,
    failing_sentences,
    finding_zh,
    opinions,
    requirement_zh,
    rule_name_zh,
    rules_table,
)
from gisplan.outputs.tables import write_csv

MapHtml = Callable[[Review], str]


def markup_table(review: Review) -> pd.DataFrame:
    """The markup as rows: id, reviewer, time, comment, status, geometry type, location."""
    cols = ["mark_id", "reviewer", "time", "comment", "status", "geometry_type", "x", "y",
            "lon", "lat"]
    m = review.markup
    if m is None or m.empty:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(m.drop(columns=m.geometry.name)).assign(geometry_type=m.geom_type)
    return pd.concat([out, locate_points(m)], axis=1)[cols].reset_index(drop=True)


def summary(review: Review) -> dict[str, object]:
    f = review.findings
    return {"proposals": len(review.proposals),
            "proposals_passed": int(review.proposals["passed"].sum()),
            "proposals_failed": int((~review.proposals["passed"]).sum()),
            "checks": len(f), "checks_failed": int((~f["passed"]).sum()),
            "ledger_structures": len(review.ledger),
            "ledger_area_m2": round(float(review.ledger["area_m2"].sum()), 3),
            "markup": 0 if review.markup is None else len(review.markup)}


def _table(frame: pd.DataFrame, *, klass: str = "",
           link: tuple[str, str] | None = None) -> str:
    """``frame`` as a page table; with ``link=(kind, column)`` each row carries
    ``data-map="kind:id"`` (the review map opens that feature when the row is clicked)."""
    if frame.empty:
        return "<p>—</p>"
    shown = frame.astype(object).where(frame.notna(), "")
    rows = [[(str(v), "") for v in row] for row in shown.itertuples(index=False)]
    fails = (["fail" if str(v) == "False" else "" for v in shown["passed"]]
             if klass == "findings" and "passed" in shown else [""] * len(shown))
    refs = (None if link is None else [f"{link[0]}:{v}" for v in shown[link[1]]])
    return html_table([str(c) for c in frame.columns], rows, refs=refs, row_classes=fails,
                      klass=klass)


CSS = PAGE_CSS + """
.gp-badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-weight:600}
.gp-pass{background:#1a9850}.gp-revise{background:#e08214}.gp-reject{background:#d73027}
.gp-summary td.num{font-size:18px;font-weight:600}.gp-filter button{margin-right:6px}
.gp-filter button.on{background:#08519c;color:#fff}tr.hide{display:none}
tr[data-map]{cursor:pointer}.gp-opinion{border:1px solid #bbb;padding:0.6em 1em;margin:1em 0}
.gp-sign{margin-top:2em}
@media print{.gp-noprint,#map,.gp-filter{display:none}
.gp-opinion{page-break-before:always;border:none}
body.gp-only-opinions>*:not(.gp-opinions){display:none}}
@page{size:A4;margin:18mm}"""
#: Findings columns shown, with their Chinese headers.
FINDINGS_SHOWN = {"feature_id": "方案 proposal", "rule_zh": "规则 rule",
                  "measured": "实测 measured", "limit": "要求 required", "unit": "单位 unit",
                  "passed": "结果 result",
                  "message_zh": "说明 finding", "lon": "经度 lon", "lat": "纬度 lat"}
LEDGER_ZH = {"structure_id": "编号 id", "kind": "类型 kind", "status": "状态 status",
             "community_id": "社区 community", "area_m2": "面积 area (㎡)", "lon": "经度 lon",
             "lat": "纬度 lat"}
MARKUP_ZH = {"mark_id": "标注 mark", "reviewer": "审查人 reviewer", "time": "时间 time",
             "comment": "意见 comment", "status": "状态 status", "lon": "经度 lon",
             "lat": "纬度 lat"}
SCRIPT = """document.querySelectorAll('.gp-filter button').forEach(function (b) {
  b.addEventListener('click', function () {
    var want = b.getAttribute('data-show');
    document.querySelectorAll('.gp-filter button').forEach(function (o) {
      o.classList.toggle('on', o === b); });
    document.querySelectorAll('table.findings tbody tr').forEach(function (r) {
      r.classList.toggle('hide', want !== 'all' && r.getAttribute('data-result') !== want); });
  }); });
var pb = document.getElementById('gp-print-opinions');
if (pb) pb.addEventListener('click', function () {
  document.body.classList.add('gp-only-opinions'); window.print();
  document.body.classList.remove('gp-only-opinions'); });"""


def _conclusions_table(review: Review) -> str:
    e = html.escape
    sentences = failing_sentences(review)
    rows = []
    for p in review.proposals.itertuples(index=False):
        reasons = "".join(f"<li>{e(s)}</li>" for s in sentences.get(p.facility_id, []))
        rows.append(
            f'<tr data-map="proposal:{e(str(p.facility_id))}"><td>{e(str(p.facility_id))}</td>'
            f"<td>{e(str(p.item_zh or p.item))}</td>"
            f"<td>{e(str(p.community_name or ''))}（{e(str(p.community_id))}）</td>"
            f"<td>{badge(p.conclusion)}</td><td>{f'<ol>{reasons}</ol>' if reasons else '—'}"
            "</td></tr>")
    head = ["方案 proposal", "设施 item", "社区 community", "结论 conclusion",
            "不符合项 failing rules (实测 measured / 要求 required)"]
    return ('<table class="gp-t conclusions"><thead><tr>'
            + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead><tbody>"
            + "\n".join(rows) + "</tbody></table>")


def _findings_table(review: Review) -> str:
    e = html.escape
    f = review.findings
    rows = []
    for r in f.to_dict("records"):
        ok = bool(r["passed"])
        cells = [r["feature_id"], rule_name_zh(r["rule"]),
                 "" if pd.isna(r["measured"]) else f"{r['measured']:g}",
                 requirement_zh(r["rule"], r["limit"]), "㎡" if r["unit"] == "m²" else r["unit"],
                 "符合" if ok else "不符合", "" if ok else finding_zh(r),
                 f"{r['lon']:.6f}", f"{r['lat']:.6f}"]
        rows.append(f'<tr data-map="proposal:{e(str(r["feature_id"]))}" '
                    f'data-result="{"pass" if ok else "fail"}" class="{"" if ok else "fail"}">'
                    + "".join(f"<td>{e(str(c))}</td>" for c in cells) + "</tr>")
    return ('<table class="gp-t findings"><thead><tr>'
            + "".join(f"<th>{e(h)}</th>" for h in FINDINGS_SHOWN.values())
            + "</tr></thead><tbody>" + "\n".join(rows) + "</tbody></table>")


def review_html(review: Review, *, map_html: MapHtml | None = None,
                date: str | None = None) -> str:
    """The review page as one offline HTML document, Chinese first: the conclusions, the
    map on the proposals, the rules, the findings (filterable), the ledger, the markup and
    a printable opinion per proposal."""
    import datetime

    e = html.escape
    date = date or datetime.date.today().isoformat()
    s = summary(review)
    conclusion = review.proposals["conclusion"].value_counts()
    fragment = map_html(review) if map_html is not None else ""
    names = {"proposal": "方案文件 proposals", "rules": "规则文件 rules",
             "fire_lanes": "消防车道 fire lanes", "markup": "标注 markup", "plan": "规划 plan"}
    inputs = "".join(f"<tr><th>{e(names.get(k, k))}</th><td>{e(str(v))}</td></tr>"
                     for k, v in review.inputs.items())
    counts = [("方案 proposals", s["proposals"]), ("通过 pass", conclusion.get("pass", 0)),
              ("需修改 revise", conclusion.get("revise", 0)),
              ("不通过 reject", conclusion.get("reject", 0)),
              ("检查项 checks", s["checks"]), ("不符合项 failed checks", s["checks_failed"]),
              ("违建台账 ledger", f"{s['ledger_structures']} 处 / {s['ledger_area_m2']:,.1f} ㎡")]
    summary_table = ('<table class="gp-t gp-summary"><tbody><tr>'
                     + "".join(f"<th>{e(k)}</th>" for k, _ in counts) + "</tr><tr>"
                     + "".join(f'<td class="num">{e(str(v))}</td>' for _, v in counts)
                     + "</tr></tbody></table>")
    ledger = review.ledger[[c for c in LEDGER_ZH if c in review.ledger]].rename(columns=LEDGER_ZH)
    marks = markup_table(review)
    marks = marks[[c for c in MARKUP_ZH if c in marks]].rename(columns=MARKUP_ZH)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{e(review.plan_name)} 选址审查 site-plan review</title><style>{CSS}</style></head>
<body>
<h1>{e(review.plan_name)} — 选址审查 site-plan review</h1>
<table class="gp-t"><tbody><tr><th>审查日期 date</th><td>{e(date)}</td></tr>{inputs}
<tr><th>坐标 CRS</th><td>{e(review.crs)}（经纬度 lon/lat: EPSG:4326）</td></tr></tbody></table>
<h2>审查结论 conclusions</h2>
{summary_table}
{_conclusions_table(review)}
<p class="gp-noprint"><button id="gp-print-opinions">打印审查意见 print the opinions</button>
点击一行可在地图上定位 click a row to find it on the map.</p>
<section id="map">{fragment}</section>
<h2>审查规则 rules</h2>
{rules_table(review)}
<h2>审查明细 every check</h2>
<p class="gp-filter"><button data-show="all" class="on">全部 all</button><button
data-show="fail">不符合 failed</button><button data-show="pass">符合 passed</button></p>
{_findings_table(review)}
<h2>违建台账 demolition ledger</h2>
{_table(ledger, klass="ledger", link=("structure", "编号 id"))}
<h2>审查标注 reviewer markup</h2>
{_table(marks, klass="markup", link=("mark", "标注 mark"))}
<section class="gp-opinions"><h2>审查意见 opinions</h2>
{opinions(review, date=date)}</section>
<p class="gp-note">gisplan {e(__version__)} · review.csv and review.json hold every check
(English messages beside the codes).</p>
<script>{SCRIPT}</script>
</body></html>
"""


def write_review(review: Review, folder: Path, *, map_html: MapHtml | None = None) -> list[Path]:
    """Write ``review.json``, ``review.csv``, ``ledger.csv``, ``review.geojson`` and
    ``review.html`` into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    findings = review.findings[FINDING_COLUMNS + EXTRA_COLUMNS]
    doc = {"plan": review.plan_name, "crs": review.crs, "gisplan_version": __version__,
           "inputs": review.inputs, "rules": review.rules.as_dict(), "summary": summary(review),
           "findings": records(findings), "ledger": records(review.ledger),
           "markup": records(markup_table(review))}
    written = [folder / "review.json", folder / "review.csv", folder / "ledger.csv"]
    written[0].write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    write_csv(findings, written[1])
    write_csv(review.ledger, written[2])
    if len(review.proposals):
        written.append(write_rfc7946(review.proposals, folder / "review.geojson"))
    page = folder / "review.html"
    page.write_text(review_html(review, map_html=map_html), encoding="utf-8")
    return [*written, page]
