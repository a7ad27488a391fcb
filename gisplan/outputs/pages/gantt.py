"""Gantt charts of a project's milestones as inline SVG (for ``programme.html``).

One row per milestone under its phase: a bar from planned start to due, a diamond
on a deadline, a circle on the day it was done and a triangle on the day it
started, coloured by status (``gisplan/plan/data/map_styles.csv``, style
``milestone``); the red dashed line is the as-of day. Every text is escaped and
each milestone's figures are in its tooltip.

Examples
--------
>>> svg = gantt_svg(pd.DataFrame({"milestone_id": ["M1"], "phase": ["准备"], "name": ["认定"],
...     "start": [pd.NaT], "due": [pd.Timestamp("2020-09-01")], "started_on": [pd.NaT],
...     "done_on": [pd.NaT], "status": ["due_soon"], "days_late": [0], "lead": ["住建局"]}),
...     as_of=pd.Timestamp("2020-08-25"), title="P1 <b>")
>>> "P1 &lt;b&gt;" in svg, svg.count('class="gp-ms"'), 'data-status="due_soon"' in svg
(True, 1, True)
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from gisplan.outputs.pages.kit import text_width
from gisplan.outputs.webmap.styles import styles

ROW, HEAD, PLOT = 18, 44, 640


def status_style() -> dict[str, dict[str, str]]:
    """Status -> colour and labels (``gisplan/plan/data/map_styles.csv``, style milestone)."""
    return styles()["milestone"]


def status_label(status: str) -> str:
    """``已完成 done`` for ``done``: Chinese, then English."""
    s = status_style().get(status)
    return f"{s['label_zh']} {s['label_en']}" if s else status


def iso_day(x: object) -> str:
    """``YYYY-MM-DD``, or "" for a missing date."""
    return "" if x is None or pd.isna(x) else f"{pd.Timestamp(x):%Y-%m-%d}"  # type: ignore[arg-type]


def plain(x: object) -> str:
    """Text of a table cell, "" for a missing value."""
    return "" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x)



def _axis(dates: pd.Series, as_of: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    known = pd.concat([dates.dropna(), pd.Series([as_of])])
    lo, hi = known.min(), known.max()
    pad = max(pd.Timedelta(days=7), (hi - lo) * 0.03)
    return lo - pad, hi + pad


def gantt_svg(rows: pd.DataFrame, *, as_of: pd.Timestamp, title: str) -> str:
    """One project's milestones as an SVG Gantt chart (inline; tooltips hold the figures).

    A milestone with a planned start is a bar from start to due, one with only a
    due date a diamond on it, one without dates a note; a circle marks the day it
    was done, a triangle the day it started; colours follow its status; the red
    dashed line is the as-of day.
    """
    e = html.escape
    colours = {k: v["value"] for k, v in status_style().items()}
    labels = [f"{m} {n}" for m, n in zip(rows["milestone_id"], rows["name"], strict=True)]
    left = max([text_width(t, 11) for t in labels] + [120]) + 16
    t0, t1 = _axis(pd.concat([rows["start"], rows["due"], rows["done_on"],
                              rows["started_on"]]), as_of)
    span = (t1 - t0).days or 1

    def x(t: pd.Timestamp) -> float:
        return left + (t - t0).days / span * PLOT

    body = [f'<text x="0" y="14" style="font-size:13px;font-weight:600">{e(title)}</text>']
    freq = "MS" if span <= 800 else "QS" if span <= 2200 else "YS"
    height = HEAD + ROW * (len(rows) + rows["phase"].nunique()) + 10
    ticks = pd.date_range(t0, t1, freq=freq)
    every = max(1, int(np.ceil(48 / (PLOT / max(len(ticks), 1)))))  # labels >= 48 px apart
    for k, tick in enumerate(ticks):
        label = (f'<text x="{x(tick) + 2:.1f}" y="{HEAD - 10}" fill="#666">{tick:%Y-%m}</text>'
                 if k % every == 0 else "")
        body.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{HEAD - 8}" '
                    f'y2="{height - 6}" stroke="#eee"/>{label}')
    y, phase = HEAD, None
    for r, label in zip(rows.itertuples(index=False), labels, strict=True):
        if r.phase != phase:
            phase = r.phase
            body.append(f'<text x="0" y="{y + 13}" style="font-weight:600">{e(str(phase))}</text>')
            y += ROW
        c = colours.get(r.status, "#999")
        tip = (f"{r.milestone_id} {r.name} · {status_label(r.status)} · 截止 due {iso_day(r.due)}"
               f"{' · 完成 done ' + iso_day(r.done_on) if not pd.isna(r.done_on) else ''}"
               f"{' · 逾期 late ' + str(r.days_late) + ' 天 days' if r.days_late else ''}"
               f" · 牵头 lead {plain(r.lead)}")
        mid = y + ROW / 2
        shape = ""
        if not pd.isna(r.start) and not pd.isna(r.due):
            w = max(x(r.due) - x(r.start), 2)
            shape = (f'<rect x="{x(r.start):.1f}" y="{y + 4}" width="{w:.1f}" '
                     f'height="{ROW - 8}" fill="{c}" rx="2"/>')
        elif not pd.isna(r.due):
            d = x(r.due)
            shape = (f'<path d="M{d:.1f},{y + 3} l6,{ROW / 2 - 3} l-6,{ROW / 2 - 3} '
                     f'l-6,-{ROW / 2 - 3}z" fill="{c}" stroke="#333" stroke-width="0.5"/>')
        elif pd.isna(r.done_on) and pd.isna(r.started_on):
            shape = f'<text x="{left + 4}" y="{mid + 4}" fill="{c}">无期限 no date</text>'
        for when, mark in ((r.started_on, "start"), (r.done_on, "done")):
            if not pd.isna(when):
                w = x(when)
                shape += (f'<circle cx="{w:.1f}" cy="{mid:.1f}" r="4" fill="{c}" stroke="#fff"/>'
                          if mark == "done" else
                          f'<path d="M{w - 4:.1f},{mid + 4:.1f} l4,-8 l4,8z" fill="{c}"/>')
        back = ' fill="#fde2e1"' if r.status == "overdue" else ' fill="none"'
        body.append(f'<g class="gp-ms" data-milestone="{e(str(r.milestone_id))}" '
                    f'data-status="{e(r.status)}"><title>{e(tip)}</title>'
                    f'<rect x="0" y="{y}" width="{left + PLOT}" height="{ROW}"{back}/>'
                    f'<text x="8" y="{mid + 4:.1f}">{e(label)}</text>{shape}</g>')
        y += ROW
    a = x(as_of)
    body.append(f'<line class="gp-asof" x1="{a:.1f}" x2="{a:.1f}" y1="{HEAD - 6}" '
                f'y2="{height - 6}" stroke="#d73027" stroke-dasharray="4 3" stroke-width="1.5"/>'
                f'<text x="{a + 3:.1f}" y="{height - 1}" fill="#d73027">截至 as of {as_of:%Y-%m-%d}'
                "</text>")
    width = left + PLOT + 90
    return (f'<svg class="gp-gantt-svg" width="{width:.0f}" height="{height + 6}" '
            f'viewBox="0 0 {width:.0f} {height + 6}" role="img" aria-label="{e(title)}">'
            + "".join(body) + "</svg>")
