"""One community's own map (一区一案): the plan cut down to the community, its zone and
its scope rows standing in for the city's."""

from __future__ import annotations

import re

import pytest
from plans import X0, Y0, load_scoped, mini_layers

from gisplan.outputs.webmap.community import build_community_map, community_subset

EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    layers = mini_layers()
    layers["communities"].loc[2, "name"] = EVIL
    return load_scoped(tmp_path_factory.mktemp("community") / "mini", layers)


def test_subset_of_c_by_hand(mini):
    layers, scope, zones = mini
    sub_layers, sub_scope, sub_zones = community_subset(layers, scope, zones, "C")
    assert sub_layers.communities["community_id"].tolist() == ["C"]
    assert sub_layers.buildings["building_id"].tolist() == ["b3"]
    # the sewer p1 runs x=50..350 at y=50: its piece in C is x=300..350
    assert sub_layers.pipes["pipe_id"].tolist() == ["p1"]
    assert sub_layers.pipes.geometry.length.tolist() == pytest.approx([50])
    assert sub_layers.pipes.total_bounds.tolist() == pytest.approx(
        [X0 + 300, Y0 + 50, X0 + 350, Y0 + 50])
    assert sub_layers.facilities.empty and sub_layers.structures.empty
    pieces = sub_scope.assignment.pipe_pieces.set_index("community_id")["length_m"]
    assert pieces.to_dict() == pytest.approx({"C": 50})  # counted only in C
    # C stands alone (its gap to B is 100 m > 50 m): zone Z002 of one community; the
    # outline is left out so that the map opens on the community
    assert sub_zones.membership.to_dict() == {"C": "Z002"}
    assert sub_zones.outlines.empty
    city = sub_scope.table[sub_scope.table["level"] == "city"].set_index("item")["quantity"]
    assert (city["households"], city["buildings"], city["pipe:sewer:300"]) == (16, 1, 50)
    assert set(sub_scope.table["level"]) == {"community", "zone", "city"}


def test_subset_leaves_the_plan_alone(mini):
    layers, scope, zones = mini
    before = (len(layers.buildings), len(scope.table), len(zones.membership))
    community_subset(layers, scope, zones, "A")
    assert (len(layers.buildings), len(scope.table), len(zones.membership)) == before


def test_page_title_names_the_community_escaped(mini):
    layers, scope, zones = mini
    page = build_community_map(layers, scope, zones, "C")
    assert EVIL not in page.html
    assert "测试计划 · &lt;img src=x onerror=alert(1)&gt;（一区一案）" in page.html
    assert re.search(r"户数\s*(<[^>]+>\s*)*16\b", page.html)


def test_community_map_holds_only_that_community(mini: tuple) -> None:
    from gisplan.outputs.webmap.community import build_community_map

    layers, scope, zones = mini
    page = build_community_map(layers, scope, zones, "B")
    assert page.stats["features"]["communities"] == 1
    # b2 straddles A|B and counts in B; b1 is A's, b3 C's, b4 nobody's
    assert page.stats["features"]["buildings"] == 1
    assert "乙社区（一区一案）" in page.html
    # the title bar shows B's own households (24), not the city's (78)
    assert re.search(r"户数\s*(<[^>]+>\s*)*24\b", page.html)



@pytest.mark.parametrize(("community", "expected"), [
    # window: the box grown by 150 m. A (0..100) sees all of B; C (300..400) sees B's
    # x=150..200 strip; B (100..200) sees all of A and C's x=300..350 strip.
    ("A", {"乙社区": 10_000.0}),
    ("C", {"乙社区": 5_000.0}),
    ("B", {"甲社区": 10_000.0, EVIL: 5_000.0}),
])
def test_neighbours_by_hand(mini, community, expected):
    from gisplan.outputs.webmap.community import neighbours

    layers, _scope, _zones = mini
    near = neighbours(layers.communities, community)
    assert community not in set(near["community_id"])
    assert dict(zip(near["name"], near.geometry.area.round(6), strict=True)) == expected


def test_package_map_names_its_neighbours_as_context_only(mini):
    import json

    layers, scope, zones = mini
    page = build_community_map(layers, scope, zones, "B")
    data = json.loads(re.search(r'id="gisplan-data">(.*?)</script>',
                                page.html, re.S).group(1).replace("\\u003c", "<"))
    assert data["context"]["n"] == 2
    assert data["context"]["cols"]["name"] is not None
    # context neither counts nor frames the map: B alone is a community of this page
    assert page.stats["features"]["communities"] == 1
    assert data["layers"]["communities"]["n"] == 1
    assert EVIL not in page.html  # the neighbour C's name is escaped like any other text
