"""The page kit: what every HTML page of gisplan shares (style, tables, map data, assets).

The summary, review and diff pages take their base style (:data:`PAGE_CSS`), their
tables (:func:`html_table`) and their numbers (:func:`number`) from here.

Layers go into the page as GeoJSON FeatureCollections (EPSG:4326, 7 decimals)
inside one JSON ``<script>`` element; ``kit.js`` and a page script
(``review.js``, ``diff.js``) draw them with Leaflet, which is inlined by
:mod:`gisplan.outputs.webmap.assets` like the web map's, so the page loads nothing.

Examples
--------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(130.1234567891, 42.9)],
...                      crs="EPSG:4326")
>>> feature_collection(g, ["id"])["features"][0]["geometry"]["coordinates"]
[130.1234568, 42.9]
>>> json_element("d", {"name": "</script>"})
'<script type="application/json" id="d">{"name":"\\\\u003c/script>"}</script>'
"""

from __future__ import annotations

import html
import json
import unicodedata
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.outputs.webmap.assets import Asset, app_files, inline_assets, linked_assets

DIGITS = 7

#: The base style of every page outside the web map: CJK fonts first, plain tables.
PAGE_CSS = """body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC",sans-serif;
margin:1.5em;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:1.5em}
table{border-collapse:collapse;font-size:13px;margin:0.5em 0 1em}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}th{background:#eee}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.fail td,tr.off td{background:#fde2e1}
tr.total td{font-weight:600}"""


def number(x: object, digits: int = 2) -> str:
    """A number for a page: thousands separated, no decimals when whole, empty when missing.

    >>> number(5054.0), number(1234.567), number(None), number(float("nan"))
    ('5,054', '1,234.57', '', '')
    """
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    v = float(x)  # type: ignore[arg-type]
    return f"{v:,.0f}" if abs(v - round(v)) < 1e-9 else f"{v:,.{digits}f}"


def text_width(text: str, size: float = 12) -> float:
    """Rough width of ``text`` in pixels at font ``size``: wide (CJK) characters are a full em.

    >>> round(text_width("ab社区", 10), 1)
    31.2
    """
    return sum(size if unicodedata.east_asian_width(c) in "WF" else size * 0.56 for c in text)


def html_table(header: Sequence[str], rows: Sequence[Sequence[tuple[str, str]]], *,
               refs: Sequence[str] | None = None, row_classes: Sequence[str] | None = None,
               klass: str = "gp-t") -> str:
    """An escaped HTML table of (text, css class) cells.

    ``refs`` gives each row a ``data-map`` (the page's map opens that feature
    when the row is clicked); ``row_classes`` a class per row.

    >>> '<td class="">&lt;b&gt;</td>' in html_table(["名 name"], [[("<b>", "")]])
    True
    """
    if not rows:
        return "<p>—</p>"
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        ref = "" if refs is None else f' data-map="{e(refs[i])}"'
        cls = "" if row_classes is None else f' class="{e(row_classes[i])}"'
        cells = "".join(f'<td class="{e(k)}">{e(v)}</td>' for v, k in row)
        body.append(f"<tr{cls}{ref}>{cells}</tr>")
    return (f'<table class="{e(klass)}"><thead><tr>{head}</tr></thead><tbody>'
            + "\n".join(body) + "</tbody></table>")


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: missing values to None, numpy scalars to Python."""
    clean = frame.astype(object).where(frame.notna(), None)
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in clean.to_dict("records")]


def feature_collection(gdf: gpd.GeoDataFrame, columns: Sequence[str] | pd.DataFrame = (),
                       ) -> dict[str, Any]:
    """``gdf`` as a GeoJSON FeatureCollection in EPSG:4326 (coordinates to 7 decimals).

    ``columns`` names the properties to keep, or is a frame of properties
    aligned with ``gdf`` by position. Features without geometry are left out.
    """
    props = (columns.reset_index(drop=True) if isinstance(columns, pd.DataFrame)
             else pd.DataFrame(gdf[list(columns)]).reset_index(drop=True))
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    geoms = shapely.transform(geoms[ok], lambda xy: np.round(xy, DIGITS))
    rows = [r for r, keep in zip(records(props), ok, strict=True) if keep]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": r, "geometry": json.loads(g)}
        for r, g in zip(rows, shapely.to_geojson(geoms), strict=True)]}


def bounds(*collections: gpd.GeoDataFrame) -> list[list[float]] | None:
    """[[south, west], [north, east]] of the frames' features, or None when there are none."""
    boxes = [c.to_crs("EPSG:4326").total_bounds for c in collections
             if len(c) and c.geometry.notna().any()]
    boxes = [b for b in boxes if np.isfinite(b).all()]
    if not boxes:
        return None
    b = np.array(boxes)
    return [[float(b[:, 1].min()), float(b[:, 0].min())],
            [float(b[:, 3].max()), float(b[:, 2].max())]]


def json_element(element_id: str, data: dict[str, Any]) -> str:
    """``data`` as a JSON ``<script>`` element that no value can break out of."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def page_assets(libraries: tuple[Asset, ...], script: str, *, offline: bool = True) -> str:
    """The libraries (inlined, or linked from a CDN), ``kit.css``, ``kit.js`` and ``script``.

    Raises
    ------
    GisplanError
        Offline, and the npm packages are missing or not the pinned versions.
    """
    libs = inline_assets(libraries) if offline else linked_assets(libraries)
    return libs + "\n" + app_files("kit.css", "kit.js", script)
