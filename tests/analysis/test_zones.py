"""Contiguous zones on hand-made plans with answers worked out by hand."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plans import CRS, box, line, mini_layers, write_plan

from gisplan.analysis.scope import compute_scope
from gisplan.analysis.zones import detect_zones
from gisplan.cli.main import main
from gisplan.inputs.validation import load_layers


def communities(shapes: dict[str, shapely.Geometry], types: dict[str, str] | None = None):
    ids = list(shapes)
    return gpd.GeoDataFrame({
        "community_id": ids, "name": [f"{i}社区" for i in ids], "street": "S",
        "renovation_type": [(types or {}).get(i, "basic") for i in ids],
    }, geometry=list(shapes.values()), crs=CRS)


def plan_with(tmp_path, shapes, *, barriers=None, types=None, toml_extra=""):
    layers = mini_layers()
    layers["communities"] = communities(shapes, types)
    # one building per community so every zone has households
    cents = [g.representative_point() for g in shapes.values()]
    layers["buildings"] = gpd.GeoDataFrame({
        "building_id": [f"b{i}" for i in range(len(cents))], "floors": 5,
        "households": [10 * (i + 1) for i in range(len(cents))], "units": 1, "roof": "flat",
    }, geometry=[c.buffer(2, cap_style="square") for c in cents], crs=CRS)
    layers.pop("facilities"), layers.pop("structures")
    if barriers is not None:
        layers["barriers"] = barriers
    folder = write_plan(tmp_path / "p", layers,
                        quantities=pd.DataFrame(columns=["target_id", "item", "quantity"]))
    if toml_extra:
        toml = folder / "plan.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace("[zones]", toml_extra),
                        encoding="utf-8")
    return load_layers(folder)


def groups(zones) -> set[frozenset[str]]:
    m = zones.membership
    return {frozenset(m.index[m == z]) for z in m.unique()}


def test_touching_communities_form_one_zone(tmp_path):
    z = detect_zones(plan_with(tmp_path, {"A": box(0, 0, 100, 100), "B": box(100, 0, 200, 100)}))
    assert groups(z) == {frozenset("AB")}
    assert z.links.to_dict("records") == [
        {"community_a": "A", "community_b": "B", "gap_m": 0.0, "joined": True,
         "barrier_id": None}]


@pytest.mark.parametrize(("gap", "joined"), [(49.9, True), (50.0, True), (50.1, False)])
def test_gap_just_under_and_over_threshold(tmp_path, gap, joined):
    layers = plan_with(tmp_path, {"A": box(0, 0, 100, 100), "B": box(100 + gap, 0, 200, 100)})
    z = detect_zones(layers)
    assert groups(z) == ({frozenset("AB")} if joined else {frozenset("A"), frozenset("B")})
    assert len(z.links) == (1 if joined else 0)


def test_river_between_close_communities_splits_them(tmp_path):
    river = gpd.GeoDataFrame({"barrier_id": ["R1"], "kind": ["river"]},
                             geometry=[box(-50, 105, 250, 125)], crs=CRS)
    shapes = {"A": box(0, 0, 100, 100), "B": box(0, 130, 100, 230), "C": box(100, 0, 200, 100)}
    z = detect_zones(plan_with(tmp_path, shapes, barriers=river))
    assert groups(z) == {frozenset("AC"), frozenset("B")}
    split = z.links[~z.links["joined"]].to_dict("records")
    assert split == [
        {"community_a": "A", "community_b": "B", "gap_m": 30.0, "joined": False,
         "barrier_id": "R1"},
        {"community_a": "B", "community_b": "C", "gap_m": 30.0, "joined": False,
         "barrier_id": "R1"}]


def test_trunk_road_line_between_close_communities(tmp_path):
    road = gpd.GeoDataFrame({"barrier_id": ["T1"], "kind": ["trunk_road"]},
                            geometry=[line((120, -50), (120, 150))], crs=CRS)
    z = detect_zones(plan_with(tmp_path, {"A": box(0, 0, 100, 100), "B": box(140, 0, 240, 100)},
                               barriers=road))
    assert groups(z) == {frozenset("A"), frozenset("B")}
    assert z.links["barrier_id"].tolist() == ["T1"]


def test_barriers_that_no_pair_crosses_split_nothing(tmp_path):
    """A plan with barriers none of which lies between close communities (the motorway of
    the OSM test town): once an IndexError."""
    far = gpd.GeoDataFrame({"barrier_id": ["M1"], "kind": ["motorway"]},
                           geometry=[line((0, 500), (400, 500))], crs=CRS)
    z = detect_zones(plan_with(tmp_path, {"A": box(0, 0, 100, 100), "B": box(120, 0, 220, 100)},
                               barriers=far))
    assert groups(z) == {frozenset("AB")}
    assert z.links["joined"].tolist() == [True] and z.links["barrier_id"].isna().all()


def test_outlines_are_polygonal_where_members_meet_at_a_corner_only(tmp_path):
    shapes = {"A": box(0, 0, 100, 100), "B": box(100, 100, 200, 200)}
    z = detect_zones(plan_with(tmp_path, shapes), max_gap_m=0)
    assert z.outlines.geom_type.tolist() == ["MultiPolygon"]
    assert z.outlines.area.iloc[0] == pytest.approx(20_000)


def test_chain_joins_far_ends(tmp_path):
    shapes = {"A": box(0, 0, 100, 100), "B": box(140, 0, 240, 100), "C": box(280, 0, 380, 100)}
    z = detect_zones(plan_with(tmp_path, shapes))
    assert groups(z) == {frozenset("ABC")}
    assert len(z.links) == 2  # A and C are 180 m apart: not a pair
    outline = z.outlines.geometry.iloc[0]
    assert outline.geom_type == "Polygon"  # gaps closed
    # the outline closes the gaps but does not swallow land far from the members
    assert outline.area < 3 * 100 * 100 + 2 * 40 * 100 + 1


def test_multipolygon_community(tmp_path):
    two = shapely.MultiPolygon([box(0, 0, 50, 50), box(300, 0, 350, 50)])
    shapes = {"A": two, "B": box(370, 0, 420, 50), "C": box(700, 0, 750, 50)}
    z = detect_zones(plan_with(tmp_path, shapes))
    assert groups(z) == {frozenset("AB"), frozenset("C")}


def test_ids_stable_under_input_order(tmp_path):
    shapes = {"Q": box(0, 0, 100, 100), "A": box(500, 0, 600, 100), "M": box(100, 0, 200, 100),
              "Z": box(900, 0, 1000, 100)}
    z1 = detect_zones(plan_with(tmp_path / "1", shapes))
    shuffled = dict(reversed(list(shapes.items())))
    z2 = detect_zones(plan_with(tmp_path / "2", shuffled))
    # ordered by smallest member id: {A}=Z001, {M,Q}=Z002, {Z}=Z003
    assert z1.membership.sort_index().to_dict() == {"A": "Z001", "M": "Z002", "Q": "Z002",
                                                   "Z": "Z003"}
    assert z1.membership.sort_index().equals(z2.membership.sort_index())
    assert z1.outlines["community_ids"].tolist() == ["A", "M,Q", "Z"]


def test_filters_type_and_min_households(tmp_path):
    shapes = {"A": box(0, 0, 100, 100), "B": box(100, 0, 200, 100), "C": box(200, 0, 300, 100)}
    layers = plan_with(tmp_path, shapes, types={"B": "upgrade"})
    assert groups(detect_zones(layers, renovation_type="basic")) == {frozenset("A"),
                                                                     frozenset("C")}
    # households: A 10, B 20, C 30; one zone of 60
    assert len(detect_zones(layers, min_households=61).membership) == 0
    assert len(detect_zones(layers, min_households=60).membership) == 3


def test_shared_pipes(tmp_path):
    layers = plan_with(tmp_path, {"A": box(0, 0, 100, 100), "B": box(100, 0, 200, 100)})
    # mini plan pipes: p1 sewer runs x=50..350 (A 50 m, B 100 m); p2 water inside A only
    shared = detect_zones(layers).shared_pipes
    assert shared.to_dict("records") == [{"zone_id": "Z001", "network": "sewer", "pipes": 1,
                                          "length_m": 150.0}]


def test_cli_zone_files(mini_plan, tmp_path):
    out = tmp_path / "out"
    assert main(["zones", str(mini_plan), "--out", str(out), "--max-gap-m", "100"]) == 0
    gj = json.loads((out / "zones.geojson").read_text(encoding="utf-8"))
    assert "crs" not in gj
    props = [f["properties"] for f in gj["features"]]
    # The one zone holds every community, so it costs what they cost together
    # (b4 and f3 lie in no community and are not in it).
    table = compute_scope(load_layers(mini_plan)).table
    cost = table.loc[table["level"] == "community", "cost_cny"].sum()
    assert cost > 0
    assert props == [{"zone_id": "Z001", "community_ids": "A,B,C", "communities": 3,
                      "buildings": 3, "households": 70, "floor_area_m2": 7980.0,
                      "cost_cny": pytest.approx(cost, abs=0.01)}]
    lon, lat = gj["features"][0]["geometry"]["coordinates"][0][0]
    assert 129 < lon < 132 and 42 < lat < 44
    links = pd.read_csv(out / "zone_links.csv", encoding="utf-8-sig")
    assert links[["community_a", "community_b", "joined"]].values.tolist() == [
        ["A", "B", True], ["B", "C", True]]


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31), gap=st.sampled_from([0.0, 20.0, 60.0]))
def test_zones_partition_communities(tmp_path_factory, seed, gap):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 12))
    x = rng.uniform(0, 600, n).round(0) * 3
    shapes = {f"c{i:02d}": box(x[i], 0, x[i] + 1, 50) for i in range(n)}
    # drop overlapping ones to keep the plan valid
    keep, taken = {}, []
    for k, g in shapes.items():
        if not any(g.intersects(t) for t in taken):
            keep[k], taken = g, [*taken, g]
    layers = plan_with(tmp_path_factory.mktemp("z"), keep)
    z = detect_zones(layers, max_gap_m=gap)
    assert sorted(z.membership.index) == sorted(keep)
    assert z.outlines["communities"].sum() == len(keep)
    listed = ",".join(z.outlines["community_ids"]).split(",")
    assert sorted(listed) == sorted(keep)
