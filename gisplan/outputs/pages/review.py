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


CSS = PAGE_CSS


def review_html(review: Review, *, map_html: MapHtml | None = None) -> str:
    """The review page as one offline HTML document."""
    s = summary(review)
    e = html.escape
    f = review.findings
    shown = f[["rule", "rule_zh", "feature_id", "item", "community_id", "measured", "limit",
               "unit", "passed", "message", "lon", "lat"]]
    fragment = map_html(review) if map_html is not None else ""
    facts = "".join(f"<li>{e(str(k))}: {e(str(v))}</li>" for k, v in s.items())
    inputs = "".join(f"<li>{e(str(k))}: {e(str(v))}</li>" for k, v in review.inputs.items())
    rules = e(json.dumps(review.rules.as_dict(), ensure_ascii=False))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{e(review.plan_name)} 选址审查 site-plan review</title><style>{CSS}</style></head>
<body>
<h1>{e(review.plan_name)} — 选址审查 site-plan review</h1>
<ul>{facts}</ul>
<p>输入 inputs:</p><ul>{inputs}</ul>
<p>规则 rules: <code>{rules}</code></p>
<section id="map">{fragment}</section>
<h2>审查结果 findings</h2>
<p>坐标 lon/lat: EPSG:4326; x/y in review.csv: {e(review.crs)}.</p>
{_table(shown, klass="findings", link=("proposal", "feature_id"))}
<h2>违建台账 demolition ledger</h2>
{_table(review.ledger, klass="ledger", link=("structure", "structure_id"))}
<h2>审查标注 reviewer markup</h2>
{_table(markup_table(review), klass="markup", link=("mark", "mark_id"))}
<p>gisplan {e(__version__)}</p>
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
