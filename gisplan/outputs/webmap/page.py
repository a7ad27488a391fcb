"""The folium page: map, basemaps, overlays, layer control, title bar and inlined assets.

Folium builds the page skeleton and the layer control; the overlays are
:class:`Overlay` layers whose features are created in the browser by
``app.js`` from the page's JSON data. Libraries are inlined (offline) or
linked from a CDN (online); folium's own CDN defaults (jQuery, Bootstrap,
awesome-markers) are dropped, the map needs none of them.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

import folium
from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template

from gisplan.errors import GisplanError
from gisplan.outputs.pages.kit import json_element
from gisplan.plan.settings import BASEMAPS

_TIANDITU = "https://t{s}.tianditu.gov.cn/DataServer?T={layer}_w&x={x}&y={y}&l={z}&tk={token}"
_TIANDITU_ATTR = '&copy; <a href="https://www.tianditu.gov.cn/">天地图</a> GS(2024)0568号'
_OSM_ATTR = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'


class Raw(Element):
    """Text put into the page as is (never run through a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class App(MacroElement):
    """Starts ``GisplanMap`` on the map with the page's JSON data."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = GisplanMap.init({{ this._parent.get_name() }},
            JSON.parse(document.getElementById("gisplan-data").textContent));
        {% endmacro %}""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "GisplanApp"


class Finish(MacroElement):
    """Adds the controls (search, measure, fullscreen, legend, scale) once layers exist."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this.app }}.finish();
        {% endmacro %}""")

    def __init__(self, app: App) -> None:
        super().__init__()
        self._name = "GisplanFinish"
        self.app = app.get_name()


class Overlay(Layer):
    """One switchable map layer, filled by ``app.js`` when first shown."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.app }}.overlay({{ this.key|tojson }});
        {% endmacro %}""")

    def __init__(self, key: str, name: str, *, app: App, show: bool) -> None:
        super().__init__(name=html.escape(name), overlay=True, control=True, show=show)
        self._name = "GisplanOverlay"
        self.key = key
        self.app = app.get_name()


class Basemap(Layer):
    """A base layer: a group of tile layers (none for the blank basemap), made by
    ``app.basemap``, which shows a notice on the page when its tiles fail to load."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.app }}.basemap({{ this.label|tojson }},
            {{ this.tiles|tojson }});
        {% endmacro %}""")

    def __init__(self, name: str, tiles: list[tuple[str, dict[str, Any]]], *, app: App,
                 show: bool) -> None:
        super().__init__(name=html.escape(name), overlay=False, control=True, show=show)
        self._name = "GisplanBasemap"
        self.label = name
        self.tiles = [list(t) for t in tiles]
        self.app = app.get_name()


def basemaps(labels: dict[str, str], *, token: str | None,
             chosen: str = "none") -> dict[str, tuple[str, list]]:
    """Basemap key -> (label, tile layers); Tianditu only with a token.

    Raises
    ------
    GisplanError
        ``chosen`` is unknown, or a Tianditu basemap without a token.
    """
    if chosen not in BASEMAPS:
        raise GisplanError(f"--basemap must be one of {', '.join(BASEMAPS)}, got {chosen!r}")
    if chosen.startswith("tianditu") and not token:
        raise GisplanError(f"--basemap {chosen} needs a Tianditu key: set the environment "
                           "variable TIANDITU_TOKEN (get one at https://console.tianditu.gov.cn)")
    out: dict[str, tuple[str, list]] = {
        "none": (labels["basemap.none"], []),
        "osm": (labels["basemap.osm"], [("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                                         {"maxZoom": 19, "attribution": _OSM_ATTR})]),
    }
    if token:
        tk = quote(token, safe="")
        opts = {"subdomains": "01234567", "maxZoom": 18, "attribution": _TIANDITU_ATTR}
        for key, (base, note) in {"tianditu-vec": ("vec", "cva"),
                                  "tianditu-img": ("img", "cia")}.items():
            out[key] = (labels[f"basemap.{key}"], [
                (_TIANDITU.format(s="{s}", layer=layer, x="{x}", y="{y}", z="{z}", token=tk),
                 opts) for layer in (base, note)])
    return out


def title_bar(name: str, headline: dict[str, float], labels: dict[str, str], *,
              coarse_notice: str | None) -> str:
    """The title bar: plan name and headline figures, all escaped."""
    figures = [
        (labels["head.communities"], f"{headline['communities']:,.0f}", ""),
        (labels["head.buildings"], f"{headline['buildings']:,.0f}", ""),
        (labels["head.households"], f"{headline['households']:,.0f}", ""),
        (labels["head.floor_area"], f"{headline['floor_area_m2']:,.0f}", "㎡"),
        (labels["head.cost"], f"{headline['cost'] / 1e4:,.1f}", labels["head.wan_yuan"]),
    ]
    spans = "".join(f"<span>{html.escape(k)} <b>{html.escape(v)}</b> {html.escape(u)}</span>"
                    for k, v, u in figures)
    coarse = ""
    if coarse_notice:
        coarse = (f'<div class="gp-coarse">{html.escape(coarse_notice)}'
                  '<br><span id="gp-coarse-status"></span></div>')
    return (f'<div class="gp-title" id="gp-title"><h1>{html.escape(name)}</h1>'
            f'<div class="gp-figs">{spans}</div>{coarse}'
            '<div class="gp-print-info" id="gp-print-info"></div></div>')


def json_script(data: dict[str, Any]) -> str:
    """``data`` as the page's ``gisplan-data`` JSON ``<script>`` element (see
    :func:`gisplan.outputs.pages.kit.json_element`)."""
    return json_element("gisplan-data", data)


def assemble(*, title: str, center: tuple[float, float], assets: str, body: str,
             overlays: list[tuple[str, str, bool]], basemap: str,
             labels: dict[str, str], token: str | None) -> str:
    """Render the page with folium.

    Parameters
    ----------
    title : str
        Page title (the plan name).
    center : (lat, lon)
    assets : str
        ``<style>``/``<script>`` elements for the head (inlined or CDN links).
    body : str
        Title bar and JSON data elements.
    overlays : list of (key, label, shown on open)
    basemap : str
        Key of the basemap shown on open (see :data:`BASEMAPS`).
    labels : dict
        Map UI texts.
    token : str or None
        Tianditu key.
    """
    choices = basemaps(labels, token=token, chosen=basemap)
    m = folium.Map(location=list(center), zoom_start=15, tiles=None, prefer_canvas=True,
                   control_scale=False, maxZoom=21, zoomSnap=0.25)
    m.default_js, m.default_css = [], []
    fig = m.get_root()
    fig.title = html.escape(title)
    fig.header.add_child(Raw(assets), name="gisplan_assets")
    fig.html.add_child(Raw(body), name="gisplan_body")
    app = App()
    m.add_child(app)
    for key, (label, tiles) in choices.items():
        m.add_child(Basemap(label, tiles, app=app, show=key == basemap))
    for key, label, show in overlays:
        m.add_child(Overlay(key, label, app=app, show=show))
    # Collapsed: an icon that opens on hover or tap, so it never covers the data on open.
    folium.LayerControl(position="topright", collapsed=True).add_to(m)
    m.add_child(Finish(app))
    return fig.render()
