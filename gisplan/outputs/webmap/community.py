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
    """The page of :func:`gisplan.outputs.webmap.build_map` for one community.

    Examples
    --------
    >>> page = build_community_map(layers, scope, zones, "222404001001")  # doctest: +SKIP
    """
    sub_layers, sub_scope, sub_zones = community_subset(layers, scope, zones, community_id,
                                                        pipes=pipes)
    name = sub_layers.communities["name"].iloc[0] if len(sub_layers.communities) else ""
    plan = replace(layers.plan, name=f"{layers.plan.name} · {name}（一区一案）")
    return build_map(replace(sub_layers, plan=plan), sub_scope, sub_zones, **options)
