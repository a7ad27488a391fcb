"""What the web map shows: per-layer tables with their scope rows, subsets and encoding.

The plan is the mini plan of tests/plans.py; the figures are worked out by hand there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from plans import load_scoped
from pyproj import Transformer

from gisplan.outputs.webmap.content import LayerTable, encode_layer, map_content

IDENTITY = Transformer.from_crs("EPSG:4326", "EPSG:4326", always_xy=True)


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory):
    layers, scope, zones = load_scoped(tmp_path_factory.mktemp("content") / "mini")
    return map_content(layers, scope, zones, metric="households")


def small() -> LayerTable:
    """Three points; a has two scope rows, b none, c one (b is declared)."""
    rows = pd.DataFrame({"owner": [0, 0, 2], "item": [5, 6, 7], "q": [1.0, 2.0, 3.0],
                         "declared": [False, True, False]})
    return LayerTable(shapely.points([(130.0, 42.0), (130.1, 42.1), (130.2, 42.2)]),
                      {"id": ("text", ["a", "b", "c"]), "v": ("num:1", [1.04, None, 3.0]),
                       "k": ("cat", ["x", "y", "x"])}, rows)


def test_take_reorders_features_and_their_rows():
    t = small().take(np.array([2, 0]))
    assert len(t) == 2 and t.columns["id"][1].tolist() == ["c", "a"]
    assert t.rows[["owner", "item"]].values.tolist() == [[0, 7], [1, 5], [1, 6]]


def test_slice_shifts_the_owners():
    t = small().slice(1, 3)
    assert t.columns["id"][1].tolist() == ["b", "c"]
    assert t.rows[["owner", "item"]].values.tolist() == [[1, 7]]


def test_encoded_layer_by_hand():
    out = encode_layer(small(), transformer=IDENTITY, tolerance=0.0)
    assert out["n"] == 3
    assert out["cols"] == {"id": ["a", "b", "c"], "v": [1, None, 3],
                           "k": {"d": ["x", "y"], "i": [0, 1, 0]}}
    assert out["rows"] == {"n": [2, 0, 1], "item": [5, 6, 7], "q": [1, 2, 3], "d": [1]}
    assert out["geom"]["point"]["c"][:2] == [42_000_000, 130_000_000]


def test_community_figures_by_hand(content):
    com = content.tables["communities"]
    cols = {k: v.tolist() for k, (_, v) in com.columns.items()}
    assert cols["id"] == ["A", "B", "C"]
    assert cols["buildings"] == [1, 1, 1]          # b2 straddles A|B and counts in B
    assert cols["households"] == [30, 24, 16]
    assert cols["floor_area"] == [3600, 2880, 1500]  # 60x12x5, 40x12x6, registered 1500
    assert cols["zone"] == ["Z001", "Z001", "Z002"]


def test_building_rows_let_the_survey_stand(content):
    b = content.tables["buildings"]
    assert b.columns["com"][1].tolist() == [0, 1, 2, -1]   # b4 lies in no community
    assert b.columns["rtype"][1].tolist() == ["basic", "upgrade", "basic", "unassigned"]
    codes = content.items.index
    b1 = b.rows[b.rows["owner"] == 0]
    got = dict(zip(codes[b1["item"].to_numpy(dtype=int)], zip(b1["q"], b1["declared"],
                                                             strict=True), strict=True))
    assert got["roof_flat_waterproof"] == (700, True)   # surveyed, over the derived 720
    assert got["stairwell_paint"] == (500, True)
    assert got["facade_paint"] == (pytest.approx(144 * 5 * 2.9), False)  # perimeter 144 m


def test_pipes_and_facilities_priced_by_hand(content):
    p = content.tables["pipes"]
    ids = p.columns["id"][1].tolist()
    cost = dict(zip(ids, p.columns["cost"][1].tolist(), strict=True))
    # catalogue prices (calibrated, layers/calibrate_prices.py)
    assert cost["p1"] == pytest.approx(300 * 833.3)  # DN300 sewer, 300 m at 833.3 yuan/m
    assert cost["p2"] == pytest.approx(60 * 400)     # DN110 water, 60 m at 400 yuan/m
    assert np.isnan(cost["p3"])                      # kept gas: no cost, no item
    assert p.columns["item"][1][ids.index("p3")] == -1
    # p1: A 50, B 100, no community 100, C 50; p2: 60 in A
    assert sorted(p.rows["len"].tolist()) == pytest.approx([50, 50, 60, 100, 100])
    f = content.tables["facilities"]
    q = dict(zip(f.columns["id"][1].tolist(), f.columns["q"][1].tolist(), strict=True))
    assert q == {"f1": 1.0, "f2": 400.0, "f3": 1.0}  # the 20x20 m greening is 400 m²
    fcost = dict(zip(f.columns["id"][1].tolist(), f.columns["cost"][1].tolist(), strict=True))
    assert fcost == pytest.approx({"f1": 2091.2, "f2": 400 * 156.2, "f3": 29045.0})


def test_headline_and_choropleth(content):
    h = content.headline
    assert (h["communities"], h["buildings"], h["households"]) == (3, 4, 78)
    assert h["floor_area_m2"] == pytest.approx(3600 + 2880 + 1500 + 800)
    assert set(content.choropleth) == {"households", "cost", "cost_per_household"}
    assert content.choropleth["households"]["breaks"] == sorted(
        content.choropleth["households"]["breaks"])
    assert all(16 <= b <= 30 for b in content.choropleth["households"]["breaks"])
