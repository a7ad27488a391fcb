"""Maximal covering: optimal against brute force, also where greedy is not."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
from plans import (
    ACCESS_TOML,
    CRS,
    MINI_QUANTITIES,
    access_layers,
    box,
    line,
    mini_layers,
    point,
    write_access_plan,
)
from scipy.sparse import csr_array

from gisplan.analysis.sites import SITES_COLUMNS, choose_sites, maximal_covering
from gisplan.errors import GisplanError
from gisplan.inputs.validation import load_layers


def covered(cover: np.ndarray, weights: np.ndarray, chosen) -> float:
    return float(weights[cover[list(chosen)].any(axis=0)].sum())


def brute_force(cover: np.ndarray, weights: np.ndarray, k: int) -> float:
    return max(covered(cover, weights, c) for c in itertools.combinations(range(len(cover)), k))


def greedy(cover: np.ndarray, weights: np.ndarray, k: int) -> float:
    chosen: list[int] = []
    for _ in range(k):
        gains = [-1.0 if j in chosen else covered(cover, weights, [*chosen, j]) for j in
                 range(len(cover))]
        chosen.append(int(np.argmax(gains)))
    return covered(cover, weights, chosen)


@pytest.mark.parametrize("seed", range(40))
def test_optimal_on_random_instances(seed):
    rng = np.random.default_rng(seed)
    n_sites, n_demand = int(rng.integers(2, 9)), int(rng.integers(1, 16))
    cover = rng.random((n_sites, n_demand)) < rng.uniform(0.1, 0.6)
    weights = rng.integers(0, 25, n_demand).astype(float)
    k = int(rng.integers(1, n_sites + 1))
    chosen = maximal_covering(csr_array(cover), weights, k)
    assert len(set(chosen.tolist())) == k
    assert covered(cover, weights, chosen) == brute_force(cover, weights, k)


def test_greedy_is_not_optimal_here_and_the_programme_is():
    # the middle site covers the most (8), but the two flanks together cover 14
    cover = np.array([[1, 1, 0, 0],    # left: L(3) + M1(4)
                      [0, 1, 1, 0],    # middle: M1(4) + M2(4)
                      [0, 0, 1, 1]],   # right: M2(4) + R(3)
                     dtype=bool)
    weights = np.array([3.0, 4.0, 4.0, 3.0])
    assert greedy(cover, weights, 2) == 11 < brute_force(cover, weights, 2) == 14
    assert sorted(maximal_covering(csr_array(cover), weights, 2).tolist()) == [0, 2]


def test_ranked_by_what_each_adds_in_turn():
    cover = np.array([[1, 0, 0], [1, 1, 1], [0, 0, 1]], dtype=bool)
    weights = np.array([5.0, 1.0, 1.0])
    assert maximal_covering(csr_array(cover), weights, 3).tolist() == [1, 0, 2]


def test_merged_demand_gives_the_same_optimum():
    rng = np.random.default_rng(7)
    cover = rng.random((6, 400)) < 0.3  # 400 demand points, at most 64 distinct columns
    weights = rng.integers(1, 9, 400).astype(float)
    chosen = maximal_covering(csr_array(cover), weights, 3)
    assert covered(cover, weights, chosen) == brute_force(cover, weights, 3)


# --- on roads: the same instance drawn on a street -------------------------------------------

def street_plan(folder):
    """One street y = 0; households 1 m north of it, sites 1 m south, radius 100 m:
    a site covers the buildings within 98 m along the street. Left site at x=0 covers
    L(-90, 3 hh) and M1(60, 4 hh); middle at x=150 covers M1 and M2(240, 4 hh); right at
    x=300 covers M2 and R(390, 3 hh). Greedy takes the middle (8) then a flank (+3) = 11;
    the two flanks cover 14."""
    layers = mini_layers()
    xs, hh = [-90, 60, 240, 390], [3, 4, 4, 3]
    layers["buildings"] = gpd.GeoDataFrame({
        "building_id": ["L", "M1", "M2", "R"], "floors": [5] * 4, "households": hh,
        "units": [1] * 4, "roof": ["flat"] * 4, "floor_area_m2": [None] * 4,
    }, geometry=[box(x - 1, 0.5, x + 1, 1.5) for x in xs], crs=CRS)
    layers["roads"] = gpd.GeoDataFrame({"road_id": ["st"]},
                                       geometry=[line((-200, 0), (500, 0))], crs=CRS)
    layers["services"] = gpd.GeoDataFrame({"service_id": ["far"], "kind": ["kindergarten"]},
                                          geometry=[point(490, -1)], crs=CRS)
    layers["sites"] = gpd.GeoDataFrame({"site_id": ["left", "middle", "right"],
                                        "kinds": ["kindergarten", "", None]},
                                       geometry=[point(0, -1), point(150, -1), point(300, -1)],
                                       crs=CRS)
    return write_access_plan(folder, layers=layers, quantities=MINI_QUANTITIES.iloc[2:],
                             access=ACCESS_TOML + "max_walk_m = { kindergarten = 100 }\n")


def test_sites_on_a_street_beat_greedy(tmp_path):
    layers = load_layers(street_plan(tmp_path / "street"))
    choice = choose_sites(layers, kind="kindergarten", count=2)
    t = choice.table
    assert list(t.columns) == SITES_COLUMNS
    assert sorted(t["site_id"]) == ["left", "right"]
    assert t["households_newly_within"].tolist() == [7, 7]  # equal gains: either first
    assert t["households_within_total"].tolist() == [7, 14]
    assert (choice.households, choice.households_within_before, choice.candidates) == (14, 0, 3)
    one = choose_sites(layers, kind="kindergarten", count=1).table
    assert one["households_newly_within"].tolist() == [8] and one["site_id"].tolist() == [
        "middle"]


def test_households_already_within_are_not_counted_again(tmp_path):
    layers = load_layers(write_access_plan(
        tmp_path / "plan", access=ACCESS_TOML + "max_walk_m = { kindergarten = 200 }\n"))
    # k1 serves b1 (56 m) and b2 (116 m): 54 households; s1 adds b3 (35 m, 16 hh), s2 adds
    # b4 (45 m, 8 hh); s3 may take markets only
    t = choose_sites(layers, kind="kindergarten", count=2).table
    assert t[["site_id", "households_newly_within", "households_within_total"]].values.tolist(
    ) == [["s1", 16, 70], ["s2", 8, 78]]


def test_count_beyond_the_allowed_sites_is_an_error(tmp_path):
    layers = load_layers(write_access_plan(tmp_path / "plan"))
    with pytest.raises(GisplanError, match="only 2 candidate sites may take 'kindergarten'"):
        choose_sites(layers, kind="kindergarten", count=3)
    with pytest.raises(GisplanError, match="unknown kind of service"):
        choose_sites(layers, kind="zoo", count=1)
    with pytest.raises(GisplanError, match="--count must be >= 1"):
        choose_sites(layers, kind="market", count=0)


def test_without_a_sites_layer_it_says_so(tmp_path):
    layers = {**mini_layers(), **{k: v for k, v in access_layers().items() if k != "sites"}}
    plan = write_access_plan(tmp_path / "plan", layers=layers)
    with pytest.raises(GisplanError, match=r"\[layers\] has no sites"):
        choose_sites(load_layers(plan), kind="kindergarten", count=1)
