"""Layers and labels: labels never overlap nor leave the map, pipes keep vs works, widths."""

from __future__ import annotations

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely

from gisplan.outputs.sheets import draw, layout
from gisplan.outputs.sheets.font import rc_params

CRS = "EPSG:4552"


def _map(denominator=1000):
    page = layout.Page.for_paper("A4")
    fig = page.figure()
    return fig, layout.map_axes(fig, page, (0, 0, 150, 150), denominator)


def _boxes(ax, fig):
    fig.canvas.draw()
    return [t.get_window_extent() for t in ax.texts]


def test_labels_never_overlap_and_stay_inside():
    fig, ax = _map()
    x0, x1 = ax.get_xlim()
    n = 60
    rng = np.random.default_rng(1)
    xs = rng.uniform(x0 - 20, x1 + 20, n)
    ys = rng.uniform(*ax.get_ylim(), n)
    labels = draw.Labels.make(xs, ys, [f"{i}号楼 5层" for i in range(n)], size=7,
                              rotation=rng.uniform(-90, 90, n), priority=np.arange(n))
    with matplotlib.rc_context(rc_params()):
        placed = draw.place_labels(ax, labels, denominator=1000)
        boxes = _boxes(ax, fig)
    assert 0 < placed == len(boxes) < n  # some had to go
    frame = ax.get_window_extent()
    for i, a in enumerate(boxes):
        assert frame.x0 <= a.x0 and a.x1 <= frame.x1 and frame.y0 <= a.y0 and a.y1 <= frame.y1
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    # the most important label of a cluster wins
    fig, ax = _map()
    same = draw.Labels.make([75, 75], [75, 75], ["低", "高"], size=7, priority=[1, 2])
    with matplotlib.rc_context(rc_params()):
        draw.place_labels(ax, same, denominator=1000)
    assert [t.get_text() for t in ax.texts] == ["高"]


def test_labels_avoid_taken_boxes():
    _fig, ax = _map()
    one = draw.Labels.make([75], [75], ["甲社区"], size=9)
    with matplotlib.rc_context(rc_params()):
        assert draw.place_labels(ax, one, denominator=1000,
                                 taken=np.array([[70, 70, 80, 80]])) == 0
        assert draw.place_labels(ax, one, denominator=1000,
                                 taken=np.array([[0, 0, 5, 5]])) == 1


def test_pipes_works_solid_and_kept_dashed_with_labels_for_works_only():
    pipes = gpd.GeoDataFrame({
        "pipe_id": ["p1", "p2", "p3"], "network": ["sewer", "water", "gas"],
        "diameter_mm": [300.0, 110.0, np.nan], "action": ["replace", "new", "keep"]},
        geometry=[shapely.LineString([(10, 10), (140, 10)]),
                  shapely.LineString([(10, 50), (10, 140)]),
                  shapely.LineString([(20, 100), (140, 100)])], crs=CRS)
    _fig, ax = _map()
    with matplotlib.rc_context(rc_params()):
        entries = draw.draw_pipes(ax, pipes)
    kept, works = ax.collections
    assert kept.get_linestyle()[0][1] is not None  # dashed
    assert works.get_linestyle()[0][1] is None  # solid
    widths = works.get_linewidth()
    assert widths[0] > widths[1]  # DN300 wider than DN110
    texts = [t for _, t in entries]
    assert any(t.startswith("污水") and "更换 130 m" in t for t in texts)
    assert any(t.startswith("给水") and "新建 90 m" in t for t in texts)
    assert any("保留" in t for t in texts)
    lab = draw.pipe_labels(pipes, font_pt=7)
    assert sorted(lab.text) == ["污水DN300", "给水DN110"]
    assert sorted(np.round(lab.rotation)) == [0.0, 90.0]


def test_pipe_width_grows_with_diameter():
    w = draw.pipe_width_pt(pd.Series([np.nan, 50, 100, 300, 600, 1000, 2000]))
    assert (np.diff(w) >= 0).all() and w[-1] > w[0]


def test_building_labels_cut_the_community_name_and_follow_the_long_side():
    b = gpd.GeoDataFrame({"building_id": ["x1", "x2"], "name": ["甲社区3号楼", None],
                          "floors": [6, np.nan]},
                         geometry=[shapely.Polygon([(0, 0), (40, 40), (32, 48), (-8, 8)]),
                                   shapely.box(0, 100, 10, 110)], crs=CRS)
    lab = draw.building_labels(b, community_name="甲社区", font_pt=7)
    assert lab.text.tolist() == ["3号楼 6层", "x2"]
    assert round(lab.rotation[0]) == 45


def test_area_labels_name_every_sizeable_part():
    two = gpd.GeoDataFrame({"name": ["长安社区"]}, geometry=[shapely.MultiPolygon(
        [shapely.box(0, 0, 100, 100), shapely.box(200, 0, 260, 60), shapely.box(300, 0, 305, 5)])],
        crs=CRS)
    lab = draw.area_labels(two, "name", font_pt=8, colour="#000")
    assert lab.text.tolist() == ["长安社区", "长安社区"]  # the 5 x 5 m scrap goes unnamed
    assert lab.priority[0] > lab.priority[1]  # the largest part first
