"""The review page's map (选址审查地图) and the reviewer's drawing tool.

:func:`review_map` gives the ``map_html`` hook of
:func:`gisplan.outputs.pages.review.write_review`: an HTML fragment holding an
offline Leaflet map (Leaflet and leaflet-draw inlined by
:mod:`gisplan.outputs.webmap.assets`) with

- every proposal, green when it passes every rule and red when it fails one,
  its popup listing each failing rule with its message;
- the demolition ledger's structures (违建台账), reviewer markup read with
  ``--markup`` (with its comments) and the context: community boundaries,
  buildings, pipes by network and the fire lanes;
- rows of the findings, ledger and markup tables linked to the map (a click
  pans to the feature and opens its popup);
- a drawing tool (marker, polygon, polyline): each new mark asks for the
  reviewer, a comment and a status in a small form; "导出标注 export markup"
  downloads every mark as ``markup.geojson`` (EPSG:4326, properties
  ``mark_id``, ``reviewer``, ``time`` (ISO 8601), ``comment``, ``status``),
  which ``gisplan review ... --markup markup.geojson`` reads back
  (:func:`gisplan.inputs.proposals.read_markup`).

Context layers larger than ``max_context`` features keep only the features
within ``near_m`` of a proposal or mark, so the page stays small for a city.

Examples
--------
>>> write_review(review, out, map_html=review_map(layers))            # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.analysis.review import Review
from gisplan.inputs.validation import Layers
from gisplan.outputs.pages.kit import bounds, feature_collection, json_element, page_assets, records
from gisplan.outputs.pages.review import MapHtml
from gisplan.outputs.webmap.assets import DRAW_ASSETS
from gisplan.outputs.webmap.styles import network_styles

DATA_ID = "gisplan-review-data"
STATUSES = ("open", "resolved")


def _near(frame: gpd.GeoDataFrame, anchors: np.ndarray, *, max_features: int,
          near_m: float) -> gpd.GeoDataFrame:
    """``frame``, or only its features within ``near_m`` of ``anchors`` if it is too large."""
    if len(frame) <= max_features:
        return frame
    if not len(anchors):
        return frame.iloc[:0]
    hit = shapely.STRtree(np.asarray(frame.geometry.array)).query(
        anchors, predicate="dwithin", distance=near_m)[1]
    return frame.iloc[np.unique(hit)]


#: What the map shows of each failed check.
FAILED_COLUMNS = ["rule", "rule_zh", "measured", "limit", "unit", "message"]


def _proposals(review: Review, layers: Layers) -> dict[str, Any]:
    p = review.proposals.reset_index(drop=True)
    f = review.findings
    ok = f["passed"].to_numpy(dtype=bool)
    failed_by: dict[object, list] = {}
    passed_by: dict[object, list] = {}
    # NaN (no fire lane entered) is not JSON: records() makes it null.
    for fid, row in zip(f["feature_id"][~ok], records(f.loc[~ok, FAILED_COLUMNS]), strict=True):
        failed_by.setdefault(fid, []).append(row)
    for fid, rule in zip(f["feature_id"][ok], f["rule"][ok], strict=True):
        passed_by.setdefault(fid, []).append(rule)
    failed = [failed_by.get(fid, []) for fid in p["facility_id"]]
    passed = [passed_by.get(fid, []) for fid in p["facility_id"]]
    names = layers.catalogue["name_zh"]
    com = layers.communities.set_index("community_id")["name"]
    props = pd.DataFrame({
        "facility_id": p["facility_id"], "item": p["item"],
        "item_zh": p["item"].map(names), "community_id": p["community_id"],
        "community_name": p["community_id"].map(com), "passed": p["passed"].astype(bool)})
    fc = feature_collection(p, props)
    for feature, bad, good in zip(fc["features"], failed, passed, strict=True):
        feature["properties"]["failed"] = bad
        feature["properties"]["passed_rules"] = good
    return fc


def review_map_data(review: Review, layers: Layers, *,
                    fire_lanes: gpd.GeoDataFrame | None = None, max_context: int = 50_000,
                    near_m: float = 300.0) -> dict[str, Any]:
    """The page's data: GeoJSON layers (EPSG:4326), network colours, statuses and bounds."""
    anchors = [np.asarray(review.proposals.geometry.array)]
    if review.markup is not None:
        anchors.append(np.asarray(review.markup.geometry.array))
    near = np.concatenate(anchors)

    def context(frame: gpd.GeoDataFrame, cols: list[str]) -> dict[str, Any]:
        sub = _near(frame, near, max_features=max_context, near_m=near_m)
        return feature_collection(sub, [c for c in cols if c in sub])

    st = layers.structures
    ledger = st[st["structure_id"].isin(review.ledger["structure_id"])][["structure_id",
                                                                        "geometry"]]
    ledger = ledger.merge(review.ledger.drop(columns=["x", "y", "lon", "lat"]),
                          on="structure_id", how="left")
    markup = review.markup
    if markup is None:
        markup = gpd.GeoDataFrame({c: [] for c in ("mark_id", "reviewer", "time", "comment",
                                                   "status")}, geometry=[], crs=layers.plan.crs)
    statuses = list(dict.fromkeys([*STATUSES, *markup["status"].dropna().astype(str)]))
    data: dict[str, Any] = {
        "plan": review.plan_name, "statuses": statuses,
        "nets": {k: v for k, v in network_styles().items()
                 if (layers.pipes["network"] == k).any()},
        "layers": {
            "communities": context(layers.communities,
                                   ["community_id", "name", "street", "renovation_type"]),
            "buildings": context(layers.buildings, ["building_id", "floors", "households"]),
            "pipes": context(layers.pipes, ["pipe_id", "network", "diameter_mm", "action"]),
            "fire_lanes": (None if fire_lanes is None or not len(fire_lanes)
                           else feature_collection(fire_lanes, ["lane_id", "width_m"])),
            "ledger": feature_collection(ledger, [c for c in ledger.columns
                                                  if c != "geometry"]),
            "proposals": _proposals(review, layers),
            "markup": feature_collection(markup, ["mark_id", "reviewer", "time", "comment",
                                                  "status"]),
        },
        # open on what is reviewed: the proposals (and marks), not the city-wide ledger
        "bounds": bounds(review.proposals, markup) or bounds(ledger)
        or bounds(layers.communities),
    }
    return data


def review_map_html(review: Review, layers: Layers, *,
                    fire_lanes: gpd.GeoDataFrame | None = None, offline: bool = True,
                    max_context: int = 50_000, near_m: float = 300.0) -> str:
    """The map fragment for ``<section id="map">`` of ``review.html``."""
    data = review_map_data(review, layers, fire_lanes=fire_lanes, max_context=max_context,
                           near_m=near_m)
    return (f"{page_assets(DRAW_ASSETS, 'review.js', offline=offline)}\n"
            "<h2>审查地图 review map</h2>\n"
            '<p class="gp-note">点击表格中的行可在地图上定位；用左侧工具标注问题，'
            "填写审查人、意见和状态后“导出标注”，下次审查用 --markup 读入。 "
            "Click a table row to find it on the "
            "map; draw a mark with the tools on the left, fill in reviewer, comment and status, "
            "then export the markup for the next review (--markup).</p>\n"
            '<div id="gp-review-map" class="gp-map"></div>\n'
            f"{json_element(DATA_ID, data)}\n"
            "<script>GisplanReview.init('gp-review-map', JSON.parse("
            f"document.getElementById('{DATA_ID}').textContent));</script>")


def review_map(layers: Layers, *, fire_lanes: gpd.GeoDataFrame | None = None,
               offline: bool = True, max_context: int = 50_000,
               near_m: float = 300.0) -> MapHtml:
    """The ``map_html`` hook of :func:`gisplan.outputs.pages.review.write_review` for ``layers``.

    Raises (when called)
    --------------------
    GisplanError
        Offline, and the npm packages are missing or not the pinned versions.
    """

    def fragment(review: Review) -> str:
        return review_map_html(review, layers, fire_lanes=fire_lanes, offline=offline,
                               max_context=max_context, near_m=near_m)

    return fragment
