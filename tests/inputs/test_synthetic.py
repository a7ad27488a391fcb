"""The synthetic city: deterministic, valid by the contract, and conserved by scope."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from gisplan.analysis.scope import compute_scope
from gisplan.inputs.schema import SCHEMAS
from gisplan.inputs.synthetic import NETWORKS, make_city
from gisplan.inputs.validation import load_layers
from gisplan.outputs.plan_folder import write_plan_folder
from gisplan.plan.catalogue import pipe_item
from gisplan.plan.settings import LAYER_NAMES

SIZES = [500, 2000]


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"n{n}")
def city(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    n = request.param
    layers = make_city(n, seed=11)
    folder = write_plan_folder(layers, tmp_path_factory.mktemp(f"city{n}"))
    return n, layers, folder


@pytest.mark.parametrize("n", SIZES)
def test_same_seed_same_city(n: int) -> None:
    a, b = make_city(n, seed=5), make_city(n, seed=5)
    for name in LAYER_NAMES:
        pd.testing.assert_frame_equal(a[name].to_wkb(), b[name].to_wkb())
    c = make_city(n, seed=6)
    assert not a["buildings"].geometry.geom_equals(c["buildings"].geometry).all()


def test_layers_follow_the_contract(city) -> None:
    _, layers, _ = city
    assert set(layers) == set(LAYER_NAMES)
    for name, gdf in layers.items():
        schema = SCHEMAS[name]
        assert {c.name for c in schema.columns if c.required} <= set(gdf.columns), name
        assert gdf.crs.to_epsg() == 4552
        assert set(gdf.geom_type) <= set(schema.geometry), name
        assert shapely.is_valid(np.asarray(gdf.geometry.array)).all(), name
        assert gdf[schema.id].is_unique, name
    x, y = layers["communities"].total_bounds[:2]
    assert abs(x - 611000) < 1000 and abs(y - 4748000) < 1000


def test_sizes(city) -> None:
    n, layers, _ = city
    assert len(layers["buildings"]) == n
    assert abs(len(layers["communities"]) - n / 50) <= 1
    assert len(layers["pipes"]) == n // 2
    assert set(layers["pipes"]["network"]) == set(NETWORKS)
    assert 0.05 < (layers["pipes"]["action"] == "keep").mean() < 0.2
    assert len(layers["facilities"]) == n // 5
    assert set(layers["barriers"]["kind"]) == {"主干道", "河流"}


def test_communities_do_not_overlap_and_buildings_cross_some_borders(city) -> None:
    _, layers, _ = city
    com = np.asarray(layers["communities"].geometry.array)
    left, right = shapely.STRtree(com).query(com, predicate="dwithin", distance=9.99)
    assert (left == right).all()  # street gaps are at least 10 m
    b = np.asarray(layers["buildings"].geometry.array)
    inside = np.zeros(len(b), bool)
    inside[shapely.STRtree(com).query(b, predicate="within")[0]] = True
    assert 0.15 < 1 - inside.mean() < 0.40


def test_loads_without_errors(city) -> None:
    n, layers, folder = city
    loaded = load_layers(folder)
    assert loaded.report.ok
    assert {p.check for p in loaded.report.warnings} <= {"outside_communities"}
    assert len(loaded.buildings) == n
    assert loaded.pipes["diameter_mm"].notna().sum() == layers["pipes"]["diameter_mm"].notna().sum()


def test_scope_conserves_pipes_and_households(city) -> None:
    _, layers, folder = city
    table = compute_scope(load_layers(folder)).table
    # astype: without declared quantities the column comes out as object dtype.
    totals = table[table["level"] == "city"].set_index("item")["quantity"].astype(float)

    pipes = layers["pipes"][layers["pipes"]["action"] != "keep"]
    expected = pipes.geometry.length.groupby(
        pipe_item(pipes["network"], pipes["diameter_mm"]).to_numpy()).sum()
    got = totals[totals.index.str.startswith("pipe:")]
    assert sorted(got.index) == sorted(expected.index)
    np.testing.assert_allclose(got.reindex(expected.index).to_numpy(), expected.to_numpy(),
                               rtol=1e-6)
    assert totals["households"] == layers["buildings"]["households"].sum()
    assert totals["buildings"] == len(layers["buildings"])
    # Communities plus the unassigned area add up to the city, item by item.
    parts = table[table["level"].isin(["community", "unassigned"])]
    summed = parts.astype({"quantity": float}).groupby("item")["quantity"].sum()
    summed = summed.reindex(totals.index)
    np.testing.assert_allclose(summed.to_numpy(), totals.to_numpy(), rtol=1e-9)


@pytest.mark.parametrize("n", [1, 75])
def test_tiny_cities_load(n: int, tmp_path: Path) -> None:
    loaded = load_layers(write_plan_folder(make_city(n), tmp_path))
    assert loaded.report.ok and len(loaded.buildings) == n


@pytest.fixture(scope="module")
def real_city(tmp_path_factory: pytest.TempPathFactory):
    layers = make_city(5000, seed=4, outside=0.8, scattered=True)
    return layers, write_plan_folder(layers, tmp_path_factory.mktemp("real"))


def _touching(layers, name: str) -> np.ndarray:
    """Whether each feature of layer ``name`` meets a community."""
    tree = shapely.STRtree(np.asarray(layers["communities"].geometry.array))
    geoms = np.asarray(layers[name].geometry.array)
    hit = np.zeros(len(geoms), bool)
    hit[tree.query(geoms, predicate="intersects")[0]] = True
    return hit


def test_a_real_citys_shape_most_outside_the_communities(real_city) -> None:
    layers, _ = real_city
    assert len(layers["buildings"]) == 5000 and len(layers["pipes"]) == 2500
    assert len(layers["communities"]) == 100
    # 80 % of the buildings lie in other blocks; pipes start there, a few cross into one.
    assert abs((~_touching(layers, "buildings")).mean() - 0.8) < 0.02
    assert 0.7 < (~_touching(layers, "pipes")).mean() < 0.85
    # Facilities and structures are the renovation's own: in the communities.
    assert _touching(layers, "facilities").mean() > 0.97
    assert _touching(layers, "structures").all()


def test_scattered_communities_are_spread_over_the_city(real_city) -> None:
    layers, _ = real_city
    scattered = layers["communities"].total_bounds
    tiled = make_city(5000, seed=4, outside=0.8)["communities"].total_bounds
    # The same number of communities spread over about 1 / (1 - 0.8) times the area.
    def area(b: np.ndarray) -> float:
        return (b[2] - b[0]) * (b[3] - b[1])

    assert area(scattered) > 3 * area(tiled)
    com = np.asarray(layers["communities"].geometry.array)
    left, right = shapely.STRtree(com).query(com, predicate="dwithin", distance=9.99)
    assert (left == right).all()


def test_a_real_city_loads_and_conserves(real_city) -> None:
    layers, folder = real_city
    loaded = load_layers(folder)
    assert loaded.report.ok and len(loaded.buildings) == 5000
    table = compute_scope(loaded).table
    totals = table[table["level"] == "city"].set_index("item")["quantity"].astype(float)
    assert totals["households"] == layers["buildings"]["households"].sum()
    outside = table[table["level"] == "unassigned"].set_index("item")["quantity"].astype(float)
    assert 0.75 < outside["buildings"] / totals["buildings"] < 0.85


def test_outside_share_is_checked() -> None:
    with pytest.raises(ValueError, match="outside"):
        make_city(100, outside=1.0)
