"""access.html from the mini access plan: data for the map, the tables, escaping, offline."""

from __future__ import annotations

import json
import re

import pytest
from plans import access_layers, mini_layers, write_access_plan

from gisplan.analysis.access import compute_access
from gisplan.inputs.validation import load_layers
from gisplan.outputs.pages.access import DATA_ID, access_html, access_map_data, gap_table

EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    layers = {**mini_layers(), **access_layers()}
    layers["communities"].loc[2, "name"] = EVIL
    loaded = load_layers(write_access_plan(tmp_path_factory.mktemp("page") / "plan",
                                           layers=layers))
    return loaded, compute_access(loaded)


def test_map_data_carries_each_building_s_walk_per_kind(plan):
    layers, access = plan
    data = access_map_data(access, layers)
    assert [k["kind"] for k in data["kinds"]] == ["kindergarten", "market"]
    props = {f["properties"]["building_id"]: f["properties"]
             for f in data["layers"]["buildings"]["features"]}
    assert props["b3"]["walk"] == [305.0, 165.0] and props["b3"]["service"] == ["k1", "m1"]
    shares = {f["properties"]["community_id"]: f["properties"]["share"]
              for f in data["layers"]["communities"]["features"]}
    assert shares == {"A": [1.0, 1.0], "B": [1.0, 1.0], "C": [0.0, 1.0]}
    snapped = {f["properties"]["service_id"]: f["properties"]["snapped"]
               for f in data["layers"]["services"]["features"]}
    assert snapped == {"k1": True, "k2": False, "m1": True}
    lon, lat = data["layers"]["roads"]["features"][0]["geometry"]["coordinates"][0]
    assert 129 < lon < 131 and 42 < lat < 44  # EPSG:4326


def test_gaps_per_kind_and_community_largest_first(plan):
    _, access = plan
    html, n = gap_table(access)
    assert n == 2
    rows = re.findall(r'<tr data-map="([^"]+)">(.*?)</tr>', html)
    assert [ref for ref, _ in rows] == ["kindergarten:C", "kindergarten:unassigned"]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", rows[0][1])
    assert cells[2:5] == ["16", "1", "0"] and cells[-1] == "b3"


def test_page_is_escaped_and_offline(plan):
    layers, access = plan
    page = access_html(access, layers, plan_name="计划 <b>")
    assert EVIL not in page and "计划 &lt;b&gt;" in page
    assert not re.search(r'<(script|link|img)[^>]*(src|href)="https?://', page)
    data = re.search(f'<script type="application/json" id="{DATA_ID}">(.*?)</script>', page, re.S)
    assert EVIL in json.loads(data.group(1))["layers"]["communities"]["features"][2][
        "properties"]["name"]
