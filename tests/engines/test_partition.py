"""Spatially partitioned GeoParquet: Hilbert-sorted parts that hold every row once, and
a partitioned plan folder that keeps the plan's settings. (The dask engine that reads
them is tested in test_distributed.py.)"""

from __future__ import annotations

import tomllib

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from plans import PLAN_TOML, write_plan

from gisplan.engines.partition import (
    _toml,
    hilbert_labels,
    partition_plan,
    write_partitioned,
)
from gisplan.errors import GisplanError
from gisplan.inputs.validation import load_layers
from gisplan.plan.settings import read_plan


def points(xy) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame({"k": np.arange(len(xy))}, geometry=shapely.points(xy),
                            crs="EPSG:4552")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e4), st.floats(0, 1e4)), min_size=1, max_size=200),
       st.integers(1, 12))
def test_parts_cover_every_row_once_in_equal_runs(xy, k):
    gdf = points(xy)
    labels = hilbert_labels(gdf, k)
    n = len(gdf)
    assert labels.shape == (n,) and labels.min() >= 0 and labels.max() < k
    sizes = np.bincount(labels, minlength=k)
    assert sizes.sum() == n
    assert set(sizes[sizes > 0]) <= {n // k, -(-n // k)}  # equal runs, at most one apart
    # runs follow the Hilbert curve: sorted by distance, the labels never go down
    order = np.argsort(gdf.hilbert_distance().to_numpy(), kind="stable")
    assert (np.diff(labels[order]) >= 0).all()


def test_hilbert_parts_are_compact():
    # four 10x10 clusters far apart, 25 points each: four parts, one cluster each
    rng = np.random.default_rng(1)
    centres = np.array([[0, 0], [0, 5000], [5000, 0], [5000, 5000]])
    xy = np.concatenate([c + rng.uniform(0, 10, (25, 2)) for c in centres])
    labels = hilbert_labels(points(xy), 4)
    assert [len(set(labels[i * 25:(i + 1) * 25])) for i in range(4)] == [1, 1, 1, 1]
    assert hilbert_labels(points(np.zeros((0, 2))), 3).tolist() == []


def test_written_parts_read_back_as_the_layer(tmp_path):
    gdf = points([[x, x % 7] for x in range(10)]).assign(
        note=pd.Series([None] * 5 + ["甲", 3, None, "乙", None], dtype=object))
    folder = tmp_path / "g.parquet"
    assert write_partitioned(gdf, folder, npartitions=3) == 3
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["part.00000.parquet", "part.00001.parquet", "part.00002.parquet"]
    back = gpd.read_parquet(folder).sort_values("k").reset_index(drop=True)
    assert back["k"].tolist() == list(range(10))
    # mixed text and numbers become text; the all-missing part keeps one schema
    note = back["note"].astype(object)
    assert note.where(note.notna(), None).tolist() == [None] * 5 + ["甲", "3", None, "乙", None]
    assert shapely.equals(back.geometry.values, gdf.geometry.values).all()


def test_own_labels_skip_empty_parts_and_replace_old_files(tmp_path):
    gdf = points([[0, 0], [1, 1], [2, 2], [3, 3]])
    folder = tmp_path / "g.parquet"
    write_partitioned(gdf, folder, npartitions=4)
    assert write_partitioned(gdf, folder, labels=np.array([7, 2, 7, 2])) == 2
    assert sorted(p.name for p in folder.iterdir()) == ["part.00002.parquet",
                                                        "part.00007.parquet"]
    part7 = gpd.read_parquet(folder / "part.00007.parquet")
    assert part7["k"].tolist() == [0, 2]  # rows keep their order within a part
    with pytest.raises(GisplanError, match="npartitions must be >= 1, got 0"):
        write_partitioned(gdf, folder, npartitions=0)


def test_toml_writer_round_trips():
    data = {"plan": {"name": '测试 "计划"\\', "crs": "EPSG:4552"},
            "prices": {"pipe:sewer:300": 650.5, "bench": 2},
            "funding": {"factor_weights": {"households": 0.5, "buildings": 0.5},
                        "enabled": True}}
    assert tomllib.loads(_toml(data)) == data
    with pytest.raises(GisplanError, match="cannot write value"):
        _toml({"x": {"y": [1, 2]}})


def test_partitioned_plan_holds_every_feature_once(mini_plan, tmp_path):
    parts = partition_plan(mini_plan, tmp_path / "parts", npartitions=2)
    before, after = load_layers(mini_plan), load_layers(parts)
    for name in ("communities", "buildings", "pipes", "facilities", "structures"):
        a, b = before.layer(name), after.layer(name)
        key = a.columns[0]
        assert sorted(a[key]) == sorted(b[key]), name
    assert len(list((parts / "buildings.parquet").glob("part.*.parquet"))) == 2
    assert (parts / "communities.parquet").is_file()
    assert (parts / "quantities.csv").read_text() == (mini_plan / "quantities.csv").read_text()
    with pytest.raises(GisplanError, match="--npartitions must be >= 1, got 0"):
        partition_plan(mini_plan, tmp_path / "none", npartitions=0)
    assert not (tmp_path / "none").exists()


def test_partition_keeps_plan_settings(tmp_path):
    toml = PLAN_TOML.replace("[zones]", """[prices]
"pipe:sewer:300" = 650.5

[funding]
central_allocation_cny = 1000000
factor_weights = {{ households = 0.5, buildings = 0.5 }}

[scope]
storey_height_m = 3.1

[zones]""")
    from plans import MINI_QUANTITIES, mini_layers

    layers = mini_layers()
    spec = "\n".join(f'{name} = "{name}.geojson"' for name in layers)
    plan = write_plan(tmp_path / "p", layers, quantities=MINI_QUANTITIES,
                      toml=toml.format(layers=spec))
    parts = partition_plan(plan, tmp_path / "parts", npartitions=2)
    a, b = read_plan(plan), read_plan(parts)
    assert (a.name, a.crs, a.zones, a.scope, a.prices) == (b.name, b.crs, b.zones, b.scope,
                                                           b.prices)
    assert b.layers["buildings"].path == parts / "buildings.parquet"
    with pytest.raises(GisplanError, match="plan folder itself"):
        partition_plan(plan, plan, npartitions=2)

