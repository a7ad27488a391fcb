"""The plan diff's files (diff.csv, diff_scope.csv, diff.geojson) and diff.html.

The diff is that of the mini plan and its second version (tests/plans.py:
new_version; tests/analysis/test_diff.py works out each change by hand), plus a
hand-made diff of one feature. The page in a browser: tests/e2e/test_pages_browser.py.
"""

from __future__ import annotations

import dataclasses
import re

import geopandas as gpd
import pandas as pd
import pytest
from plans import CRS, X0, Y0, new_version, point, write_plan
from pyproj import Transformer
from rfc7946 import check_rfc7946

from gisplan.analysis.diff import FEATURE_COLUMNS, SCOPE_COLUMNS, PlanDiff, diff_plans
from gisplan.analysis.scope import compute_scope
from gisplan.cli.main import main
from gisplan.inputs.validation import load_layers
from gisplan.outputs.pages.diff import (
    feature_table,
    scope_table,
    write_diff,
    write_diff_map,
)


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    root = tmp_path_factory.mktemp("diff_page")
    return write_plan(root / "old"), write_plan(root / "new", new_version())


@pytest.fixture(scope="module")
def diff(plans):
    old, new = (load_layers(p) for p in plans)
    return diff_plans(old, new, old_scope=compute_scope(old), new_scope=compute_scope(new))


def one_change() -> PlanDiff:
    """Bench f9 moved 3 m north; A's bench count 1 -> 1 (no change) and cost 1800 -> 3600."""
    features = pd.DataFrame([["facilities", "f9", "moved", 3.0, 3.0, None, None, None, None]],
                            columns=FEATURE_COLUMNS)
    scope = pd.DataFrame([
        ["community", "A", "甲社区", "bench", "座椅", "个", 1.0, 2.0, 1.0, 1800.0, 3600.0, 1800.0],
        ["community", "A", "甲社区", "total_cost", None, None, None, None, None, 1800.0, 3600.0,
         1800.0],
        ["city", "city", "全市", "bench", "座椅", "个", 3.0, 2.0, -1.0, 5400.0, 3600.0, -1800.0],
    ], columns=SCOPE_COLUMNS)
    geometries = gpd.GeoDataFrame(
        {"layer": ["facilities"] * 2, "feature_id": ["f9"] * 2, "change": ["moved"] * 2,
         "version": ["old", "new"]}, geometry=[point(20, 50), point(20, 53)], crs=CRS)
    return PlanDiff(features=features, scope=scope, geometries=geometries, crs=CRS)


def test_feature_table_row_by_hand():
    table = feature_table(one_change())
    assert ('<tr data-map="feature:facilities:f9"><td class="">facilities</td>'
            '<td class="">f9</td><td class="">移动 moved</td><td class="num">3</td>'
            '<td class="num">3</td><td class=""></td><td class=""></td></tr>') in table


def test_attribute_changes_name_the_column_in_chinese():
    d = one_change()
    features = d.features.assign(change="attributes",
                                 attributes="households: 24 → 30; floors: 5 → 6; misc: a → b")
    table = feature_table(dataclasses.replace(d, features=features))
    assert "户数 households: 24 → 30；层数 floors: 5 → 6；misc: a → b" in table


def test_scope_table_signs_changes_and_leaves_total_quantities_blank():
    d = one_change()
    community = scope_table(d, "community")
    assert ('<td class="">甲社区 (A)</td><td class="">座椅</td><td class="">个</td>'
            '<td class="num">1</td><td class="num">2</td><td class="num up">1</td>'
            '<td class="num">1,800</td><td class="num">3,600</td>'
            '<td class="num up">1,800</td>') in community
    # total_cost: no quantities, its name is the item code
    assert ('<td class="">total_cost</td><td class=""></td><td class="num"></td>'
            '<td class="num"></td><td class="num"></td><td class="num">1,800</td>') in community
    city = scope_table(d, "city")
    assert '<td class="">全市 city</td>' in city
    assert '<td class="num down">-1</td>' in city and '<td class="num down">-1,800</td>' in city
    assert scope_table(d, "unassigned") == "<p>—</p>"


def test_files_of_a_diff_without_changes(tmp_path):
    d = one_change()
    empty = PlanDiff(features=d.features.iloc[:0], scope=d.scope.iloc[:0],
                     geometries=d.geometries.iloc[:0], crs=CRS)
    written = write_diff(empty, tmp_path)
    assert [p.name for p in written] == ["diff.csv", "diff_scope.csv", "diff.geojson"]
    assert check_rfc7946(tmp_path / "diff.geojson")["features"] == []
    assert list(pd.read_csv(tmp_path / "diff.csv", encoding="utf-8-sig").columns) == \
        FEATURE_COLUMNS


def test_written_geojson_has_both_versions_in_lon_lat(tmp_path):
    write_diff(one_change(), tmp_path)
    doc = check_rfc7946(tmp_path / "diff.geojson")
    got = {f["properties"]["version"]: f["geometry"]["coordinates"] for f in doc["features"]}
    assert set(got) == {"old", "new"}
    t = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    for version, (x, y) in (("old", (20, 50)), ("new", (20, 53))):
        assert got[version] == pytest.approx(list(t.transform(X0 + x, Y0 + y)), abs=1e-7)
    # 3 m north is about 3 / 111,000 degrees of latitude
    assert got["new"][1] - got["old"][1] == pytest.approx(3 / 111_000, rel=0.02)


def test_diff_map_page_is_written_offline(tmp_path):
    path = write_diff_map(one_change(), tmp_path, old_name="v1", new_name="v2")
    assert path == tmp_path / "diff.html"
    page = path.read_text(encoding="utf-8")
    assert "<tr><th>旧版 old</th><td><b>v1</b></td>" in page
    assert "<tr><th>新版 new</th><td><b>v2</b></td>" in page
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', page)
    assert '"counts":{"added":0,"removed":0,"moved":1,"reshaped":0,"attributes":0}' in page

def test_cli_diff(plans, tmp_path):
    out = tmp_path / "out"
    assert main(["diff", str(plans[0]), str(plans[1]), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [".gisplan-files", "diff.csv", "diff.geojson",
                                                    "diff.html", "diff_scope.csv",
                                                    "warnings.csv"]
    rows = pd.read_csv(out / "diff.csv", encoding="utf-8-sig")
    assert sorted(rows["change"]) == ["added", "attributes", "moved", "moved", "removed",
                                      "reshaped"]
    scope = pd.read_csv(out / "diff_scope.csv", encoding="utf-8-sig")
    assert {"community", "unassigned", "street", "city"} == set(scope["level"])
    doc = check_rfc7946(out / "diff.geojson")
    assert len(doc["features"]) == 9
    assert main(["diff", str(plans[0]), str(plans[0]), "--out", str(tmp_path / "same")]) == 0
    assert pd.read_csv(tmp_path / "same" / "diff.csv").empty


def test_diff_page_data_and_tables(diff):
    from gisplan.outputs.pages.diff import diff_html, diff_map_data

    data = diff_map_data(diff)
    assert data["counts"] == {"added": 1, "removed": 1, "moved": 2, "reshaped": 1,
                              "attributes": 1}
    feats = data["layers"]["changes"]["features"]
    got = sorted((f["properties"]["feature_id"], f["properties"]["change"],
                  f["properties"]["version"]) for f in feats)
    assert got == sorted(zip(diff.geometries["feature_id"], diff.geometries["change"],
                             diff.geometries["version"], strict=True))
    b2 = next(f["properties"] for f in feats if f["properties"]["feature_id"] == "b2")
    assert b2["attributes"] == "households: 24 → 30"
    b3 = next(f["properties"] for f in feats if f["properties"]["feature_id"] == "b3")
    assert (b3["size_old"], b3["size_new"], b3["hausdorff_m"]) == (400.0, 500.0, 10.0)
    page = diff_html(diff, old_name="<b>v1</b>", new_name="v2")
    assert "<b>v1</b>" not in page and "&lt;b&gt;v1&lt;/b&gt;" in page
    assert 'data-map="feature:buildings:b3"' in page
    # per-community scope change: B's households 24 -> 30
    assert re.search(r"乙社区 \(B\)</td><td[^>]*>户数</td><td[^>]*>户</td>"
                     r'<td class="num">24</td><td class="num">30</td><td class="num up">6</td>',
                     page)
    assert "/* leaflet dist/leaflet.js" in page and "leaflet.draw" not in page


def test_diff_page_escapes_attribute_values(plans, tmp_path):
    from gisplan.outputs.pages.diff import diff_html

    layers = new_version()
    layers["communities"].loc[2, "name"] = "<img src=x onerror=alert(1)>"
    new = load_layers(write_plan(tmp_path / "evil", layers))
    old = load_layers(plans[0])
    d = diff_plans(old, new, old_scope=compute_scope(old), new_scope=compute_scope(new))
    page = diff_html(d, context=new.communities)
    assert "<img" not in page
    assert "name: 丙社区 → &lt;img src=x onerror=alert(1)&gt;" in page

