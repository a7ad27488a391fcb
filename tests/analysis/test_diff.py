"""Plan versions: a second version of the mini plan with b1 moved 5 m east, b3 made
10 m longer, b4 deleted, b5 added in C, b2's households 24 -> 30 and f1 moved 3 m
(tests/plans.py: new_version). The diff's files and page are tested in
tests/outputs/pages/test_diff.py."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from plans import CRS, box, new_version, write_plan

from gisplan.analysis.diff import FEATURE_COLUMNS, SCOPE_COLUMNS, diff_layer, diff_plans
from gisplan.analysis.scope import compute_scope
from gisplan.inputs.validation import load_layers

H = 2.9


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
