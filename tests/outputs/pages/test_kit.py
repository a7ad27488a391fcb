"""The page kit shared by the summary, review and diff pages: numbers, escaped tables,
JSON-ready rows, GeoJSON in lon/lat, bounds and a JSON element no value can break out of."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from plans import CRS, X0, Y0, box, point
from pyproj import Transformer

from gisplan.outputs.pages.kit import (
    bounds,
    feature_collection,
    html_table,
    json_element,
    number,
    page_assets,
    records,
)
from gisplan.outputs.webmap.assets import LEAFLET_ASSETS

EVIL = "<img src=x onerror=alert(1)>"


def test_numbers_for_a_page():
    assert [number(v) for v in (5054.0, 1234.567, -0.5, 0, None, float("nan"))] == [
        "5,054", "1,234.57", "-0.50", "0", "", ""]
    assert number(2.71828, 3) == "2.718" and number(np.int64(12345)) == "12,345"


def test_table_cells_classes_refs_are_escaped():
    table = html_table([EVIL], [[(EVIL, 'a"b')], [("2", "num")]], refs=['x"y', "p:1"],
                       row_classes=["fail", ""], klass="k")
    assert EVIL not in table
    assert table == (
        '<table class="k"><thead><tr><th>&lt;img src=x onerror=alert(1)&gt;</th></tr></thead>'
        '<tbody><tr class="fail" data-map="x&quot;y"><td class="a&quot;b">&lt;img src=x '
        'onerror=alert(1)&gt;</td></tr>\n<tr class="" data-map="p:1"><td class="num">2</td>'
        '</tr></tbody></table>')
    assert html_table(["a"], []) == "<p>—</p>"


def test_records_are_plain_python():
    frame = pd.DataFrame({"a": [1, 2], "b": [np.nan, 2.5], "c": ["x", None],
                          "d": pd.array([True, None], dtype="boolean")})
    got = records(frame)
    assert got == [{"a": 1, "b": None, "c": "x", "d": True},
                   {"a": 2, "b": 2.5, "c": None, "d": None}]
    assert all(type(r["a"]) is int for r in got)
    json.dumps(got, allow_nan=False)  # valid JSON: no NaN left


def test_feature_collection_in_lon_lat_to_seven_decimals():
    gdf = gpd.GeoDataFrame({"id": ["a", "b", "c"], "n": [1, 2, 3]},
                           geometry=[point(10, 20), None, box(0, 0, 10, 10)], crs=CRS)
    fc = feature_collection(gdf, ["id"])
    assert [f["properties"] for f in fc["features"]] == [{"id": "a"}, {"id": "c"}]
    lon, lat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(X0 + 10,
                                                                                  Y0 + 20)
    assert fc["features"][0]["geometry"] == {"type": "Point",
                                             "coordinates": [round(lon, 7), round(lat, 7)]}
    assert fc["features"][1]["geometry"]["type"] == "Polygon"
    props = pd.DataFrame({"label": ["一", "二", "三"]}, index=[7, 8, 9])
    assert [f["properties"] for f in feature_collection(gdf, props)["features"]] == [
        {"label": "一"}, {"label": "三"}]  # aligned by position


def test_bounds_south_west_north_east():
    a = gpd.GeoDataFrame(geometry=[shapely.Point(130.1, 42.5)], crs="EPSG:4326")
    b = gpd.GeoDataFrame(geometry=[shapely.box(130.0, 42.6, 130.3, 42.9)], crs="EPSG:4326")
    empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    assert bounds(a, b, empty) == [[42.5, 130.0], [42.9, 130.3]]
    assert bounds(empty) is None and bounds() is None


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda kids: st.lists(kids, max_size=4)
                    | st.dictionaries(st.text(max_size=8), kids, max_size=4), max_leaves=20))
def test_json_element_round_trips_and_cannot_be_closed(value):
    element = json_element("d", {"v": value})
    head = '<script type="application/json" id="d">'
    assert element.startswith(head) and element.endswith("</script>")
    body = element[len(head):-len("</script>")]
    assert "<" not in body  # so no </script> nor <!-- can end or confuse the element
    assert "\u2028" not in body and "\u2029" not in body
    assert json.loads(body) == {"v": value}


def test_json_element_escapes_script_end_and_refuses_nan():
    element = json_element("d", {"name": "</script><script>alert(1)</script>"})
    assert element.count("</script>") == 1 and "\\u003c/script>" in element
    with pytest.raises(ValueError):
        json_element("d", {"x": float("nan")})


def test_page_assets_inline_leaflet_and_the_page_script():
    html = page_assets(LEAFLET_ASSETS, "diff.js")
    assert "/* leaflet dist/leaflet.js" in html and "GisplanDiff" in html
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', html)
    online = page_assets(LEAFLET_ASSETS, "diff.js", offline=False)
    assert '<script src="https://cdn.jsdelivr.net/npm/leaflet@' in online
    assert "/* leaflet dist/leaflet.js" not in online and "GisplanDiff" in online
