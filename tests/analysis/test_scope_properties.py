"""Property tests: conservation of every quantity on generated layers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plans import CRS, X0, Y0, write_plan

from gisplan.analysis.scope import compute_scope
from gisplan.inputs.validation import load_layers
from gisplan.plan.catalogue import pipe_item

NETWORKS = [("sewer", 300), ("water", 110), ("storm", 200), ("heating", None), ("gas", None)]


@st.composite
def plans(draw):
    """A grid of communities with random gaps, and buildings and pipes anywhere."""
    seed = draw(st.integers(0, 2**32 - 1))
    cols, rows = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    gap = draw(st.sampled_from([0.0, 5.0, 30.0]))
    n_b, n_p = draw(st.integers(1, 40)), draw(st.integers(0, 25))
    rng = np.random.default_rng(seed)
    size = 100.0
    i, j = np.meshgrid(np.arange(cols), np.arange(rows))
    x1, y1 = X0 + i.ravel() * (size + gap), Y0 + j.ravel() * (size + gap)
    n_c = len(x1)
    extent = (cols * (size + gap) + 60, rows * (size + gap) + 60)
    bx = X0 - 30 + rng.uniform(0, extent[0], n_b)
    by = Y0 - 30 + rng.uniform(0, extent[1], n_b)
    bw, bh = rng.uniform(5, 60, n_b), rng.uniform(5, 15, n_b)
    pts = rng.uniform(0, 1, (n_p, 3, 2)) * extent + (X0 - 30, Y0 - 30)
    if draw(st.booleans()):  # snap to a 50 m grid: many pipes run along community borders
        pts = np.round((pts - (X0, Y0)) / 50) * 50 + (X0, Y0)
        same = (pts[:, 1] == pts[:, 0]).all(axis=1)
        pts[same, 1, 0] += 50  # no zero-length lines
    net = rng.integers(0, len(NETWORKS), n_p)
    return {
        "communities": gpd.GeoDataFrame({
            "community_id": [f"c{k}" for k in range(n_c)], "name": [f"社区{k}" for k in range(n_c)],
            "street": [f"s{k % 2}" for k in range(n_c)],
            "renovation_type": rng.choice(["basic", "upgrade"], n_c),
        }, geometry=shapely.box(x1, y1, x1 + size, y1 + size), crs=CRS),
        "buildings": gpd.GeoDataFrame({
            "building_id": [f"b{k}" for k in range(n_b)], "floors": rng.integers(1, 8, n_b),
            "households": rng.integers(0, 60, n_b), "units": rng.integers(1, 6, n_b),
            "roof": rng.choice(["flat", "pitched"], n_b),
        }, geometry=shapely.box(bx, by, bx + bw, by + bh), crs=CRS),
        "pipes": gpd.GeoDataFrame({
            "pipe_id": [f"p{k}" for k in range(n_p)],
            "network": [NETWORKS[k][0] for k in net],
            "diameter_mm": pd.array([NETWORKS[k][1] for k in net], dtype="Int64"),
            "action": rng.choice(["replace", "new", "keep"], n_p),
        }, geometry=shapely.linestrings(pts) if n_p else [], crs=CRS),
    }


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layers=plans())
def test_every_quantity_is_conserved(tmp_path_factory, layers):
    folder = write_plan(tmp_path_factory.mktemp("p"), layers,
                        quantities=pd.DataFrame(columns=["target_id", "item", "quantity"]),
                        driver="GPKG", suffix=".gpkg")
    scope = compute_scope(load_layers(folder))
    t = scope.table
    city = t[t["level"] == "city"].groupby("item")["quantity"].sum()
    for parts in (["community", "unassigned"], ["street", "unassigned"]):
        got = t[t["level"].isin(parts)].groupby("item")["quantity"].sum()
        got = got.reindex(city.index, fill_value=0.0)
        np.testing.assert_allclose(got, city, rtol=1e-9, atol=1e-6, err_msg=str(parts))

    b = layers["buildings"]
    assert city["buildings"] == len(b)
    assert len(scope.assignment.buildings) == len(b)
    assert city["households"] == b["households"].sum()

    p = layers["pipes"][layers["pipes"]["action"] != "keep"]
    want = p.geometry.length.groupby(pipe_item(p["network"], p["diameter_mm"]).to_numpy()).sum()
    got = city[city.index.str.startswith("pipe:")]
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False,
                                   rtol=1e-6, check_index_type=False)
    assert not t[(t["level"] == "city")]["item"].duplicated().any()


def test_pipe_along_a_shared_border_is_counted_once():
    from gisplan.inputs.spatial import split_lengths

    areas = shapely.box([0, 10], 0, [10, 20], 10)
    lines = np.array([shapely.LineString([(10, 2), (10, 8)]),
                      shapely.LineString([(5, 5), (10, 5), (10, 9), (15, 9)])])
    li, ai, ln = split_lengths(lines, areas)
    per_line = np.bincount(li, weights=ln)
    np.testing.assert_allclose(per_line, shapely.length(lines))
    assert (ai == 0).sum() >= 1


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layers=plans())
def test_moving_the_plan_to_wgs84_changes_no_quantity_by_over_a_thousandth(tmp_path_factory,
                                                                            layers):
    empty = pd.DataFrame(columns=["target_id", "item", "quantity"])
    totals = []
    for crs in ("EPSG:4552", "EPSG:4326"):
        moved = {k: v.to_crs(crs) for k, v in layers.items()}
        folder = write_plan(tmp_path_factory.mktemp("crs"), moved, quantities=empty,
                            driver="GPKG", suffix=".gpkg")
        t = compute_scope(load_layers(folder)).table
        # Every city total; per community the building figures (a pipe running exactly
        # along a shared border may land on either side once coordinates are rounded).
        keep = (t["level"] == "city") | (t["level"].isin(["community", "unassigned"])
                                         & t["item"].isin(["buildings", "households"]))
        totals.append(t[keep].set_index(["level", "area_id", "item"])["quantity"])
    a, b = totals[0].align(totals[1], fill_value=0.0)
    np.testing.assert_allclose(b, a, rtol=1e-3, atol=1e-3)
