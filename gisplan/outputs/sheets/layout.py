"""The page of a map sheet: paper, frame, map at a true scale, title block, scale bar, north arrow.

Everything on the page is measured in millimetres of paper. The map frame
takes the left of the page inside the drawing frame (GB/T 14689: a 25 mm binding
margin on the left, 5 mm elsewhere); the right panel holds the legend above the
title block. The scale is the smallest denominator of the GB/T 14690 series
(``gisplan/plan/data/sheet_scales.csv``) at which the extent fits the map frame,
and the map axes are set so that one metre on the ground is exactly
``1000 / N`` mm on paper.

Examples
--------
>>> page = Page.for_paper("A3")
>>> page.width_mm, page.height_mm
(420.0, 297.0)
>>> choose_scale((0, 0, 250, 240), page.map_box)
1000
>>> nice_length(61.3)
50.0
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle

from gisplan.errors import OutputError
from gisplan.plan.catalogue import read_data

MM_PER_INCH = 25.4
PT_MM = MM_PER_INCH / 72  # one typographic point in mm
#: Smallest text on a sheet (pt): 2 mm high capitals, readable when printed.
MIN_FONT_PT = 6.0
GAP_MM = 4.0  # between the map frame, the panel and the drawing frame


@cache
def sheet_labels(lang: str = "zh") -> dict[str, str]:
    """Texts of the sheets from sheet_labels.csv (``lang``: "zh" or "en")."""
    table = read_data("sheet_labels.csv")
    return dict(zip(table["key"], table[lang], strict=True))


def bilingual(key: str) -> str:
    """``图例 legend``: the Chinese text with the English beside it (if any)."""
    zh, en = sheet_labels("zh")[key], sheet_labels("en")[key]
    return f"{zh} {en}" if en else zh


@cache
def scale_series() -> tuple[int, ...]:
    """Scale denominators of GB/T 14690 (1, 2, 5 x 10^n preferred; 1.5, 2.5, 3, 4, 6 x 10^n
    allowed), ascending."""
    return tuple(sorted(int(v) for v in read_data("sheet_scales.csv")["denominator"]))


@dataclass(frozen=True)
class Page:
    """A landscape sheet; boxes are ``(x0, y0, x1, y1)`` in mm from the lower left."""

    paper: str
    width_mm: float
    height_mm: float
    frame: tuple[float, float, float, float]
    map_box: tuple[float, float, float, float]
    legend_box: tuple[float, float, float, float]
    block_box: tuple[float, float, float, float]
    font_pt: float

    @classmethod
    def for_paper(cls, paper: str) -> Page:
        """The layout of ``paper`` (a row of sheet_papers.csv: A3 or A4).

        Raises
        ------
        OutputError
            If the paper is not in the table.
        """
        table = read_data("sheet_papers.csv").set_index("paper")
        if paper not in table.index:
            raise OutputError(f"paper '{paper}' is not one of {list(table.index)} "
                              "(gisplan/plan/data/sheet_papers.csv)")
        row = {k: float(v) for k, v in table.loc[paper].items()}
        w, h = row["width_mm"], row["height_mm"]
        frame = (row["binding_mm"], row["margin_mm"], w - row["margin_mm"],
                 h - row["margin_mm"])
        panel_x0 = frame[2] - row["panel_mm"]
        map_box = (frame[0] + GAP_MM, frame[1] + GAP_MM, panel_x0 - GAP_MM, frame[3] - GAP_MM)
        block_box = (panel_x0, frame[1], frame[2], frame[1] + row["title_block_mm"])
        legend_box = (panel_x0 + GAP_MM, block_box[3] + GAP_MM, frame[2] - GAP_MM,
                      frame[3] - GAP_MM)
        return cls(paper=paper, width_mm=w, height_mm=h, frame=frame, map_box=map_box,
                   legend_box=legend_box, block_box=block_box, font_pt=row["font_pt"])

    def figure(self) -> Figure:
        """A new figure of the paper's size with the drawing frame and the panel's rule."""
        fig = Figure(figsize=(self.width_mm / MM_PER_INCH, self.height_mm / MM_PER_INCH))
        x0, y0, x1, y1 = self.frame
        fig.add_artist(Rectangle(self.fraction((x0, y0))[:2],
                                 (x1 - x0) / self.width_mm, (y1 - y0) / self.height_mm,
                                 transform=fig.transFigure, fill=False, lw=1.0, ec="black"))
        px = self.block_box[0] / self.width_mm
        fig.add_artist(_line(fig, (px, px), (y0 / self.height_mm, y1 / self.height_mm), 0.6))
        return fig

    def fraction(self, box: tuple[float, ...]) -> tuple[float, ...]:
        """A box or point in mm as fractions of the page (for ``add_axes``)."""
        return tuple(v / (self.width_mm if i % 2 == 0 else self.height_mm)
                     for i, v in enumerate(box))

    def axes(self, fig: Figure, box: tuple[float, float, float, float]) -> Axes:
        """Axes filling ``box`` with its data in mm of paper (0, 0 at the lower left)."""
        fx0, fy0, fx1, fy1 = self.fraction(box)
        ax = fig.add_axes((fx0, fy0, fx1 - fx0, fy1 - fy0))
        ax.set_xlim(0, box[2] - box[0])
        ax.set_ylim(0, box[3] - box[1])
        ax.set_axis_off()
        return ax


def choose_scale(bounds: tuple[float, float, float, float],
                 box: tuple[float, float, float, float], *, margin: float = 0.04) -> int:
    """The smallest scale denominator of the series at which ``bounds`` (metres, plus
    ``margin`` of its size on each side) fits ``box`` (mm).

    Raises
    ------
    OutputError
        If not even the largest denominator fits (bounds of continental size).
    """
    w = max(bounds[2] - bounds[0], 1.0) * (1 + 2 * margin)
    h = max(bounds[3] - bounds[1], 1.0) * (1 + 2 * margin)
    need = max(w / (box[2] - box[0]), h / (box[3] - box[1])) * 1000.0
    for n in scale_series():
        if n >= need:
            return n
    raise OutputError(f"an extent of {w:,.0f} x {h:,.0f} m does not fit a sheet at "
                      f"1:{scale_series()[-1]:,}; is the plan's CRS in metres?")


def map_axes(fig: Figure, page: Page, bounds: tuple[float, float, float, float],
             denominator: int) -> Axes:
    """Axes over the map frame, centred on ``bounds`` (metres), at exactly 1:``denominator``."""
    x0, y0, x1, y1 = page.map_box
    fx0, fy0, fx1, fy1 = page.fraction(page.map_box)
    ax = fig.add_axes((fx0, fy0, fx1 - fx0, fy1 - fy0))
    metres_per_mm = denominator / 1000.0
    cx, cy = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    half_w, half_h = (x1 - x0) * metres_per_mm / 2, (y1 - y0) * metres_per_mm / 2
    ax.set_xlim(cx - half_w, cx + half_w)
    ax.set_ylim(cy - half_h, cy + half_h)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)
    return ax


def nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 x 10^n not over ``metres``."""
    if metres <= 0:
        return 0.0
    base = 10 ** np.floor(np.log10(metres))
    return float(max(m * base for m in (1, 2, 5) if m * base <= metres))


def scale_bar(ax: Axes, denominator: int, *, font_pt: float,
              target_mm: float = 50.0) -> tuple[float, float]:
    """A scale bar of four alternating segments at the lower left of the map.

    Returns
    -------
    (metres, millimetres)
        The ground length the bar stands for and its length on paper.
    """
    metres = nice_length(target_mm * denominator / 1000.0)
    mm = metres * 1000.0 / denominator
    x0, y0 = ax.get_xlim()[0], ax.get_ylim()[0]
    per_mm = denominator / 1000.0
    left, bottom, height = x0 + 6 * per_mm, y0 + 6 * per_mm, 1.6 * per_mm
    ax.add_patch(Rectangle((left - 3 * per_mm, bottom - 3 * per_mm), metres + 12 * per_mm,
                           height + 10 * per_mm, fc="white", ec="none", alpha=0.85,
                           zorder=20))
    step = metres / 4
    for i in range(4):
        ax.add_patch(Rectangle((left + i * step, bottom), step, height, lw=0.5, ec="black",
                               fc="black" if i % 2 == 0 else "white", zorder=21,
                               gid="scale-bar-segment"))
    unit = (lambda v: f"{v / 1000:g}") if metres >= 1000 else (lambda v: f"{v:g}")
    for v in (0, metres / 2, metres):
        ax.text(left + v, bottom + height + 0.8 * per_mm, unit(v), ha="center", va="bottom",
                fontsize=font_pt * 0.85, zorder=22)
    ax.text(left + metres + 1.5 * per_mm, bottom, "km" if metres >= 1000 else "m",
            ha="left", va="bottom", fontsize=font_pt * 0.85, zorder=22)
    return metres, mm


def north_arrow(fig: Figure, page: Page, *, font_pt: float) -> None:
    """A north arrow (grid north of the plan's CRS) at the upper right of the map frame."""
    x1, y1 = page.map_box[2] - 9, page.map_box[3] - 5
    w, h = 4.0, 12.0
    left = [(x1, y1), (x1 - w, y1 - h), (x1, y1 - h + 3)]
    right = [(x1, y1), (x1 + w, y1 - h), (x1, y1 - h + 3)]
    for pts, fc in ((left, "black"), (right, "white")):
        fig.add_artist(Polygon([page.fraction(p) for p in pts], closed=True, fc=fc,
                               ec="black", lw=0.6, transform=fig.transFigure, zorder=30))
    fx, fy = page.fraction((x1, y1 - h - 1))
    fig.text(fx, fy, bilingual("north"), ha="center", va="top", fontsize=font_pt,
             zorder=30, bbox={"fc": "white", "ec": "none", "pad": 0.5, "alpha": 0.85})


def _line(fig: Figure, xs: tuple[float, float], ys: tuple[float, float], lw: float):
    from matplotlib.lines import Line2D

    return Line2D(xs, ys, transform=fig.transFigure, color="black", lw=lw)


def text_width_mm(text: str, font_pt: float) -> float:
    """Estimated width of ``text`` set at ``font_pt``: 1 em a CJK character, 0.55 em
    anything else (the font's Latin is about half as wide)."""
    ems = sum(1.0 if ord(c) > 0x2E7F else 0.55 for c in text)
    return ems * font_pt * PT_MM


def fit_font(text: str, width_mm: float, font_pt: float) -> float:
    """``font_pt``, reduced so that ``text`` fits ``width_mm`` (never below MIN_FONT_PT)."""
    need = text_width_mm(text, font_pt)
    return max(MIN_FONT_PT, font_pt * min(1.0, width_mm / need)) if need else font_pt


#: The title block's rows: the cells of each and its relative height.
BLOCK_ROWS = ((("plan",), 1.2), (("sheet",), 1.5), (("number", "scale"), 1.0),
              (("date", "crs"), 1.0), (("made_by",), 1.0), (("note",), 1.0))
BLOCK_LABEL_MM = 13.0  # width of a cell's bilingual label


def _block_cells(page: Page) -> dict[str, tuple[float, float, float, float]]:
    """Each title-block cell as ``(x, y, width, height)`` in mm of the block."""
    w = page.block_box[2] - page.block_box[0]
    h = page.block_box[3] - page.block_box[1]
    unit = h / sum(r[1] for r in BLOCK_ROWS)
    cells, y = {}, h
    for keys, weight in BLOCK_ROWS:
        y -= unit * weight
        for i, key in enumerate(keys):
            cells[key] = (i * w / len(keys), y, w / len(keys), unit * weight)
    return cells


def title_block(fig: Figure, page: Page, fields: dict[str, str]) -> Axes:
    """The title block (标题栏) at the lower right: plan, sheet title, number, scale, date,
    CRS, who drew it and a note, each cell labelled in Chinese and English; the values
    of ``fields`` (a cell left out stays empty, for :func:`block_values` to fill)."""
    ax = page.axes(fig, page.block_box)
    w = page.block_box[2] - page.block_box[0]
    h = page.block_box[3] - page.block_box[1]
    for key, (cx, y, _cw, rh) in _block_cells(page).items():
        if cx == 0:
            ax.plot([0, w], [y, y], color="black", lw=0.5)
        else:
            ax.plot([cx, cx], [y, y + rh], color="black", lw=0.5)
        ax.text(cx + 1.2, y + rh - 1.0, sheet_labels("zh")[f"block.{key}"], va="top",
                ha="left", fontsize=MIN_FONT_PT, color="#444444")
        ax.text(cx + 1.2, y + 1.0, sheet_labels("en")[f"block.{key}"], va="bottom",
                ha="left", fontsize=MIN_FONT_PT * 0.9, color="#777777")
    block_values(ax, page, fields)
    ax.plot([0, 0], [0, h], color="black", lw=0.6)
    return ax


def block_values(ax: Axes, page: Page, fields: dict[str, str]) -> list:
    """The values of ``fields`` in their title-block cells (of the block's axes ``ax``),
    wrapped and shrunk to fit; returns the texts drawn."""
    cells = _block_cells(page)
    drawn = []
    for key, value in fields.items():
        cx, y, cell_w, rh = cells[key]
        size = page.font_pt * (1.25 if key in ("sheet", "plan") else 1.0)
        room = cell_w - BLOCK_LABEL_MM - 2.0
        lines = _wrap(value, room, size)
        size = fit_font(max(lines, key=len), room, size) if lines else size
        drawn.append(ax.text(cx + BLOCK_LABEL_MM, y + rh / 2, "\n".join(lines), va="center",
                             ha="left", fontsize=size, linespacing=1.1))
    return drawn


def _wrap(text: str, width_mm: float, font_pt: float) -> list[str]:
    """``text`` in one line, else two (split at the blank nearest the middle, if any),
    that fit ``width_mm`` at ``font_pt`` or at the smallest size; a line still too long
    ends in ``…`` (the full text is in sheets.csv and the package manifest)."""
    text = str(text)
    if not text or text_width_mm(text, font_pt) <= width_mm:
        return [text] if text else []
    cut = len(text) // 2
    spaces = [i for i, c in enumerate(text) if c == " "]
    if spaces:
        cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    lines = [text[:cut].strip(), text[cut:].strip()]
    out = []
    for line in lines:
        while len(line) > 1 and text_width_mm(line, MIN_FONT_PT) > width_mm:
            line = line[:-2] + "…"
        out.append(line)
    return out
