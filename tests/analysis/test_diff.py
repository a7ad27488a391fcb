"""Plan versions: a second version of the mini plan with b1 moved 5 m east, b3 made
10 m longer, b4 deleted, b5 added in C, b2's households 24 -> 30 and f1 moved 3 m."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from plans import CRS, box, mini_layers, write_plan
from rfc7946 import check_rfc7946

from gisplan.analysis.diff import FEATURE_COLUMNS, SCOPE_COLUMNS, diff_layer, diff_plans
from gisplan.analysis.scope import compute_scope
from gisplan.cli.main import main
from gisplan.inputs.validation import load_layers

H = 2.9


def new_version() -> dict[str, gpd.GeoDataFrame]:
    layers = mini_layers()
    b = layers["buildings"]
    b.loc[0, "geometry"] = shapely.affinity.translate(b.geometry[0], 5, 0)
    b.loc[2, "geometry"] = box(310, 10, 360, 20)
    b.loc[1, "households"] = 30
    b5 = gpd.GeoDataFrame({"building_id": ["b5"], "floors": [3], "households": [9], "units": [1],
                           "roof": ["flat"], "floor_area_m2": [None]},
                          geometry=[box(370, 60, 390, 70)], crs=CRS)
    layers["buildings"] = pd.concat([b[b["building_id"] != "b4"], b5], ignore_index=True)
    f = layers["facilities"]
    f.loc[0, "geometry"] = shapely.affinity.translate(f.geometry[0], 0, 3)
    return layers


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    root = tmp_path_factory.mktemp("diff")
    return write_plan(root / "old"), write_plan(root / "new", new_version())


@pytest.fixture(scope="module")
def diff(plans):
    old, new = (load_layers(p) for p in plans)
    return diff_plans(old, new, old_scope=compute_scope(old), new_scope=compute_scope(new))


def test_feature_rows(diff):
    f = diff.features.set_index(["layer", "feature_id"])
    assert list(diff.features.columns) == FEATURE_COLUMNS
    assert sorted(f.index) == [("buildings", "b1"), ("buildings", "b2"), ("buildings", "b3"),
                               ("buildings", "b4"), ("buildings", "b5"), ("facilities", "f1")]
    assert f.loc[("buildings", "b1"), ["change", "shift_m", "size_old", "size_new"]].tolist() == [
        "moved", 5.0, 720.0, 720.0]
    b3 = f.loc[("buildings", "b3")]
    # 40x10 -> 50x10: the centroid shifts 5 m, the far end 10 m
    assert (b3["change"], b3["shift_m"], b3["hausdorff_m"]) == ("reshaped", 5.0, 10.0)
    assert (b3["size_old"], b3["size_new"], b3["size_unit"]) == (400.0, 500.0, "m²")
    assert f.loc[("buildings", "b2"), ["change", "attributes"]].tolist() == [
        "attributes", "households: 24 → 30"]
    assert f.loc[("buildings", "b4"), ["change", "size_old"]].tolist() == ["removed", 200.0]
    assert np.isnan(f.loc[("buildings", "b4"), "size_new"])
    assert f.loc[("buildings", "b5"), ["change", "size_new"]].tolist() == ["added", 200.0]
    assert f.loc[("facilities", "f1"), ["change", "shift_m"]].tolist() == ["moved", 3.0]


def test_scope_rows(diff):
    s = diff.scope
    assert list(s.columns) == SCOPE_COLUMNS
    t = s.set_index(["level", "area_id", "item"])
    hh = t.loc[("community", "B", "households")]
    assert hh[["quantity_old", "quantity_new", "quantity_change"]].tolist() == [24, 30, 6]
    assert t.loc[("city", "city", "households"), "quantity_change"] == 6 + 9 - 8
    assert t.loc[("unassigned", "unassigned", "buildings"), "quantity_change"] == -1
    # C: b3 facade 100*4*H -> 120*4*H, plus b5 60*3*H
    facade = t.loc[("community", "C", "facade_paint")]
    assert facade["quantity_change"] == pytest.approx((20 * 4 + 60 * 3) * H)
    total = t.loc[("community", "C", "total_cost")]
    items = s[(s["area_id"] == "C") & (s["item"] != "total_cost")]
    assert total["cost_change_cny"] == pytest.approx(items["cost_change_cny"].sum())
    # A: b1 only moved, f1 only moved: nothing in A changed
    assert "A" not in set(s["area_id"])
    assert (s["quantity_change"].fillna(1) != 0).all()


def test_map_geometries(diff):
    g = diff.geometries
    got = sorted(zip(g["feature_id"], g["change"], g["version"], strict=True))
    assert got == [("b1", "moved", "new"), ("b1", "moved", "old"), ("b2", "attributes", "new"),
                   ("b3", "reshaped", "new"), ("b3", "reshaped", "old"), ("b4", "removed", "old"),
                   ("b5", "added", "new"), ("f1", "moved", "new"), ("f1", "moved", "old")]
    old_b1 = g[(g["feature_id"] == "b1") & (g["version"] == "old")].geometry.iloc[0]
    assert old_b1.equals(box(10, 10, 70, 22))


def test_moved_and_changed_and_tolerance():
    a = gpd.GeoDataFrame({"id": ["x", "y", "z"], "floors": [5, 5, 5], "name": ["甲", "乙", None]},
                         geometry=[shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10),
                                   shapely.Point(50, 50)], crs=CRS)
    b = a.copy()
    b.loc[0, ["geometry", "floors"]] = [shapely.box(0, 2, 10, 12), 6]  # moved + attribute
    b.loc[1, "geometry"] = shapely.box(20, 0, 30, 10.005)  # under the 1 cm tolerance
    b.loc[2, "name"] = "丙"
    rows, _ = diff_layer(a, b, "id", layer="t")
    r = rows.set_index("feature_id")
    assert r.loc["x", ["change", "shift_m", "attributes"]].tolist() == ["moved", 2.0,
                                                                       "floors: 5 → 6"]
    assert r.loc["z", ["change", "attributes"]].tolist() == ["attributes", "name: None → 丙"]
    assert "y" not in r.index
    assert len(diff_layer(a, a, "id", layer="t")[0]) == 0


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
