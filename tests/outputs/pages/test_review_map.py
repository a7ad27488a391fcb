"""The review page's map, checked without a browser: offline, complete, escaped.

Browser behaviour (row clicks, drawing, export) is in test_pages_browser.py.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from plans import MARKUP, point, proposal_frame, review_plan_layers, write_plan

from gisplan.analysis.review import review_proposals
from gisplan.inputs.proposals import load_rules, read_markup, read_proposal
from gisplan.inputs.validation import load_layers
from gisplan.outputs.pages.review import review_html
from gisplan.outputs.pages.review_map import review_map, review_map_data

EVIL = "<img src=x onerror=alert(1)>"


class _Refs(HTMLParser):
    """Every URL the browser would fetch on its own."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.refs += [v or "" for k, v in attrs if k in ("src", "href", "srcset", "data")
                      and tag != "a"]


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("review_map")
    layers = review_plan_layers()
    layers["communities"].loc[2, "name"] = EVIL
    loaded = load_layers(write_plan(root / "plan", layers))
    proposal_frame().to_file(root / "proposal.geojson", engine="pyogrio")
    marks = json.loads(json.dumps(MARKUP))
    marks["features"][1]["properties"]["comment"] = EVIL
    (root / "markup.geojson").write_text(json.dumps(marks, ensure_ascii=False), encoding="utf-8")
    review = review_proposals(loaded, read_proposal(root / "proposal.geojson", loaded),
                              rules=load_rules(),
                              markup=read_markup(root / "markup.geojson", loaded))
    return loaded, review


def _data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="gisplan-review-data">(.*?)</script>',
                  page, re.S)
    assert m
    return json.loads(m.group(1))


def test_map_holds_every_finding_and_layer(plan) -> None:
    layers, review = plan
    data = review_map_data(review, layers)
    props = {f["properties"]["facility_id"]: f["properties"]
             for f in data["layers"]["proposals"]["features"]}
    assert set(props) == set(review.proposals["facility_id"])
    f = review.findings
    for fid, p in props.items():
        mine = f[f["feature_id"] == fid]
        assert [r["rule"] for r in p["failed"]] == mine.loc[~mine["passed"], "rule"].tolist()
        assert p["passed_rules"] == mine.loc[mine["passed"], "rule"].tolist()
        assert p["passed"] == (not p["failed"])
    assert props["charger"]["failed"][0]["message"].startswith("2.000 m from the nearest")
    assert (props["charger"]["item_zh"], props["charger"]["community_name"]) == ("充电桩",
                                                                               "甲社区")
    counts = {k: len(v["features"]) for k, v in data["layers"].items() if v}
    assert counts == {"communities": 3, "buildings": 4, "pipes": 4, "ledger": 2,
                      "proposals": 14, "markup": 2}
    assert [f["properties"]["structure_id"] for f in data["layers"]["ledger"]["features"]] == [
        "s1", "s3"]
    assert set(data["nets"]) == {"water", "sewer", "heating", "gas"}
    assert data["statuses"] == ["open", "resolved"]
    lon, lat = data["layers"]["markup"]["features"][0]["geometry"]["coordinates"]
    assert (lon, lat) == pytest.approx((130.3588, 42.8596))
    (s, w), (n, e) = data["bounds"]
    assert s < n and w < e


def test_fragment_is_offline_and_escaped(plan) -> None:
    layers, review = plan
    page = review_html(review, map_html=review_map(layers))
    refs = _Refs()
    refs.feed(page)
    assert refs.refs == []
    for lib in ("leaflet dist/leaflet.js", "leaflet-draw dist/leaflet.draw.js"):
        assert f"/* {lib}" in page
    assert not re.search(r"url\((?!\s*['\"]?(data:|#))", "".join(
        re.findall(r"<style>(.*?)</style>", page, re.S)))
    assert EVIL not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    data = _data(page)  # the JSON holds it intact, for esc() in the browser
    assert data["layers"]["markup"]["features"][1]["properties"]["comment"] == EVIL
    assert data["layers"]["communities"]["features"][2]["properties"]["name"] == EVIL
    # Table rows link to the map.
    assert 'data-map="proposal:charger"' in page and 'data-map="structure:s1"' in page
    assert 'data-map="mark:M2"' in page


def test_large_context_keeps_what_is_near(plan) -> None:
    layers, review = plan
    sub = review.proposals[review.proposals["facility_id"] == "charger"]
    small = type(review)(**{**review.__dict__, "proposals": sub, "markup": None})
    data = review_map_data(small, layers, max_context=1, near_m=5.0)
    ids = [f["properties"]["building_id"] for f in data["layers"]["buildings"]["features"]]
    assert ids == ["b1"]           # the charger is 2 m from b1, far from the rest
    assert len(data["layers"]["communities"]["features"]) == 1
    assert point(40, 8).distance(layers.buildings.geometry[0]) == pytest.approx(2.0)
