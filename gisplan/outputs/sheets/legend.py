"""The legend (图例) of a sheet: its rows drawn as plain artists in the panel.

Each row is a sample of the layer (a copy of the entry's handle: a patch as a small
rectangle, a line as a short stroke, a marker as one dot) and its text, laid out in
columns filled top to bottom, the title above and the sheet's notes at the bottom.
Drawing the rows directly rather than through ``Axes.legend`` costs one text per row
and no layout pass (the legend was a third of a sheet's render time).

Examples
--------
>>> _split_items("甲 1个 · 乙 2个 · 丙 3个", 30.0, 9.0)
['甲 1个 · 乙 2个', '丙 3个']
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from gisplan.outputs.sheets.layout import (
    MIN_FONT_PT,
    PT_MM,
    Page,
    bilingual,
    fit_font,
    text_width_mm,
)

#: Sample length and height, gap to the text and between columns, row pitch (em).
SAMPLE_EM, SAMPLE_H_EM, PAD_EM, PITCH_EM = 2.2, 0.7, 0.8, 1.6


def _sample(ax: Axes, handle: object, x: float, y: float, em: float) -> None:
    """A copy of ``handle`` (a Patch or a Line2D) drawn at ``x`` (left), ``y`` (middle)."""
    length = SAMPLE_EM * em
    if isinstance(handle, Patch):
        box = Rectangle((x, y - SAMPLE_H_EM * em / 2), length, SAMPLE_H_EM * em)
        box.update_from(handle)
        ax.add_patch(box)
    elif isinstance(handle, Line2D):
        line = Line2D([], [])
        line.update_from(handle)
        if line.get_linestyle() in ("None", "", " ") and line.get_marker() not in (None, "None"):
            line.set_data([x + length / 2], [y])
        else:
            line.set_data([x, x + length], [y, y])
        ax.add_line(line)


def legend(fig: Figure, page: Page, entries: list[tuple[object, str]], *,
           notes: list[str] = ()) -> Axes:
    """The legend in the panel above the title block, in as many columns and at as small
    a size (never below MIN_FONT_PT) as it needs to fit; ``notes`` are lines of text
    under it (figures of the sheet)."""
    ax = page.axes(fig, page.legend_box)
    w = page.legend_box[2] - page.legend_box[0]
    h = page.legend_box[3] - page.legend_box[1]
    size = page.font_pt
    notes = [part for line in notes for part in _split_items(line, w, size)]
    note_h = len(notes) * size * PT_MM * 1.5 + (3.0 if notes else 0.0)
    for size in np.arange(page.font_pt, MIN_FONT_PT - 0.01, -0.5):
        row = size * PT_MM * 1.75
        rows_fit = max(int((h - note_h - 3 * row) // row), 1)
        ncol = int(np.ceil(len(entries) / rows_fit)) if entries else 1
        widest = max((text_width_mm(t, size) for _, t in entries), default=0) + 10
        if ncol * widest <= w or size <= MIN_FONT_PT:
            break
    if entries:
        em = size * PT_MM
        ax.text(0, h, bilingual("legend.title"), fontsize=size * 1.15, va="top", ha="left")
        top = h - size * 1.15 * PT_MM * 1.5
        rows = int(np.ceil(len(entries) / ncol))
        for i, (handle, text) in enumerate(entries):
            col, row = divmod(i, rows)
            x, y = col * w / ncol, top - (row + 0.5) * PITCH_EM * em
            _sample(ax, handle, x, y, em)
            ax.text(x + (SAMPLE_EM + PAD_EM) * em, y, text, fontsize=size, va="center",
                    ha="left")
    y = note_h - 3.0
    for line in notes:
        ax.text(0, y, line, fontsize=fit_font(line, w, size), va="top", ha="left")
        y -= size * PT_MM * 1.5
    return ax


def _split_items(line: str, width_mm: float, font_pt: float, sep: str = " · ") -> list[str]:
    """``line`` broken between its `` · ``-separated items into lines that fit ``width_mm``."""
    out: list[str] = []
    for item in line.split(sep):
        if out and text_width_mm(out[-1] + sep + item, font_pt) <= width_mm:
            out[-1] += sep + item
        else:
            out.append(item)
    return out
