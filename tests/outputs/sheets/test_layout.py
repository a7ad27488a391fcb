"""The page: paper sizes, the scale series, a true scale, the scale bar, the title block."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from PIL import Image

from gisplan.errors import OutputError
from gisplan.outputs.sheets import layout, legend
from gisplan.outputs.sheets.font import rc_params


@pytest.mark.parametrize(("paper", "size"), [("A3", (420, 297)), ("A4", (297, 210))])
@pytest.mark.parametrize("dpi", [72, 150])
def test_png_is_the_paper_at_the_dpi(tmp_path, paper, size, dpi):
    page = layout.Page.for_paper(paper)
    fig = page.figure()
    fig.savefig(tmp_path / "p.png", dpi=dpi)
    w, h = Image.open(tmp_path / "p.png").size
    assert abs(w - size[0] / 25.4 * dpi) <= 1 and abs(h - size[1] / 25.4 * dpi) <= 1
    x0, y0, x1, y1 = page.frame
    assert (x0, y0, size[0] - x1, size[1] - y1) == (25, 5, 5, 5)  # GB/T 14689 A3/A4
    for box in (page.map_box, page.legend_box, page.block_box):
        assert x0 <= box[0] < box[2] <= x1 and y0 <= box[1] < box[3] <= y1
    assert page.map_box[2] < page.legend_box[0]  # the map does not run under the panel


def test_unknown_paper_is_an_error():
    with pytest.raises(OutputError, match="paper 'B5'"):
        layout.Page.for_paper("B5")


def test_scale_is_the_smallest_of_the_series_that_fits():
    box = (0, 0, 200, 100)  # 200 x 100 mm
    assert layout.choose_scale((0, 0, 184, 10), box, margin=0) == 1000  # 184 m in 200 mm
    assert layout.choose_scale((0, 0, 201, 10), box, margin=0) == 1500
    assert layout.choose_scale((0, 0, 10, 101), box, margin=0) == 1500  # height decides
    assert layout.choose_scale((0, 0, 1000, 10), box, margin=0) == 5000
    assert layout.choose_scale((0, 0, 1001, 10), box, margin=0) == 6000
    series = layout.scale_series()
    assert list(series) == sorted(series) and {500, 1000, 2000, 5000, 10000} <= set(series)
    with pytest.raises(OutputError, match="CRS in metres"):
        layout.choose_scale((0, 0, 1e10, 1), box)


def _paper_mm(ax, fig, metres: float) -> float:
    """How long ``metres`` along x are on paper, from the axes' own transform."""
    x0, y0 = ax.get_xlim()[0], ax.get_ylim()[0]
    px = ax.transData.transform([[x0, y0], [x0 + metres, y0]])
    return float(np.diff(px[:, 0])[0]) / fig.dpi * 25.4


@pytest.mark.parametrize("denominator", [500, 2000, 6000])
def test_map_and_scale_bar_agree_with_the_stated_scale(denominator):
    page = layout.Page.for_paper("A3")
    fig = page.figure()
    ax = layout.map_axes(fig, page, (611000, 4748000, 611250, 4748200), denominator)
    fig.canvas.draw()
    assert _paper_mm(ax, fig, 100.0) == pytest.approx(100_000 / denominator, rel=1e-6)
    with matplotlib.rc_context(rc_params()):
        metres, mm = layout.scale_bar(ax, denominator, font_pt=9)
    segments = [p for p in ax.patches if p.get_gid() == "scale-bar-segment"]
    assert len(segments) == 4
    drawn = sum(p.get_width() for p in segments)  # metres on the ground
    assert drawn == pytest.approx(metres)
    assert _paper_mm(ax, fig, drawn) == pytest.approx(mm, rel=1e-6)
    assert mm == pytest.approx(metres * 1000 / denominator)
    assert 20 <= mm <= 50  # long enough to measure with, short enough to fit
    ends = [t.get_text() for t in ax.texts]
    assert ends[-2] == (f"{metres / 1000:g}" if metres >= 1000 else f"{metres:g}")


def test_title_block_says_the_scale_and_fits_long_names():
    page = layout.Page.for_paper("A4")
    fig = page.figure()
    long_name = "某某市" * 20 + "老旧小区改造实施方案"
    with matplotlib.rc_context(rc_params()):
        ax = layout.title_block(fig, page, {"plan": long_name, "sheet": "总图", "scale": "1:2,000",
                                            "number": "00", "date": "2026-01-01"})
        fig.canvas.draw()
    texts = {t.get_text(): t for t in ax.texts}
    assert "1:2,000" in texts
    plan = next(t for s, t in texts.items() if s.replace("\n", "").startswith("某某市"))
    assert plan.get_fontsize() >= layout.MIN_FONT_PT
    block = ax.get_window_extent()
    assert plan.get_window_extent().x1 <= block.x1 + 1  # inside the block


def test_legend_notes_wrap_between_items_within_the_panel():
    page = layout.Page.for_paper("A3")
    fig = page.figure()
    line = " · ".join(f"街道{i} 20个" for i in range(1, 11))
    with matplotlib.rc_context(rc_params()):
        ax = legend.legend(fig, page, [], notes=[line])
        fig.canvas.draw()
    texts = [t for t in ax.texts if "街道" in t.get_text()]
    assert len(texts) > 1 and " · ".join(t.get_text() for t in texts) == line
    panel = ax.get_window_extent()
    assert all(t.get_window_extent().x1 <= panel.x1 + 1 for t in texts)
