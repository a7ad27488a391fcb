"""The web map page, checked without a browser: offline, escaped, compact, complete.

Browser behaviour (drawing, popups, layer control) is in test_webmap_browser.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import shapely
from plans import mini_layers, write_plan
from pyproj import Transformer

from gisplan.analysis.scope import compute_scope
from gisplan.analysis.zones import detect_zones
from gisplan.cli import main as cli
from gisplan.errors import GisplanError
from gisplan.inputs.validation import load_layers
from gisplan.outputs.webmap import assets as webassets
from gisplan.outputs.webmap import build_map, write_map
from gisplan.outputs.webmap.pack import SCALE, pack_geometries

EVIL = "<img src=x onerror=alert(1)>"
APP_JS = Path(webassets.__file__).with_name("app.js")


def _plan(folder: Path, *, evil: bool = False) -> tuple:
    layers = mini_layers()
    if evil:
        layers["communities"].loc[2, "name"] = EVIL
    layers = load_layers(write_plan(folder, layers))
    zones = detect_zones(layers)
    return layers, compute_scope(layers, zones=zones.membership), zones


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    return _plan(tmp_path_factory.mktemp("webmap") / "mini", evil=True)


@pytest.fixture(scope="module")
def page(mini: tuple) -> str:
    return build_map(*mini).html


def _data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="gisplan-data">(.*?)</script>', html,
                  re.S)
    assert m, "the page embeds its data"
    return json.loads(m.group(1))


class _Refs(HTMLParser):
    """Every URL the browser would fetch on its own: src/href of script, link, img..."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data") and tag != "a":
                self.refs.append((tag, value or ""))


def _refs(html: str) -> _Refs:
    parser = _Refs()
    parser.feed(html)
    return parser


def test_offline_page_loads_nothing_from_outside(page: str) -> None:
    refs = _refs(page)
    assert refs.refs == []
    assert "script" in refs.tags and "style" in refs.tags
    # folium's CDN defaults are gone, Leaflet and the plugins are inlined.
    for gone in ("jquery", "bootstrap", "awesome-markers", "cdn.jsdelivr", "cdnjs", "unpkg"):
        assert gone not in page.lower()
    for lib in ("leaflet dist/leaflet.js", "leaflet-measure ", "leaflet-search ",
                "leaflet.fullscreen "):
        assert f"/* {lib}" in page
    # Stylesheet images are data: URIs, never relative files that would be missing.
    css = "".join(re.findall(r"<style>(.*?)</style>", page, re.S))
    assert "url(" in css
    assert not re.search(r"url\((?!\s*['\"]?(data:|#))", css)


def test_online_page_links_pinned_cdn_copies(mini: tuple) -> None:
    html = build_map(*mini, offline=False).html
    refs = [url for _, url in _refs(html).refs]
    versions = webassets.pinned_versions()
    assert f"https://cdn.jsdelivr.net/npm/leaflet@{versions['leaflet']}/dist/leaflet.js" in refs
    assert all(url.startswith("https://cdn.jsdelivr.net/npm/") for url in refs)
    assert len(html) < len(build_map(*mini).html) - 200_000


def test_every_value_reaching_html_is_escaped(tmp_path: Path) -> None:
    layers = mini_layers()
    layers["communities"].loc[0, "name"] = EVIL
    layers["communities"].loc[1, "street"] = "</script><script>alert(2)</script>"
    folder = write_plan(tmp_path / "p", layers)
    toml = (folder / "plan.toml").read_text(encoding="utf-8")
    (folder / "plan.toml").write_text(toml.replace('name = "测试计划"', f'name = "{EVIL}"'),
                                      encoding="utf-8")
    loaded = load_layers(folder)
    zones = detect_zones(loaded)
    html = build_map(loaded, compute_scope(loaded, zones=zones.membership), zones).html
    assert EVIL not in html
    assert "<script>alert(2)" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html          # title bar and <title>
    assert f"<title>{EVIL}" not in html
    data = _data(html)                                            # JSON survives intact
    assert data["layers"]["communities"]["cols"]["name"][0] == EVIL


def _packed_features(kind: str, fam: dict) -> int:
    """How many features one packed geometry family draws, counted from its own runs."""
    if kind == "point":
        parts = len(fam["c"]) // 2                      # one (lat, lon) pair per point
    else:
        assert sum(fam["r"]) * 2 == len(fam["c"]), kind  # every vertex in some ring/part
        parts = len(fam["r"])                           # rings or line parts
        if kind == "polygon" and fam["p"] is not None:
            assert sum(fam["p"]) == parts, kind
            parts = len(fam["p"])                       # polygons
    features = parts if fam["g"] is None else len(fam["g"])
    if fam["g"] is not None:
        assert sum(fam["g"]) == parts, kind
    if fam["i"] is not None:
        assert len(fam["i"]) == features, kind
    return features


def test_data_holds_every_feature_and_trimmed_columns(page: str, mini: tuple) -> None:
    zones = mini[2]
    data = _data(page)
    expected = {"communities": 3, "buildings": 4, "pipes": 3, "facilities": 3,
                "structures": 2, "barriers": 0, "zones": len(zones.outlines)}
    for key, n in expected.items():
        got = data["layers"][key]
        assert got["n"] == n, key
        drawn = sum(_packed_features(kind, fam) for kind, fam in got["geom"].items())
        assert drawn == n, key
    assert set(data["layers"]["buildings"]["cols"]) == {
        "id", "com", "rtype", "roof", "floors", "households", "units", "floor_area"}
    assert data["layers"]["communities"]["cols"]["zone"]["d"] == ["Z001", "Z002"]


def test_labels_facility_kinds_and_zoom_settings_reach_the_page(page: str, mini: tuple) -> None:
    layers = mini[0]
    data = _data(page)
    fac = data["layers"]["facilities"]["cols"]["kind"]
    assert [fac["d"][i] for i in fac["i"]] == ["leisure", "greening", "charging"]
    assert data["ui"] == {"buildingLabelZoom": 17, "clusterOffZoom": 19, "clusterRadius": 45}
    # A label point per community, inside it (the plan CRS, back from lat/lon).
    at = np.array(data["layers"]["communities"]["at"]).reshape(-1, 2) / SCALE
    to_plan = Transformer.from_crs("EPSG:4326", layers.plan.crs, always_xy=True)
    x, y = to_plan.transform(at[:, 1], at[:, 0])
    assert shapely.contains(layers.communities.geometry.array, shapely.points(x, y)).all()
    assert "basemap.error_en" in data["t"] and "could not load" in data["t"]["basemap.error_en"]


def test_community_scope_rows_match_the_scope_table(page: str, mini: tuple) -> None:
    _, scope, _ = mini
    data = _data(page)
    com = data["layers"]["communities"]
    items = data["items"]["code"]
    t = scope.table
    a = t[(t["level"] == "community") & (t["area_id"] == "A") & (t["group"] != "metric")
          & (t["quantity"] != 0)]
    rows = com["rows"]
    lo, hi = 0, rows["n"][0]
    assert [items[i] for i in rows["item"][lo:hi]] == a["item"].tolist()
    assert rows["q"][lo:hi] == pytest.approx(a["quantity"].round(2).tolist())
    assert rows["cost"][lo:hi] == pytest.approx(a["cost_cny"].round(2).tolist())
    assert com["cols"]["cost"][0] == round(a["cost_cny"].sum())
    # b1's surveyed roof waterproofing (700) stands over its derived 720.
    b = data["layers"]["buildings"]["rows"]
    lo, hi = 0, b["n"][0]
    b1 = dict(zip([items[i] for i in b["item"][lo:hi]], b["q"][lo:hi], strict=True))
    assert b1["roof_flat_waterproof"] == 700 and b1["stairwell_paint"] == 500


def test_page_size_is_assets_plus_a_small_data_part(page: str) -> None:
    data = _data(page)
    size = len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
    assert size < 30_000
    assert len(page.encode()) < 700_000           # Leaflet + plugins inlined, ~0.5 MB


def test_coarse_view_writes_data_by_area(mini: tuple, tmp_path: Path) -> None:
    webmap = build_map(*mini, max_features=5, chunk_size=2)
    data = _data(webmap.html)
    assert webmap.stats["coarse"]
    assert data["layers"]["buildings"] == {"n": 4, "chunked": True}
    assert data["layers"]["communities"]["n"] == 3            # still in the page
    chunks = data["coarse"]["chunks"]
    assert sum(c["n"] for c in chunks if c["k"] == "buildings") == 4
    assert {c["f"] for c in chunks} == set(webmap.files)
    written = write_map(webmap, tmp_path / "out")
    assert [p.name for p in written] == ["map.html", "map_data"]
    first = (tmp_path / "out" / chunks[0]["f"]).read_text(encoding="utf-8")
    assert first.startswith(f'GisplanMap.chunk("{chunks[0]["f"]}",')
    assert "楼栋" in webmap.html and "概略视图" in webmap.html


def test_options_are_checked(mini: tuple) -> None:
    with pytest.raises(GisplanError, match="--metric"):
        build_map(*mini, metric="beauty")
    with pytest.raises(GisplanError, match="TIANDITU_TOKEN"):
        build_map(*mini, basemap="tianditu-img")
    html = build_map(*mini, basemap="tianditu-img", tianditu_token="a&b").html
    assert "tk=a%26b" in html and "img_w" in html and "cia_w" in html


def test_cli_map_and_run_write_the_page(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan")
    assert cli.main(["map", str(plan), "--out", str(tmp_path / "m"), "--metric", "cost"]) == 0
    html = (tmp_path / "m" / "map.html").read_text(encoding="utf-8")
    assert _data(html)["metric"] == "cost"
    assert cli.main(["run", str(plan), "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "map.html").is_file()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_js_helpers_escape_format_and_decode(mini: tuple) -> None:
    layers, _, _ = mini
    t = Transformer.from_crs(layers.plan.crs, "EPSG:4326", always_xy=True)
    geoms = np.array([shapely.MultiPolygon([shapely.box(0, 0, 10, 10).difference(
        shapely.box(2, 2, 4, 4)), shapely.box(20, 0, 30, 5)]), shapely.box(40, 0, 50, 5)],
        dtype=object)
    geoms = shapely.transform(geoms, lambda c: c + np.array([611000.0, 4748000.0]))
    fam = pack_geometries(geoms, transformer=t, tolerance=0)["polygon"]
    nasty = json.dumps(EVIL + "&\"'`")
    script = f"""
const g = require({json.dumps(str(APP_JS))});
const out = {{
  esc: g.esc({nasty}), escNull: g.esc(null), escNum: g.esc(0),
  fmt: [g.fmt(1234567.891, 2), g.fmt(-0.001, 2), g.fmt(null), g.fmt(NaN), g.fmt(999.5, 0)],
  fmtQ: [g.fmtQ(32), g.fmtQ(1867.875), g.fmtQ(5054)],
  col: [g.col(["a", "b"], 1), g.col({{d: ["x"], i: [0, -1]}}, 1)],
  rows: [g.rowRange({{n: [2, 0, 3]}}, 0), g.rowRange({{n: [2, 0, 3]}}, 1),
         g.rowRange({{n: [2, 0, 3]}}, 2), g.rowRange(null, 0)],
  shape: g.decodeFamily({json.dumps(fam)}, "polygon", {SCALE}, (a, b) => [a, b])
    .map((f) => f.map((p) => p.map((r) => r.length))),
}};
console.log(JSON.stringify(out));
"""
    got = json.loads(subprocess.run(["node", "-e", script], capture_output=True, text=True,
                                    check=True, timeout=30).stdout)
    assert got["esc"] == "&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;&#96;"
    assert got["escNull"] == "" and got["escNum"] == "0"
    assert got["fmt"] == ["1,234,567.89", "0.00", "–", "–", "1,000"]
    assert got["fmtQ"] == ["32", "1,867.88", "5,054"]
    assert got["col"] == ["b", None]
    assert got["rows"] == [[0, 2], [2, 2], [2, 5], [0, 0]]
    # Feature 1: two polygons, the first with a hole; feature 2: one ring. No closing vertex.
    assert got["shape"] == [[[4, 4], [4]], [[4]]]


def test_run_writes_a_map_into_every_package(tmp_path: Path) -> None:
    from gisplan.cli.main import main

    plan = write_plan(tmp_path / "plan")
    assert main(["run", str(plan), "--out", str(tmp_path / "out")]) == 0
    pages = sorted(p.parent.name for p in (tmp_path / "out" / "packages").glob("*/map.html"))
    assert pages == ["A", "B", "C"]
    manifest = json.loads((tmp_path / "out" / "packages" / "B" / "manifest.json").read_text(
        encoding="utf-8"))
    assert "map.html" in json.dumps(manifest)
