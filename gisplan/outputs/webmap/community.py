"""One community's own small map (一区一案 packages).

The community's features, its zone and its scope rows are cut out of the
whole plan, and the same page is built from them: the title bar then shows
the community's own headline figures.
"""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.analysis.scope import Scope
from gisplan.analysis.zones import Zones
from gisplan.inputs.assign import Assignment
from gisplan.inputs.spatial import keep_family
from gisplan.inputs.validation import Layers
from gisplan.outputs.webmap.build import WebMap, build_map

#: How far around a community its package map shows the neighbouring communities, at
#: least (metres); half the community's larger side when that is more.
NEIGHBOUR_MARGIN_M = 150.0


def neighbours(communities: gpd.GeoDataFrame, community_id: str, *,
               margin_m: float = NEIGHBOUR_MARGIN_M) -> gpd.GeoDataFrame:
    """The other communities around one, clipped to the window its package map shows.

    The window is the community's bounding box grown by ``margin_m`` (or half its
    larger side, if more). Returns ``community_id``, ``name`` and the clipped
    outline of each neighbour in the plan CRS: context for the map, named as on
    the city's map, never counted in the community's figures.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> boxes = [shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100),
    ...          shapely.box(900, 0, 1000, 100)]
    >>> coms = gpd.GeoDataFrame({"community_id": ["A", "B", "C"], "name": ["甲", "乙", "丙"]},
    ...                         geometry=boxes, crs="EPSG:4547")
    >>> near = neighbours(coms, "A")
    >>> near["name"].tolist(), near.geometry.area.round().tolist()
    (['乙'], [10000.0])
    """
    own = communities["community_id"].to_numpy() == community_id
    x0, y0, x1, y1 = shapely.total_bounds(communities.geometry.array[own])
    margin = max(margin_m, 0.5 * max(x1 - x0, y1 - y0))
    window = shapely.box(x0 - margin, y0 - margin, x1 + margin, y1 + margin)
    # The layer's own index (built once, cached by geopandas), not one per package.
    hits = np.sort(communities.sindex.query(window, predicate="intersects"))
    hits = hits[~own[hits]]
    geoms = keep_family(shapely.intersection(communities.geometry.array[hits], window),
                        "polygonal")
    keep = ~shapely.is_empty(geoms)
    picked = communities.iloc[hits[keep]]
    return gpd.GeoDataFrame(
        {"community_id": picked["community_id"].astype(str).to_numpy(),
         "name": picked["name"].fillna("").astype(str).to_numpy()},
        geometry=geoms[keep], crs=communities.crs)


def community_subset(layers: Layers, scope: Scope, zones: Zones, community_id: str, *,
                     pipes: gpd.GeoDataFrame | None = None) -> tuple[Layers, Scope, Zones]:
    """The plan cut down to one community: its layers, scope rows and zone.

    Pipes are the pieces inside the community (``pipes``: the package's own cut,
    so the map and the package's files agree; by default cut here the same way),
    counted only in the community; the scope rows of the community stand in for
    the city rows, so headline figures are the community's. The zone's outline
    is left out, so the map opens on the community, not on its whole zone.
    """
    a = scope.assignment
    mine = a.buildings["community_id"] == community_id
    com = layers.communities[layers.communities["community_id"] == community_id]
    if pipes is None:
        area = com.union_all()
        hits = layers.pipes.iloc[np.sort(layers.pipes.sindex.query(area,
                                                                  predicate="intersects"))]
        pieces = keep_family(shapely.intersection(np.asarray(hits.geometry.array), area),
                             "lineal")
        keep = ~shapely.is_empty(pieces)
        pipes = hits[keep].set_geometry(gpd.GeoSeries(pieces[keep], index=hits.index[keep],
                                                      crs=hits.crs))
    pipes = layers.pipes.iloc[:0].pipe(lambda empty: pd.concat(
        [empty, pipes[[c for c in layers.pipes.columns if c in pipes.columns]]],
        ignore_index=True)).set_geometry("geometry", crs=layers.pipes.crs)
    facilities = a.facilities[a.facilities["community_id"] == community_id]
    structures = a.structures[a.structures["community_id"] == community_id]
    barriers = layers.barriers[layers.barriers.intersects(com.union_all().buffer(50))]
    sub_layers = replace(
        layers, communities=com, buildings=layers.buildings[mine.to_numpy()],
        geo_community=layers.geo_community[mine.to_numpy()], pipes=pipes,
        facilities=layers.facilities[layers.facilities["facility_id"].isin(
            facilities["facility_id"])],
        structures=layers.structures[layers.structures["structure_id"].isin(
            structures["structure_id"])],
        barriers=barriers, pipe_split=None)  # positions change with the subset
    sub_assignment = Assignment(
        buildings=a.buildings[mine], facilities=facilities, structures=structures,
        pipe_pieces=a.pipe_pieces[a.pipe_pieces["pipe_id"].isin(pipes["pipe_id"])
                                  & (a.pipe_pieces["community_id"] == community_id)])
    t = scope.table
    zone_id = zones.membership.get(community_id)
    rows = t[(t["level"] == "community") & (t["area_id"] == community_id)]
    as_city = rows.assign(level="city", area_id="city")
    zone_rows = t[(t["level"] == "zone") & (t["area_id"] == zone_id)]
    sub_scope = replace(scope, table=pd.concat([rows, zone_rows, as_city], ignore_index=True),
                        assignment=sub_assignment)
    sub_zones = replace(
        zones, membership=zones.membership[zones.membership.index == community_id],
        outlines=zones.outlines.iloc[:0])
    return sub_layers, sub_scope, sub_zones


def build_community_map(layers: Layers, scope: Scope, zones: Zones, community_id: str, *,
                        pipes: gpd.GeoDataFrame | None = None, **options: object) -> WebMap:
    """The page of :func:`gisplan.outputs.webmap.build_map` for one community, with the
    neighbouring communities drawn around it as named context (see :func:`neighbours`).

    Examples
    --------
    >>> page = build_community_map(layers, scope, zones, "222404001001")  # doctest: +SKIP
    """
    sub_layers, sub_scope, sub_zones = community_subset(layers, scope, zones, community_id,
                                                        pipes=pipes)
    name = sub_layers.communities["name"].iloc[0] if len(sub_layers.communities) else ""
    plan = replace(layers.plan, name=f"{layers.plan.name} · {name}（一区一案）")
    return build_map(replace(sub_layers, plan=plan), sub_scope, sub_zones,
                     context=neighbours(layers.communities, community_id), **options)
