"""Walking access to services: which households reach each kind of service on foot.

For every building and every kind of service the plan has, the walk to the
nearest service of that kind along the walkable roads (see
:mod:`gisplan.analysis.walknet` for how a walk is measured), and whether it is
within the kind's walking distance (GB 50180-2018 life circles, from
``gisplan/plan/data/service_standards.csv``, or ``[access] max_walk_m``).
Households within are summed per community, street and the city.

Examples
--------
>>> from gisplan.inputs.validation import load_layers
>>> access = compute_access(load_layers("layers/hunchun2020"))
>>> list(access.table.columns)
['building_id', 'community_id', 'kind', 'service_id', 'walk_m', 'within']
>>> city = access.coverage.query("level == 'city'").set_index("kind")
>>> int(city.loc["kindergarten", "households"])
5054
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from gisplan.analysis.walknet import (
    Ends,
    Graph,
    Network,
    Snapped,
    anchored_graph,
    build_network,
    nearest_anchor,
    origin_ends,
    snap_points,
)
from gisplan.errors import GisplanError
from gisplan.inputs.assign import building_homes
from gisplan.inputs.problems import Report
from gisplan.inputs.schema import locate
from gisplan.inputs.validation import UNASSIGNED, Layers
from gisplan.plan.access import load_service_standards

__all__ = ["ACCESS_COLUMNS", "COVERAGE_COLUMNS", "Access", "WalkContext", "compute_access",
           "walk_context"]

ACCESS_COLUMNS = ["building_id", "community_id", "kind", "service_id", "walk_m", "within"]
COVERAGE_COLUMNS = ["level", "area_id", "kind", "households", "households_within",
                    "share_within", "max_walk_m", "area_name", "kind_zh"]
COVERAGE_LEVELS = ("community", "unassigned", "street", "city")


@dataclass(frozen=True)
class WalkContext:
    """The walkable network with the services (and candidate sites) on it.

    Anchors ``0 .. len(services) - 1`` of ``graph`` are the services in layer
    order, then the sites; ``ends`` locate the buildings' walks on ``graph``.
    """

    network: Network
    graph: Graph
    ends: Ends
    buildings: Snapped
    services: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame | None
    homes: NDArray[np.object_]
    households: NDArray[np.float64]
    report: Report


@dataclass(frozen=True)
class Access:
    """What :func:`compute_access` computes.

    Attributes
    ----------
    table : DataFrame
        One row per (building, kind of service present): ``ACCESS_COLUMNS``; ``walk_m``
        (metres, 2 decimals) is missing where no service of the kind can be reached.
    coverage : DataFrame
        Households within per area and kind: ``COVERAGE_COLUMNS``, levels
        ``COVERAGE_LEVELS`` (``unassigned`` only where some building is).
    kinds : DataFrame
        The kinds present, in the standard's order: ``kind``, ``name_zh``, ``name_en``,
        ``max_walk_m`` (the plan's), ``life_circle``, ``source``, ``services``.
    buildings : GeoDataFrame
        ``building_id``, ``community_id`` (resolved), ``households``, ``snapped``.
    services : GeoDataFrame
        ``service_id``, ``kind``, ``snapped`` (within ``snap_max_m`` of a walkable road).
    roads : GeoSeries
        The walkable network as noded segments.
    report : Report
        Warnings: features beyond ``snap_max_m`` of every walkable road.
    """

    table: pd.DataFrame
    coverage: pd.DataFrame
    kinds: pd.DataFrame
    buildings: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    roads: gpd.GeoSeries
    report: Report


def _centroids(gdf: gpd.GeoDataFrame) -> NDArray[np.object_]:
    return shapely.centroid(np.asarray(gdf.geometry.array))


def _warn_unsnapped(report: Report, gdf: gpd.GeoDataFrame, layer: str, id_column: str,
                    snapped: Snapped, snap_max_m: float, consequence: str) -> None:
    where = locate(gdf, id_column)
    for feature_id in where.labels(np.flatnonzero(~snapped.ok)):
        report.add("warning", layer, "unreachable",
                   f"farther than snap_max_m = {snap_max_m:g} m from every walkable road; "
                   + consequence, feature_id=feature_id)


def walk_context(layers: Layers, *, with_sites: bool = False) -> WalkContext:
    """Node the walkable roads, snap buildings, services (and sites) onto them.

    Raises
    ------
    GisplanError
        The plan has no ``roads`` or ``services`` layer (or no ``sites`` when
        ``with_sites``).
    """
    needed = ("roads", "services", "sites") if with_sites else ("roads", "services")
    missing = [n for n in needed if n not in layers.plan.layers or layers.layer(n) is None]
    if missing:
        raise GisplanError(
            f"{layers.plan.root / 'plan.toml'}: [layers] has no {' or '.join(missing)}; walking "
            "access needs the walkable roads and the services (see README, 'Walking access')")
    settings = layers.plan.access
    report = Report()
    roads = layers.roads
    walkable = (roads["walkable"].fillna(True).to_numpy(dtype=bool) if "walkable" in roads
                else np.ones(len(roads), dtype=bool))
    network = build_network(np.asarray(roads.geometry.array)[walkable])
    if not len(network.length):
        report.add("warning", "roads", "no_walkable_roads",
                   "no walkable road: every building is unreachable")
    snap = settings.snap_max_m
    buildings = snap_points(network, _centroids(layers.buildings), max_m=snap)
    _warn_unsnapped(report, layers.buildings, "buildings", "building_id", buildings, snap,
                    "it counts as not within walking distance of any service")
    services = layers.services
    anchors = snap_points(network, _centroids(services), max_m=snap)
    _warn_unsnapped(report, services, "services", "service_id", anchors, snap,
                    "it serves nobody in this analysis")
    sites = layers.sites if with_sites else None
    if sites is not None:
        on_sites = snap_points(network, _centroids(sites), max_m=snap)
        _warn_unsnapped(report, sites, "sites", "site_id", on_sites, snap,
                        "it cannot be chosen")
        anchors = Snapped(*(np.concatenate([getattr(anchors, f), getattr(on_sites, f)])
                            for f in ("edge", "offset", "connector_m")))
    graph = anchored_graph(network, anchors)
    households = layers.buildings["households"].to_numpy(dtype=float, na_value=0.0)
    return WalkContext(network, graph, origin_ends(graph, buildings), buildings,
                       services.assign(snapped=anchors.ok[:len(services)]), sites,
                       building_homes(layers), households, report)


def present_kinds(services: pd.DataFrame) -> pd.DataFrame:
    """The standards of the kinds ``services`` holds, in the standard's order."""
    standards = load_service_standards()
    counts = services["kind"].value_counts()
    kinds = standards[standards.index.isin(counts.index)].copy()
    kinds["services"] = counts.reindex(kinds.index).astype(int)
    return kinds


def compute_access(layers: Layers) -> Access:
    """Walks from every building to the nearest service of every kind present.

    Parameters
    ----------
    layers : Layers
        Validated layers with ``roads`` and ``services``
        (:func:`gisplan.inputs.validation.load_layers`).

    Returns
    -------
    Access

    Raises
    ------
    GisplanError
        The plan has no roads or no services layer.
    """
    ctx = walk_context(layers)
    settings = layers.plan.access
    kinds = present_kinds(ctx.services)
    kinds["max_walk_m"] = [settings.max_walk(k) for k in kinds.index]
    kind_of = ctx.services["kind"].to_numpy(dtype=object)
    service_ids = ctx.services["service_id"].to_numpy(dtype=object)
    n_b, n_k = len(ctx.homes), len(kinds)
    walk = np.full((n_k, n_b), np.inf)
    nearest = np.full((n_k, n_b), -1, dtype=np.intp)
    for k, kind in enumerate(kinds.index):  # one multi-source Dijkstra per kind
        walk[k], nearest[k] = nearest_anchor(ctx.graph, ctx.ends,
                                             np.flatnonzero(kind_of == kind))
    walk_m = np.where(np.isfinite(walk), np.round(walk, 2), np.nan)
    within = walk_m <= kinds["max_walk_m"].to_numpy()[:, None]
    b_ids = layers.buildings["building_id"].to_numpy(dtype=object)
    table = pd.DataFrame({
        "building_id": np.repeat(b_ids, n_k),
        "community_id": np.repeat(ctx.homes, n_k),
        "kind": np.tile(kinds.index.to_numpy(dtype=object), n_b),
        "service_id": np.where(nearest >= 0, service_ids[np.maximum(nearest, 0)], None).T.ravel(),
        "walk_m": walk_m.T.ravel(),
        "within": within.T.ravel(),
    })
    coverage = coverage_table(layers, ctx.homes, ctx.households, within, kinds)
    buildings = gpd.GeoDataFrame({
        "building_id": b_ids, "community_id": ctx.homes, "households": ctx.households,
        "snapped": ctx.buildings.ok}, geometry=layers.buildings.geometry.array,
        crs=layers.buildings.crs)
    roads = gpd.GeoSeries(ctx.network.segments, crs=layers.plan.crs)
    return Access(table, coverage, kinds.reset_index(), buildings,
                  ctx.services[["service_id", "kind", "snapped", "geometry"]], roads,
                  ctx.report)


def coverage_table(layers: Layers, homes: NDArray[np.object_], households: NDArray[np.float64],
                   within: NDArray[np.bool_], kinds: pd.DataFrame) -> pd.DataFrame:
    """Households and households within per (area, kind), for every ``COVERAGE_LEVELS``.

    ``within`` is (kind, building); every community gets a row per kind, even with no
    households; ``unassigned`` only where some building lies in no community.
    """
    com = layers.communities
    street_of = dict(zip(com["community_id"], com["street"], strict=True))
    name_of = dict(zip(com["community_id"], com["name"], strict=True))
    inside = homes != UNASSIGNED
    areas = [("community", np.where(inside, homes, None))]
    if (~inside).any():
        areas.append(("unassigned", np.where(inside, None, UNASSIGNED)))
    areas.append(("street", pd.Series(homes).map(street_of).to_numpy(dtype=object)))
    areas.append(("city", np.full(len(homes), "city", dtype=object)))
    have = within * households[None, :]
    parts = []
    for level, key in areas:
        frame = pd.DataFrame({"area_id": np.tile(key, len(kinds)),
                              "kind": np.repeat(kinds.index.to_numpy(dtype=object), len(key)),
                              "households": np.tile(households, len(kinds)),
                              "households_within": have.ravel()})
        sums = frame.dropna(subset=["area_id"]).groupby(["area_id", "kind"], sort=False).sum()
        if level == "community":  # every community, also one without buildings
            full = pd.MultiIndex.from_product([com["community_id"], kinds.index],
                                              names=["area_id", "kind"])
            sums = sums.reindex(full, fill_value=0.0)
        parts.append(sums.reset_index().assign(level=level))
    out = pd.concat(parts, ignore_index=True)
    out["level"] = pd.Categorical(out["level"], categories=COVERAGE_LEVELS, ordered=True)
    out["kind_rank"] = out["kind"].map({k: i for i, k in enumerate(kinds.index)})
    out = out.sort_values(["level", "area_id", "kind_rank"], kind="stable")
    out["level"] = out["level"].astype(str)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = out["households_within"] / out["households"]
    out["share_within"] = share.where(out["households"] > 0).round(4)
    for col in ("households", "households_within"):
        out[col] = out[col].astype(np.int64)
    out["max_walk_m"] = out["kind"].map(kinds["max_walk_m"])
    names = {**name_of, UNASSIGNED: "未归属", "city": layers.plan.name}
    out["area_name"] = out["area_id"].map(names).where(out["level"] != "street", out["area_id"])
    out["kind_zh"] = out["kind"].map(kinds["name_zh"])
    return out[COVERAGE_COLUMNS].reset_index(drop=True)
