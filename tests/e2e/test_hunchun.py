"""The bundled Hunchun 2020 plan reproduces the plan's own figures, item by item."""

from __future__ import annotations

import re
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest
from conftest import HUNCHUN, REPO

from gisplan.analysis.scope import compute_scope
from gisplan.analysis.zones import detect_zones
from gisplan.inputs.validation import load_layers, validate_plan
from gisplan.plan.catalogue import load_catalogue, pipe_item

# The seed, section 三（一）: 17 communities, 96 buildings, 5054 households, 38.64万㎡.
HEADLINE = {"communities": 17, "buildings": 96, "households": 5054, "floor_area_m2": 386_400}
# The seed's pipe lengths (m) by network and diameter.
PIPES = {
    "pipe:sewer:300": 8059, "pipe:sewer:150": 9400,
    "pipe:storm:200": 2072, "pipe:storm:300": 8689, "pipe:storm:400": 295,
    "pipe:storm:500": 44, "pipe:storm:600": 63,
    "pipe:water:32": 2119, "pipe:water:50": 809, "pipe:water:90": 5564,
    "pipe:water:110": 1012, "pipe:water:160": 778,
    "pipe:heating": 8873, "pipe:gas": 4582, "pipe:telecom": 7972,
}


def seed_quantity(source_text: str) -> float:
    """The number in the seed's phrase, in the catalogue's unit (公里 -> m)."""
    m = re.search(r"(\d+(?:\.\d+)?)(公里|㎡|m|米|樘|个|组|株|盏|座)$", source_text)
    assert m, source_text
    value = float(m.group(1))
    return value * 1000 if m.group(2) == "公里" else value


@pytest.fixture(scope="module")
def scope():
    layers = load_layers(HUNCHUN)
    return compute_scope(layers, zones=detect_zones(layers).membership)


def test_validates_without_errors():
    report = validate_plan(HUNCHUN)
    assert report.ok, report.format_text()


def test_headline_figures_from_the_files():
    com = gpd.read_file(HUNCHUN / "communities.geojson")
    b = gpd.read_file(HUNCHUN / "buildings.geojson")
    assert len(com) == 17 and com["community_id"].is_unique
    assert set(com["street"]) == {"新安街道", "靖和街道", "河南街道"}
    assert len(b) == 96
    assert b["households"].sum() == 5054
    assert b["floor_area_m2"].sum() == pytest.approx(386_400, abs=1e-6)
    assert b["units"].sum() == 386
    assert b["floors"].between(4, 7).all()


@pytest.mark.parametrize(("item", "metres"), sorted(PIPES.items()))
def test_pipe_lengths_from_the_files(item, metres):
    p = gpd.read_file(HUNCHUN / "pipes.geojson")
    assert p.crs.to_epsg() == 4552
    p = p[p["action"] != "keep"]
    got = p.geometry.length.groupby(pipe_item(p["network"], p["diameter_mm"])).sum()
    assert got[item] == pytest.approx(metres, abs=1.0)


def test_catalogue_has_the_seeds_73_items():
    cat = load_catalogue()
    assert len(cat) == 73
    assert cat["group"].value_counts().to_dict() == {"outdoor": 37, "building": 21, "pipes": 15}
    assert set(PIPES) <= set(cat.index)
    assert set(cat["tier"]) == {"basic", "upgrade"}
    assert set(cat["aspect"]) <= {"房屋功能", "基础设施", "公共服务", "居住环境"}


def test_city_totals_equal_the_seed_item_by_item(scope):
    city = scope.table[scope.table["level"] == "city"].set_index("item")["quantity"]
    cat = load_catalogue()
    wrong = {}
    for code, text in cat["source_text"].items():
        want = seed_quantity(text)
        if abs(city.get(code, 0.0) - want) > 1e-6 * max(want, 1):
            wrong[code] = (city.get(code, 0.0), want)
    assert not wrong
    for item, want in HEADLINE.items():
        assert city[item] == pytest.approx(want, abs=1e-6), item


def test_reconciliation_shows_zero_difference(scope):
    rec = scope.reconciliation.dropna(subset=["stated"])
    assert len(rec) == 73 + len(HEADLINE)
    assert rec["difference"].abs().max() < 1e-6
    # what geometry gives for roofs and façades agrees with the plan too
    geo = rec.set_index("item")["derived_geometry"]
    assert geo["roof_flat_waterproof"] == pytest.approx(69_932, abs=0.01)
    assert geo["facade_paint"] == pytest.approx(245_980, abs=0.01)


def test_stated_file_quotes_the_seed():
    stated = pd.read_csv(HUNCHUN / "stated.csv", encoding="utf-8-sig")
    cat = load_catalogue()
    merged = stated.merge(cat[["source_text"]], left_on="item", right_index=True,
                          suffixes=("", "_cat"))
    assert len(merged) == 73
    assert (merged["quantity"] == merged["source_text_cat"].map(seed_quantity)).all()


def test_generator_rebuilds_the_folder_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(REPO / "layers" / "make_hunchun2020.py"),
                    "--out", str(tmp_path)], check=True, capture_output=True)
    for path in HUNCHUN.iterdir():
        if path.name != "README.md":
            assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
