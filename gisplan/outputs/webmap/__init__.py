"""Interactive web map of a plan (folium + Leaflet), offline-capable.

:func:`build_map` turns a plan's layers, scope and zones into one
self-contained ``map.html``: communities coloured by a metric, buildings,
pipe networks (one layer per network), facilities, illegal structures,
barriers and contiguous zones, each in the layer control, with popups that
show each feature's scope table, tooltips, legends, search, measure,
fullscreen and a scale bar. :func:`write_map` saves it.

The core (layers, scope, zones) never imports this package; importing it is
cheap, folium is loaded on first use of :func:`build_map`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_FEATURES", "WebMap", "build_map", "write_map"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from gisplan.outputs.webmap import build

        return getattr(build, name)
    raise AttributeError(f"module 'gisplan.outputs.webmap' has no attribute {name!r}")
