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
import pyarrow as pa
import shapely
from numpy.typing import ArrayLike, NDArray

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
from gisplan.inputs.grouping import TEXT, as_frame, text_column
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
    home_code, home_ids = pd.factorize(ctx.homes)
    rows = np.arange(n_b * n_k)
    table = as_frame({  # building-major, kinds in the standard's order; text taken by code
        "building_id": taken(rows // max(n_k, 1), b_ids),
        "community_id": taken(home_code[rows // max(n_k, 1)], home_ids),
        "kind": taken(rows % max(n_k, 1), kinds.index),
        "service_id": taken(nearest.T.ravel(), service_ids),
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
    households; ``unassigned`` only where some building lies in no community. Areas of a
    level are in text order; sums by ``numpy.bincount`` on area codes.
    """
    com = layers.communities
    com_ids = com["community_id"].to_numpy(dtype=object)
    pos = pd.Index(com_ids).get_indexer(homes)  # -1: unassigned
    streets, street_code = np.unique(com["street"].to_numpy(dtype=str), return_inverse=True)
    levels = [("community", pos, com_ids, com["name"].to_numpy(dtype=object))]
    if (pos < 0).any():
        levels.append(("unassigned", np.where(pos < 0, 0, -1), np.array([UNASSIGNED], object),
                       np.array(["未归属"], object)))
    levels.append(("street", np.where(pos >= 0, street_code.ravel()[pos], -1),
                   streets.astype(object), streets.astype(object)))
    levels.append(("city", np.zeros(len(homes), dtype=np.intp), np.array(["city"], object),
                   np.array([layers.plan.name], object)))
    parts = []
    for level, code, ids, names in levels:
        order = np.argsort(ids.astype(str), kind="stable")
        ok = code >= 0
        total = np.bincount(code[ok], weights=households[ok], minlength=len(ids))
        inside = np.stack([np.bincount(code[ok], weights=households[ok] * w[ok],
                                       minlength=len(ids)) for w in within]) if len(kinds) \
            else np.zeros((0, len(ids)))
        n_k = len(kinds)
        parts.append(pd.DataFrame({
            "level": level, "area_id": np.repeat(ids[order], n_k),
            "kind": np.tile(kinds.index.to_numpy(dtype=object), len(ids)),
            "households": np.repeat(total[order], n_k),
            "households_within": inside[:, order].T.ravel(),
            "area_name": np.repeat(names[order], n_k)}))
    out = pd.concat(parts, ignore_index=True)
    for col in ("households", "households_within"):
        out[col] = out[col].round().astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = out["households_within"] / out["households"]
    out["share_within"] = share.where(out["households"] > 0).round(4)
    out["max_walk_m"] = out["kind"].map(kinds["max_walk_m"])
    out["kind_zh"] = out["kind"].map(kinds["name_zh"])
    return out[COVERAGE_COLUMNS]


def taken(codes: NDArray[np.integer], texts: ArrayLike) -> pd.api.extensions.ExtensionArray:
    """``texts[codes]`` as pandas' text dtype, missing where a code is negative.

    Examples
    --------
    >>> list(taken(np.array([1, -1, 0]), ["a", "b"]))
    ['b', nan, 'a']
    """
    codes = np.asarray(codes)
    if (codes >= 0).all():
        return text_column(codes, texts)
    texts = np.asarray(texts, dtype=object)
    if isinstance(TEXT, pd.StringDtype) and TEXT.storage == "pyarrow":
        index = pa.array(np.maximum(codes, 0), mask=codes < 0)
        return pd.array(pa.array(texts, pa.large_string()).take(index), dtype=TEXT)
    return pd.array(np.where(codes >= 0, texts[np.maximum(codes, 0)], None), dtype=TEXT)
