"""A static map of areas as inline SVG, for pages that carry no script (``report.html``).

Polygons are drawn in the plan's metric CRS (north up, equal scale on both
axes), filled by a value in quantile classes, each with its name where there
is room and its figures in a tooltip; a scale bar and a north arrow frame it.
Every text is escaped.

Examples
--------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame({"name": ["甲 <A>"], "value": [3.0]},
...                      geometry=[shapely.box(0, 0, 100, 50)], crs="EPSG:4552")
>>> svg = svg_map(g, value="value", label="name", title="费用", unit="万元")
>>> svg.count("<title>甲"), "甲 &lt;A&gt;" in svg
(1, True)
"""

from __future__ import annotations

import html

import geopandas as gpd
import numpy as np
import shapely

#: Sequential fill classes (light to dark), ColorBrewer YlOrRd.
RAMP = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
#: Labels are drawn only on maps with at most this many areas (else tooltips only).
MAX_LABELS = 120
#: Above this many areas the page gets no map (its size would outgrow its use).
MAX_AREAS = 5000


def _path(geom: shapely.Geometry, x0: float, y1: float, k: float) -> str:
    parts = []
    for poly in shapely.get_parts(geom):
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)[:, :2]
            px, py = (xy[:, 0] - x0) * k, (y1 - xy[:, 1]) * k
            parts.append("M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py,
                                                                            strict=True)) + "Z")
    return "".join(parts)


def _nice(length: float) -> float:
    """The largest 1, 2 or 5 x 10^n not over ``length``."""
    if length <= 0:
        return 0.0
    base = 10 ** np.floor(np.log10(length))
    return float(max(m * base for m in (1, 2, 5) if m * base <= length))


def svg_map(areas: gpd.GeoDataFrame, *, value: str, label: str, title: str, unit: str,
            width: int = 760, fmt: str = "{:,.1f}") -> str:
    """Areas filled by ``value`` in five quantile classes, named by ``label``.

    Parameters
    ----------
    areas : GeoDataFrame
        Polygons in a metric CRS.
    value, label : str, keyword-only
        The columns to colour by and to name areas by.
    title, unit : str, keyword-only
        The legend's title and the value's unit.
    width : int, keyword-only
        Drawing width in pixels (height follows the areas' shape).
    fmt : str, keyword-only
        Format of values in the legend and tooltips.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    e = html.escape
    areas = areas[~areas.geometry.is_empty & areas.geometry.notna()]
    if areas.empty or len(areas) > MAX_AREAS:
        return ""
    geoms = np.asarray(areas.geometry.array)
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    span = max(x1 - x0, y1 - y0, 1.0)
    pad = 0.03 * span
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    k = width / (x1 - x0)
    top = 40  # room for the north arrow above the areas
    height = int((y1 - y0) * k) + 60 + top
    geoms = shapely.simplify(geoms, 0.5 / k)
    vals = areas[value].to_numpy(dtype=float)
    finite = vals[np.isfinite(vals)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, 6))) if len(finite) else np.array([0])
    cls = np.clip(np.searchsorted(edges, vals, side="right") - 1, 0, len(RAMP) - 1)
    names = areas[label].astype(str).to_numpy()
    body = []
    for g, c, v, n in zip(geoms, cls, vals, names, strict=True):
        fill = RAMP[c] if np.isfinite(v) else "#eeeeee"
        tip = f"{n}: {fmt.format(v)} {unit}" if np.isfinite(v) else n
        body.append(f'<path d="{_path(g, x0, y1, k)}" fill="{fill}" stroke="#555" '
                    f'stroke-width="0.6"><title>{e(tip)}</title></path>')
    if len(areas) <= MAX_LABELS:
        pts = shapely.point_on_surface(geoms)
        for p, n in zip(pts, names, strict=True):
            body.append(f'<text x="{(p.x - x0) * k:.1f}" y="{(y1 - p.y) * k:.1f}" '
                        f'text-anchor="middle" font-size="11" paint-order="stroke" '
                        f'stroke="#fff" stroke-width="3">{e(n)}</text>')
    # legend, scale bar, north arrow
    base = height - 40
    legend = [f'<text x="0" y="{base - 6}" font-size="12">{e(title)}（{e(unit)}）</text>']
    for i in range(len(edges) - 1 if len(edges) > 1 else 1):
        lo = edges[i]
        hi = edges[i + 1] if len(edges) > 1 else edges[i]
        legend.append(f'<rect x="{i * 110}" y="{base}" width="16" height="12" '
                      f'fill="{RAMP[i]}" stroke="#555"/><text x="{i * 110 + 20}" '
                      f'y="{base + 11}" font-size="11">{e(fmt.format(lo))}–'
                      f'{e(fmt.format(hi))}</text>')
    metres = _nice((x1 - x0) / 4)
    bar = metres * k
    sx = width - bar - 10
    label_m = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    scale = (f'<g class="gp-scale"><rect x="{sx:.1f}" y="{base + 16}" width="{bar:.1f}" '
             f'height="4" fill="#222"/><text x="{sx:.1f}" y="{base + 12}" font-size="11">'
             f'0</text><text x="{sx + bar:.1f}" y="{base + 12}" font-size="11" '
             f'text-anchor="end" data-metres="{metres:g}">{label_m}</text></g>')
    north = (f'<g class="gp-north" transform="translate({width - 20},20)">'
             '<path d="M0,-14L7,8L0,3L-7,8Z" fill="#222"/>'
             '<text x="0" y="22" font-size="12" text-anchor="middle">北 N</text></g>')
    return (f'<svg class="gp-map" xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" role="img">'
            f'<title>{e(title)}</title><g transform="translate(0,{top})">' + "".join(body)
            + "</g>" + "".join(legend) + scale + north
            + "</svg>")
