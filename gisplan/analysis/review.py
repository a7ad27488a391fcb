"""Site-plan review (选址审查) of proposed facilities, for the natural resources bureau.

A *proposal* layer lists planned new or moved facilities (EV chargers, bike
sheds, parking bays, pavilions, garbage points, fitness areas...) with
``facility_id``, ``item``, ``community_id`` (the community it is planned
for) and a point or polygon. :func:`review_proposals` checks every proposal
against every rule that applies to it and keeps one row per (rule, proposal),
passes included, so that a reader sees what was checked. Thresholds come
from a rules file (:func:`~gisplan.inputs.proposals.load_rules`; defaults in
``gisplan/plan/data/review_rules.toml``). ``measured`` is rounded to the
millimetre (3 decimals) and the verdict is taken on the rounded value, so
every row reads consistently.

=========================  ==========================================  ========  ===========
rule                       measured                                    limit     passes when
=========================  ==========================================  ========  ===========
``inside_community``       polygon: its area outside the community it  0         measured <=
                           claims (m²); point: its distance outside
                           it (m)
``building_overlap``       polygon: its area on building footprints    0         measured <=
                           (m²); point: footprints it lies in or on
``proposal_overlap``       the same against the other proposals        0         measured <=
``illegal_structure``      the same against *confirmed* illegal        0         measured <=
                           structures (违建)
``building_setback``       distance to the nearest building wall (m)   3.0       measured >=
``pipe_setback_<net>``     distance to the nearest pipe of network     per net   measured >=
                           ``<net>`` (all actions; one row per network
                           present in the plan)
``fire_lane_clear_width``  clear width left in the fire lane the       4.0       measured >=,
                           proposal narrows most (m); see                        or no
                           :func:`fire_lane_clearance`                           intrusion
=========================  ==========================================  ========  ===========

The review also lists the demolition ledger (违建台账, :func:`demolition_ledger`)
and any reviewer markup read back with :func:`read_markup`. Files are
written by :mod:`gisplan.outputs.pages.review`.

All geometry work is vectorised: candidate pairs come from shapely's STRtree
(``query(..., predicate="dwithin")``, ``query_nearest``), measures from
``shapely.distance``/``area``/``intersection`` on whole arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.inputs.proposals import Rules
from gisplan.inputs.spatial import largest_share
from gisplan.inputs.validation import Layers
from gisplan.plan.catalogue import read_data

DECIMALS = 3
EPS = 10.0 ** -DECIMALS / 2
FINDING_COLUMNS = ["rule", "feature_id", "measured", "limit", "passed", "message"]
EXTRA_COLUMNS = ["rule_zh", "unit", "item", "community_id", "related_ids", "x", "y", "lon",
                 "lat"]
__all__ = [
    "CONCLUSIONS",
    "EXTRA_COLUMNS",
    "FINDING_COLUMNS",
    "Review",
    "Rules",
    "conclusions",
    "demolition_ledger",
    "fire_lane_clearance",
    "locate_points",
    "review_proposals",
    "rule_family",
    "rule_labels",
]
RULES_ZH = {"inside_community": "位于所属小区范围内", "building_overlap": "不压占建筑",
            "proposal_overlap": "不与其他拟建设施重叠", "illegal_structure": "不选址于已认定违建",
            "building_setback": "建筑退让距离", "pipe_setback": "管线退让距离",
            "fire_lane_clear_width": "消防车道净宽"}


# -- rules -----------------------------------------------------------------------------------

def _ids_by(pos: np.ndarray, ids: np.ndarray, n: int) -> np.ndarray:
    """For each of ``n`` positions, the sorted distinct ``ids`` paired with it, comma-joined."""
    out = np.full(n, "", dtype=object)
    if len(pos):
        joined = (pd.DataFrame({"p": pos, "id": ids.astype(str)}).drop_duplicates()
                  .sort_values(["p", "id"]).groupby("p")["id"].agg(",".join))
        out[joined.index.to_numpy()] = joined.to_numpy()
    return out


def _frame(rule: str, measured: np.ndarray, limit: float, unit: np.ndarray | str,
           passed: np.ndarray, message: list[str], related: np.ndarray) -> pd.DataFrame:
    n = len(measured)
    return pd.DataFrame({"pos": np.arange(n), "rule": rule, "measured": measured,
                         "limit": float(limit), "passed": passed.astype(bool),
                         "message": message, "unit": np.broadcast_to(unit, n),
                         "related_ids": related})


def _overlap(rule: str, props: np.ndarray, others: np.ndarray, other_ids: np.ndarray, what: str,
             *, skip_self: bool = False) -> pd.DataFrame:
    """Area on ``others`` (polygons) or how many of them a point lies in (points)."""
    n = len(props)
    poly = shapely.get_dimensions(props) == 2
    left, right = shapely.STRtree(others).query(props, predicate="intersects")
    if skip_self:
        left, right = left[left != right], right[left != right]
    area = shapely.area(shapely.intersection(props[left], others[right]))
    hit = np.where(poly[left], area > EPS, True)
    weight = np.where(poly[left], area, 1.0)[hit]
    measured = np.round(np.bincount(left[hit], weights=weight, minlength=n), DECIMALS)
    related = _ids_by(left[hit], other_ids[right[hit]], n)
    passed = measured <= 0
    unit = np.where(poly, "m²", "features")
    message = [f"clear of {what}" if ok else
               (f"covers {m:g} m² of {what} {r}" if p else f"lies in or on {what} {r}")
               for ok, m, p, r in zip(passed, measured, poly, related, strict=True)]
    return _frame(rule, measured, 0.0, unit, passed, message, related)


def _setback(rule: str, props: np.ndarray, targets: np.ndarray, target_ids: np.ndarray,
             limit: float, what: str) -> pd.DataFrame:
    """Distance to the nearest target, and every target closer than ``limit``."""
    n = len(props)
    tree = shapely.STRtree(targets)
    (pi, ti), dist = tree.query_nearest(props, return_distance=True, all_matches=False)
    measured = np.full(n, np.nan)
    measured[pi] = np.round(dist, DECIMALS)
    left, right = tree.query(props, predicate="dwithin", distance=limit)
    close = np.round(shapely.distance(props[left], targets[right]), DECIMALS) < limit
    related = _ids_by(left[close], target_ids[right[close]], n)
    nearest = np.full(n, "", dtype=object)
    nearest[pi] = target_ids[ti].astype(str)
    passed = measured >= limit
    message = [f"{m:.3f} m from the nearest {what} ({near}); at least {limit:g} m required"
               + ("" if ok else f"; too close: {r}") for m, near, ok, r in
               zip(measured, nearest, passed, related, strict=True)]
    return _frame(rule, measured, limit, "m", passed, message, related)


def fire_lane_clearance(props: np.ndarray, lanes: np.ndarray, widths: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clear width each proposal leaves in the fire lane it narrows most.

    A lane is a centreline with a designated width ``w``; its corridor is
    the centreline buffered by ``w/2`` with flat ends. For a proposal that
    enters the corridor, the part inside is measured against the corridor's
    two edges (the centreline offset by ``+w/2`` and ``-w/2``); the *clear
    width* is the larger of the two gaps, i.e. the widest free strip left
    beside the proposal, and the *intrusion* is ``w - clear``. A proposal
    whose inner edge lies ``d`` metres short of the centreline leaves
    ``w/2 + d``; one on the centreline leaves ``w/2``; one that only
    touches the corridor edge leaves ``w``.

    Returns
    -------
    clear : ndarray of float
        Per proposal, the least clear width over the lanes it enters; NaN
        where it enters none.
    width : ndarray of float
        That lane's designated width (NaN where none).
    lane : ndarray of int
        That lane's position (-1 where none).
    """
    n = len(props)
    half = np.asarray(widths, dtype=float) / 2
    corridors = shapely.buffer(lanes, half, cap_style="flat")
    left, right = shapely.STRtree(corridors).query(props, predicate="intersects")
    inside = shapely.intersection(props[left], corridors[right])
    gap_a = shapely.distance(inside, shapely.offset_curve(lanes[right], half[right]))
    gap_b = shapely.distance(inside, shapely.offset_curve(lanes[right], -half[right]))
    clear = np.minimum(np.maximum(gap_a, gap_b), 2 * half[right])
    order = np.lexsort((clear, left))
    first = order[np.r_[True, left[order][1:] != left[order][:-1]]] if len(order) else order
    out = np.full(n, np.nan)
    width = np.full(n, np.nan)
    lane = np.full(n, -1)
    out[left[first]] = clear[first]
    width[left[first]] = 2 * half[right[first]]
    lane[left[first]] = right[first]
    return out, width, lane


def _fire_lanes(props: np.ndarray, fire_lanes: gpd.GeoDataFrame, limit: float) -> pd.DataFrame:
    clear, width, lane = fire_lane_clearance(props, np.asarray(fire_lanes.geometry.array),
                                             fire_lanes["width_m"].to_numpy(dtype=float))
    measured = np.round(clear, DECIMALS)
    ids = fire_lanes["lane_id"].to_numpy(dtype=object)
    related = np.where(lane >= 0, ids[lane], "").astype(object)
    intrudes = measured < np.round(width, DECIMALS)
    passed = ~intrudes | (measured >= limit)
    message = [
        "does not enter any fire-lane corridor" if np.isnan(m) else
        f"touches fire lane {r} ({w:g} m) without narrowing it" if not i else
        f"leaves {m:.3f} m clear of fire lane {r} ({w:g} m wide, {w - m:.3f} m taken); "
        f"at least {limit:g} m required" for m, w, r, i in
        zip(measured, width, related, intrudes, strict=True)]
    return _frame("fire_lane_clear_width", measured, limit, "m", passed, message, related)


def _inside(props: np.ndarray, claimed: np.ndarray, cids: np.ndarray) -> pd.DataFrame:
    poly = shapely.get_dimensions(props) == 2
    measured = np.round(np.where(poly, shapely.area(shapely.difference(props, claimed)),
                                 shapely.distance(props, claimed)), DECIMALS)
    passed = measured <= 0
    message = [f"inside its community {c}" if ok else
               f"{m:g} {'m² of it lie' if p else 'm'} outside its community {c}"
               for ok, m, p, c in zip(passed, measured, poly, cids, strict=True)]
    return _frame("inside_community", measured, 0.0, np.where(poly, "m²", "m"), passed, message,
                  cids.astype(object))


#: A proposal's conclusion: passes every rule, needs changes, or is refused.
CONCLUSIONS = ("pass", "revise", "reject")


def rule_labels() -> pd.DataFrame:
    """``gisplan/plan/data/review_rule_labels.csv`` by rule: Chinese name, what failing it
    means for the proposal (``revise`` or ``reject``), the requirement and its source."""
    return read_data("review_rule_labels.csv").set_index("rule")


def rule_family(rules: pd.Series) -> pd.Series:
    """``pipe_setback_gas`` -> ``pipe_setback``; other rules are their own family."""
    return rules.astype(str).str.replace(r"^pipe_setback_.*$", "pipe_setback", regex=True)


def conclusions(findings: pd.DataFrame, ids: pd.Series) -> pd.Series:
    """Per proposal id in ``ids``: ``reject`` if it fails a rule whose failure refuses it,
    else ``revise`` if it fails any rule, else ``pass``.

    Examples
    --------
    >>> f = pd.DataFrame({"feature_id": ["a", "a", "b", "c"], "passed": [True, False, False,
    ...                   True], "rule": ["inside_community", "building_setback",
    ...                   "fire_lane_clear_width", "pipe_setback_gas"]})
    >>> conclusions(f, pd.Series(["a", "b", "c"])).tolist()
    ['revise', 'reject', 'pass']
    """
    failed = findings[~findings["passed"].astype(bool)]
    severity = rule_family(failed["rule"]).map(rule_labels()["on_fail"]).fillna("revise")
    worst = (severity == "reject").groupby(failed["feature_id"].to_numpy()).any()
    out = pd.Series("pass", index=ids.index, dtype=object)
    hit = ids.map(worst)
    out[hit.notna().to_numpy()] = "revise"
    out[(hit == True).to_numpy()] = "reject"  # noqa: E712  (NaN for the ones that passed)
    return out


@dataclass(frozen=True)
class Review:
    """Everything :func:`review_proposals` found.

    Attributes
    ----------
    findings : DataFrame
        One row per (rule, proposal): ``FINDING_COLUMNS`` then ``EXTRA_COLUMNS``
        (``x``/``y`` in the working CRS and ``lon``/``lat`` of a point on the
        proposal, to locate the finding).
    proposals : GeoDataFrame
        The proposals (working CRS) with ``passed``, ``failed_rules`` and
        ``conclusion`` (:data:`CONCLUSIONS`).
    ledger : DataFrame
        The demolition ledger (:func:`demolition_ledger`).
    markup : GeoDataFrame or None
        Reviewer markup read back (:func:`read_markup`), working CRS.
    rules : Rules
    plan_name, crs : str
    inputs : dict
        File names of the proposal, fire lanes and markup.
    """

    findings: pd.DataFrame
    proposals: gpd.GeoDataFrame
    ledger: pd.DataFrame
    markup: gpd.GeoDataFrame | None
    rules: Rules
    plan_name: str
    crs: str
    inputs: dict[str, str] = field(default_factory=dict)


def locate_points(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """A point on each feature: ``x``, ``y`` (its CRS) and ``lon``, ``lat`` (EPSG:4326)."""
    pts = gpd.GeoSeries(shapely.point_on_surface(np.asarray(gdf.geometry.array)),
                        index=gdf.index, crs=gdf.crs)
    wgs = pts.to_crs("EPSG:4326")
    return pd.DataFrame({"x": pts.x.round(3), "y": pts.y.round(3), "lon": wgs.x.round(7),
                         "lat": wgs.y.round(7)}, index=gdf.index)


def demolition_ledger(layers: Layers) -> pd.DataFrame:
    """违建台账: structures still standing (not ``demolished``) inside a community.

    Every community of the plan is being renovated, so every structure that
    lies (by largest share) in one of them and is ``identified`` or
    ``confirmed`` is listed with its area, ordered by community and id.
    Structures in no community are not listed.
    """
    st, com = layers.structures, layers.communities
    cols = ["structure_id", "kind", "status", "community_id", "community_name", "street",
            "area_m2", "x", "y", "lon", "lat"]
    home = largest_share(np.asarray(st.geometry.array), np.asarray(com.geometry.array))
    keep = (home >= 0) & (st["status"] != "demolished").to_numpy()
    if not keep.any():
        return pd.DataFrame(columns=cols)
    rows, where = st[keep], com.iloc[home[keep]]
    out = pd.DataFrame({"structure_id": rows["structure_id"].to_numpy(dtype=object),
                        "kind": rows["kind"].to_numpy(dtype=object),
                        "status": rows["status"].to_numpy(dtype=object),
                        "community_id": where["community_id"].to_numpy(dtype=object),
                        "community_name": where["name"].to_numpy(dtype=object),
                        "street": where["street"].to_numpy(dtype=object),
                        "area_m2": rows.geometry.area.round(3).to_numpy()})
    out = pd.concat([out, locate_points(rows).reset_index(drop=True)], axis=1)
    return out.sort_values(["community_id", "structure_id"], kind="stable").reset_index(drop=True)


def review_proposals(layers: Layers, proposals: gpd.GeoDataFrame, *, rules: Rules,
                     fire_lanes: gpd.GeoDataFrame | None = None,
                     markup: gpd.GeoDataFrame | None = None,
                     inputs: dict[str, str] | None = None) -> Review:
    """Check every proposal against every rule.

    Parameters
    ----------
    layers : Layers
        The plan's validated layers.
    proposals : GeoDataFrame
        Checked proposals in the plan's CRS (:func:`gisplan.inputs.proposals.read_proposal`).
    rules : Rules, keyword-only
    fire_lanes : GeoDataFrame, optional, keyword-only
        ``lane_id``, ``width_m`` and centrelines in the plan's CRS.
    markup : GeoDataFrame, optional, keyword-only
        Reviewer markup to list with the findings.
    inputs : dict, optional, keyword-only
        File names to record in the report.

    Returns
    -------
    Review
    """
    props = np.asarray(proposals.geometry.array)
    ids = proposals["facility_id"].to_numpy(dtype=object)
    com = layers.communities
    cids = proposals["community_id"].to_numpy(dtype=object)
    claimed = np.asarray(com.geometry.array)[
        pd.Index(com["community_id"]).get_indexer(cids)]
    b, st = layers.buildings, layers.structures
    parts = [_inside(props, claimed, cids),
             _overlap("building_overlap", props, np.asarray(b.geometry.array),
                      b["building_id"].to_numpy(dtype=object), "building footprint"),
             _overlap("proposal_overlap", props, props, ids, "proposal", skip_self=True)]
    confirmed = st[st["status"] == "confirmed"]
    parts.append(_overlap("illegal_structure", props, np.asarray(confirmed.geometry.array),
                          confirmed["structure_id"].to_numpy(dtype=object),
                          "confirmed illegal structure"))
    if len(b):
        parts.append(_setback("building_setback", props, np.asarray(b.geometry.array),
                              b["building_id"].to_numpy(dtype=object),
                              rules.building_setback_m, "building wall"))
    pipes = layers.pipes
    for net, limit in rules.pipe_setback_m.items():
        sub = pipes[pipes["network"] == net]
        if len(sub):
            parts.append(_setback(f"pipe_setback_{net}", props, np.asarray(sub.geometry.array),
                                  sub["pipe_id"].to_numpy(dtype=object), limit, f"{net} pipe"))
    if fire_lanes is not None and len(fire_lanes):
        parts.append(_fire_lanes(props, fire_lanes, rules.fire_lane_min_clear_width_m))

    rows = pd.concat(parts, ignore_index=True)
    rows = rows.sort_values("pos", kind="stable").reset_index(drop=True)
    where = locate_points(proposals).reset_index(drop=True)
    pos = rows.pop("pos").to_numpy()
    rows["feature_id"] = ids[pos]
    rows["item"] = proposals["item"].to_numpy(dtype=object)[pos]
    rows["community_id"] = cids[pos]
    rows["rule_zh"] = rows["rule"].map(lambda r: RULES_ZH.get(r) or RULES_ZH["pipe_setback"])
    rows = pd.concat([rows, where.iloc[pos].reset_index(drop=True)], axis=1)
    findings = rows[FINDING_COLUMNS + EXTRA_COLUMNS]

    failed = findings[~findings["passed"]].groupby("feature_id", sort=False)["rule"].agg(",".join)
    verdict = proposals.copy()
    verdict["failed_rules"] = verdict["facility_id"].map(failed).fillna("").astype(object)
    verdict["passed"] = verdict["failed_rules"] == ""
    verdict["conclusion"] = conclusions(findings, verdict["facility_id"])
    verdict["item_zh"] = verdict["item"].map(layers.catalogue["name_zh"].astype(object)).fillna(
        verdict["item"]).astype(object)
    verdict["community_name"] = verdict["community_id"].map(
        com.set_index("community_id")["name"].astype(object)).fillna("").astype(object)
    return Review(findings=findings, proposals=verdict, ledger=demolition_ledger(layers),
                  markup=markup, rules=rules, plan_name=layers.plan.name, crs=layers.plan.crs,
                  inputs=dict(inputs or {}))
