"""The folium page: basemaps, title bar, the JSON data element and the assembled page."""

from __future__ import annotations

import json
import re

import pytest

from gisplan.errors import GisplanError
from gisplan.outputs.webmap.page import assemble, basemaps, json_script, title_bar
from gisplan.outputs.webmap.styles import map_labels

EVIL = "<img src=x onerror=alert(1)>"
LABELS = map_labels()
HEAD = {"communities": 3, "buildings": 1234, "households": 5054, "floor_area_m2": 8780.4,
        "cost": 12_345_678.0}


def test_basemaps_without_a_token_are_none_and_osm():
    got = basemaps(LABELS, token=None)
    assert list(got) == ["none", "osm"]
    assert got["none"] == ("无底图", [])
    [(url, options)] = got["osm"][1]
    assert url == "https://tile.openstreetmap.org/{z}/{x}/{y}.png" and options["maxZoom"] == 19


def test_tianditu_needs_a_token_which_is_url_quoted():
    with pytest.raises(GisplanError, match="TIANDITU_TOKEN"):
        basemaps(LABELS, token=None, chosen="tianditu-vec")
    with pytest.raises(GisplanError, match="--basemap must be one of none, osm"):
        basemaps(LABELS, token="k", chosen="google")
    got = basemaps(LABELS, token="a&b/c", chosen="tianditu-img")
    assert list(got) == ["none", "osm", "tianditu-vec", "tianditu-img"]
    urls = [url for url, _ in got["tianditu-img"][1]]
    assert urls == [f"https://t{{s}}.tianditu.gov.cn/DataServer?T={layer}_w&x={{x}}&y={{y}}"
                    f"&l={{z}}&tk=a%26b%2Fc" for layer in ("img", "cia")]
    assert got["tianditu-vec"][0] == "天地图 矢量"


def test_title_bar_figures_by_hand_and_escaped():
    bar = title_bar(EVIL, HEAD, LABELS, coarse_notice=None)
    assert EVIL not in bar and "<h1>&lt;img src=x onerror=alert(1)&gt;</h1>" in bar
    spans = re.findall(r"<span>(.*?) <b>(.*?)</b> (.*?)</span>", bar)
    assert spans == [("社区", "3", ""), ("楼栋", "1,234", ""), ("户数", "5,054", ""),
                     ("建筑面积", "8,780", "㎡"), ("总投资", "1,234.6", "万元")]
    assert "gp-coarse" not in bar
    coarse = title_bar("p", HEAD, LABELS, coarse_notice="<概略>")
    assert '<div class="gp-coarse">&lt;概略&gt;<br><span id="gp-coarse-status">' in coarse


def test_json_script_cannot_be_closed_by_a_value():
    element = json_script({"name": "</script><script>alert(1)</script>", "n": 1})
    assert element.startswith('<script type="application/json" id="gisplan-data">')
    assert element.count("</script>") == 1
    body = element.removeprefix('<script type="application/json" id="gisplan-data">')
    assert json.loads(body.removesuffix("</script>")) == {
        "name": "</script><script>alert(1)</script>", "n": 1}


def test_assembled_page_has_the_overlays_and_no_cdn():
    html = assemble(title=EVIL, center=(42.86, 130.36), assets="<style>/*mine*/</style>",
                    body='<div id="gp-body"></div>',
                    overlays=[("communities", "社区 <b>", True), ("pipes", "管线", False)],
                    basemap="osm", labels=LABELS, token=None)
    assert f"<title>{EVIL}" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<style>/*mine*/</style>" in html and '<div id="gp-body"></div>' in html
    assert html.count(".overlay(") == 2 and '.overlay("communities")' in html
    # the layer control shows the names as HTML: escaped, inside a JS string
    names = re.search(r'overlays\s*:\s*\{\s*("(?:[^"\\]|\\.)*")', html).group(1)
    assert json.loads(names) == "社区 &lt;b&gt;"
    assert "GisplanMap.init(" in html and ".finish();" in html
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', html)
    assert "[42.86, 130.36]" in html
