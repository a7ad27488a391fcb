"""Building the web map: :func:`build_map` returns a :class:`WebMap`, :func:`write_map` saves it.

Examples
--------
>>> from gisplan.inputs.validation import load_layers                          # doctest: +SKIP
>>> from gisplan.analysis.zones import detect_zones                          # doctest: +SKIP
>>> from gisplan.analysis.scope import compute_scope                         # doctest: +SKIP
>>> layers = load_layers("layers/hunchun2020")                      # doctest: +SKIP
>>> zones = detect_zones(layers)                                    # doctest: +SKIP
>>> scope = compute_scope(layers, zones=zones.membership)           # doctest: +SKIP
>>> webmap = build_map(layers, scope, zones)                        # doctest: +SKIP
>>> write_map(webmap, "out")                                        # doctest: +SKIP
[PosixPath('out/map.html')]
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from gisplan.analysis.scope import Scope
from gisplan.analysis.zones import Zones
from gisplan.errors import GisplanError, OutputError
from gisplan.inputs.validation import Layers
from gisplan.outputs.webmap.assets import MAP_APP_FILES, app_files, inline_assets, linked_assets
from gisplan.outputs.webmap.content import (
    DETAIL_LAYERS,
    LAYER_ORDER,
    LayerTable,
    MapContent,
    encode_layer,
    map_content,
)
from gisplan.outputs.webmap.pack import SCALE, label_points
from gisplan.outputs.webmap.page import assemble, basemaps, json_script, title_bar
from gisplan.outputs.webmap.styles import map_labels, network_styles, styles
from gisplan.plan.settings import METRICS

#: Detail features (buildings, pipes, facilities, structures) one page holds before the
#: map switches to the coarse view; measured in headless Chromium, see the README.
MAX_FEATURES = 250_000
#: Zoom level from which the coarse view loads detail by area.
COARSE_MIN_ZOOM = 15
#: Zoom level from which building numbers are drawn (community names are drawn at every
#: zoom where they fit); labels that would overlap one another or a control are left out.
BUILDING_LABEL_ZOOM = 17
#: Facilities are clustered (leaflet.markercluster) below this zoom level.
FACILITY_CLUSTER_OFF_ZOOM = 19
DATA_DIR = "map_data"


@dataclass(frozen=True)
class WebMap:
    """A built map page.

    Attributes
    ----------
    html : str
        ``map.html``.
    files : dict
        Files beside the page (relative path -> text): the coarse view's
        per-area data, and nothing else.
    stats : dict
        Features per layer, ``coarse``, ``html_bytes`` and ``build_s``.
    """

    html: str
    files: dict[str, str] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)


@functools.lru_cache(maxsize=8)
def to_lonlat(crs: str) -> Transformer:
    """The transformer from ``crs`` to lon/lat, made once per CRS: making one takes
    some 50 ms, and ``gisplan run`` builds a map per community."""
    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def _latlon_bounds(geoms: np.ndarray, transformer: Transformer) -> list[float]:
    """[south, west, north, east] of geometries given in the plan CRS."""
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    xs, ys = transformer.transform([x0, x0, x1, x1], [y0, y1, y0, y1])
    return [round(min(ys), 6), round(min(xs), 6), round(max(ys), 6), round(max(xs), 6)]


def _chunks(key: str, table: LayerTable, *, size: int, transformer: Transformer,
            tolerance: float) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Split a layer into spatially compact pieces (Hilbert order) written as JS files."""
    order = np.argsort(gpd.GeoSeries(table.geoms).hilbert_distance().to_numpy(),
                       kind="stable")
    table = table.take(order)
    index, files = [], {}
    for k, start in enumerate(range(0, len(table), size)):
        piece = table.slice(start, start + size)
        name = f"{DATA_DIR}/{key}-{k + 1:05d}.js"
        data = encode_layer(piece, transformer=transformer, tolerance=tolerance)
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        files[name] = (f"GisplanMap.chunk({json.dumps(name)},{json.dumps(key)},"
                       f"{text.replace('<', chr(92) + 'u003c')});\n")
        index.append({"f": name, "k": key, "n": len(piece),
                      "b": _latlon_bounds(piece.geoms, transformer)})
    return index, files


def _context(context: gpd.GeoDataFrame, *, transformer: Transformer,
             tolerance: float) -> dict[str, Any]:
    """Context areas as the page reads them: outlines, names and label points."""
    geoms = np.asarray(context.geometry.array, dtype=object)
    table = LayerTable(geoms, {"name": ("text", context["name"].astype(str).to_numpy())})
    return {**encode_layer(table, transformer=transformer, tolerance=tolerance),
            "at": label_points(geoms, transformer=transformer)}


def _payload(content: MapContent, *, metric: str, coarse: bool, chunk_size: int,
             min_zoom: int, transformer: Transformer, tolerance: float,
             labels: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    items = content.items
    data: dict[str, Any] = {
        "v": 1, "scale": SCALE, "t": labels, "styles": styles(), "nets": network_styles(),
        "metric": metric, "metrics": list(METRICS), "bstyle": "renovation_type",
        "choropleth": content.choropleth,
        "items": {"code": items.index.astype(str).tolist(),
                  "name": items["name_zh"].fillna(items.index.to_series()).astype(str).tolist(),
                  "unit": items["unit"].fillna("").astype(str).tolist(),
                  "price": items["unit_price_cny"].fillna(0.0).round(4).tolist(),
                  "aspect": items["aspect"].fillna("other").astype(str).tolist()},
        "layers": {}, "coarse": None,
        "city": {k: round(float(v), 2) for k, v in content.headline.items()},
        "ui": {"buildingLabelZoom": BUILDING_LABEL_ZOOM,
               "clusterOffZoom": FACILITY_CLUSTER_OFF_ZOOM, "clusterRadius": 45},
    }
    files: dict[str, str] = {}
    index: list[dict[str, Any]] = []
    for key in LAYER_ORDER:
        table = content.tables[key]
        if coarse and key in DETAIL_LAYERS and len(table):
            got, written = _chunks(key, table, size=chunk_size, transformer=transformer,
                                   tolerance=tolerance)
            index += got
            files.update(written)
            data["layers"][key] = {"n": len(table), "chunked": True}
        else:
            data["layers"][key] = encode_layer(table, transformer=transformer,
                                               tolerance=tolerance)
    data["layers"]["communities"]["at"] = label_points(content.tables["communities"].geoms,
                                                       transformer=transformer)
    geoms = np.concatenate([content.tables[k].geoms for k in LAYER_ORDER])
    geoms = geoms[~shapely.is_missing(geoms)]
    if len(geoms):
        s, w, n, e = _latlon_bounds(geoms, transformer)
        data["bounds"] = [[s, w], [n, e]]
    if coarse:
        data["coarse"] = {
            "minZoom": min_zoom, "chunks": index, "budget": 24 * chunk_size,
            "zoomHint": labels["coarse.zoom_in"].format(z=min_zoom),
            "loadedText": labels["coarse.loaded"],
        }
    return data, files


def build_map(layers: Layers, scope: Scope, zones: Zones, *, metric: str = "households",
              basemap: str = "none", offline: bool = True, tianditu_token: str | None = None,
              max_features: int = MAX_FEATURES, chunk_size: int = 4000,
              coarse_min_zoom: int = COARSE_MIN_ZOOM, tolerance_m: float = 0.1,
              context: gpd.GeoDataFrame | None = None) -> WebMap:
    """Build the interactive map page of a plan.

    Parameters
    ----------
    layers, scope, zones
        Validated layers, their scope (computed with the zones) and the zones.
    metric : {"households", "cost", "cost_per_household", "renovation_type"}, keyword-only
        Community colouring on open; the legend switches between all four.
    basemap : {"none", "osm", "tianditu-vec", "tianditu-img"}, keyword-only
        Basemap on open. Every basemap is listed in the layer control (Tianditu
        only with a token); "none" loads nothing from the network.
    offline : bool, keyword-only
        Inline Leaflet and its plugins so the page loads no external URL; with
        False they are linked from a CDN (smaller page, needs internet).
    tianditu_token : str, optional, keyword-only
        Tianditu key; enables the Tianditu basemaps.
    max_features : int, keyword-only
        Detail features (buildings, pipes, facilities, structures) one page
        holds; above it the map opens on communities and zones and loads the
        rest by area from ``map_data/`` when zoomed in, and says so.
    chunk_size : int, keyword-only
        Features per file of the coarse view.
    coarse_min_zoom : int, keyword-only
        Zoom level from which the coarse view loads the detail layers.
    tolerance_m : float, keyword-only
        Simplification tolerance in metres (0.1 m is below a pixel at zoom 20).
    context : GeoDataFrame, optional, keyword-only
        Areas drawn around the plan for orientation only (a package map's
        neighbouring communities): ``name`` and polygons in the plan CRS, drawn
        grey and named, never counted, searched or used to frame the map.

    Returns
    -------
    WebMap

    Raises
    ------
    GisplanError
        Unknown metric or basemap, Tianditu without a token, or (offline) the
        npm packages are not installed.
    """
    started = time.perf_counter()
    if metric not in METRICS:
        raise GisplanError(f"--metric must be one of {', '.join(METRICS)}, got {metric!r}")
    labels = map_labels()
    # The basemap notice is the one text given in English too (it may reach anyone).
    labels["basemap.error_en"] = map_labels(lang="en")["basemap.error"]
    basemaps(labels, token=tianditu_token, chosen=basemap)
    assets = (inline_assets() if offline else linked_assets()) + "\n" + app_files(*MAP_APP_FILES)
    content = map_content(layers, scope, zones, metric=metric)
    detail = sum(len(content.tables[k]) for k in DETAIL_LAYERS)
    coarse = detail > max_features
    transformer = to_lonlat(content.crs)
    data, files = _payload(content, metric=metric, coarse=coarse, chunk_size=chunk_size,
                           min_zoom=coarse_min_zoom, transformer=transformer,
                           tolerance=tolerance_m, labels=labels)
    if context is not None and len(context):
        data["context"] = _context(context, transformer=transformer, tolerance=tolerance_m)
    notice = (labels["coarse.notice"].format(n=f"{detail:,}", z=coarse_min_zoom) if coarse
              else None)
    body = title_bar(layers.plan.name, content.headline, labels, coarse_notice=notice) + \
        json_script(data)
    nets = [n for n in network_styles() if (content.tables["pipes"].columns["net"][1] == n).any()]
    sty = styles()["layer"]
    overlays: list[tuple[str, str, bool]] = []
    for key in LAYER_ORDER:
        n = len(content.tables[key])
        if not n:
            continue
        if key == "pipes":
            pipes_net = content.tables["pipes"].columns["net"][1]
            for net in nets:
                k = int((pipes_net == net).sum())
                overlays.append((f"pipes:{net}", f"{sty['pipes']['label_zh']} · "
                                 f"{network_styles()[net]['name']}（{k:,}）", True))
        else:
            # Thousands of facility points hide everything else: one tick away instead.
            overlays.append((key, f"{sty[key]['label_zh']}（{n:,}）", key != "facilities"))
    (south, west), (north, east) = data.get("bounds", [[0.0, 0.0], [0.0, 0.0]])
    page = assemble(title=layers.plan.name, center=((south + north) / 2, (west + east) / 2),
                    assets=assets,
                    body=body, overlays=overlays, basemap=basemap, labels=labels,
                    token=tianditu_token)
    stats = {"features": {k: len(t) for k, t in content.tables.items()}, "coarse": coarse,
             "html_bytes": len(page.encode("utf-8")), "files": len(files),
             "build_s": round(time.perf_counter() - started, 3)}
    return WebMap(html=page, files=files, stats=stats)


def write_map(webmap: WebMap, folder: str | Path) -> list[Path]:
    """Write ``map.html`` (and ``map_data/`` in the coarse view) into ``folder``.

    Returns the paths written at the top of ``folder`` (``map.html``,
    ``map_data``), as the CLI reports them.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        page = folder / "map.html"
        page.write_text(webmap.html, encoding="utf-8")
        written = [page]
        for rel, text in webmap.files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if webmap.files:
            written.append(folder / DATA_DIR)
    except OSError as exc:
        raise OutputError(f"cannot write the map into {folder}: {exc.strerror}") from None
    return written
