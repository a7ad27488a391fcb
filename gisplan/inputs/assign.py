"""Assigning features to communities: buildings whole, pipes split at borders.

Each building goes to its ``community_id``, else to the community holding
the largest share of its footprint; each pipe is cut exactly at community
boundaries and every piece's length goes to the community it lies in;
facilities and structures go to the community they fall in. Whatever lies in
no community goes to the ``unassigned`` area, so nothing is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from gisplan.inputs.grouping import as_frame
from gisplan.inputs.spatial import largest_share, split_lengths
from gisplan.inputs.validation import UNASSIGNED, Layers
from gisplan.plan.catalogue import pipe_item

__all__ = ["Assignment", "assign_to_areas", "building_homes", "pipe_split",
           "scope_pipe_split"]


@dataclass(frozen=True)
class Assignment:
    """Features with the community they count in.

    Attributes
    ----------
    buildings, facilities, structures : GeoDataFrame
        Copies of the layers with ``community_id`` resolved (``unassigned``
        where none) and, for facilities, ``quantity`` filled in.
    pipe_pieces : DataFrame
        One row per piece of a scope pipe (``action`` not ``keep``) inside one
        community or outside all: ``pipe_id``, ``community_id``, ``network``,
        ``diameter_mm``, ``item``, ``length_m``.
    """

    buildings: gpd.GeoDataFrame
    pipe_pieces: pd.DataFrame
    facilities: gpd.GeoDataFrame
    structures: gpd.GeoDataFrame


def _home(gdf: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, ids: np.ndarray,
          measured: pd.Series | None) -> np.ndarray:
    """Community id of the largest share of each feature, or ``unassigned``; what
    validation ``measured`` for these very features when it is at hand. ``ids`` are the
    community ids with ``unassigned`` appended (position -1)."""
    if measured is not None and measured.index.equals(gdf.index):
        return measured.to_numpy(dtype=object)
    return ids[largest_share(np.asarray(gdf.geometry.array),
                             np.asarray(communities.geometry.array))]


def building_homes(layers: Layers) -> np.ndarray:
    """Community of each building: its ``community_id`` where given, else the one holding
    the largest share of its footprint (``unassigned`` where none)."""
    home = layers.geo_community.to_numpy(dtype=object)
    if "community_id" in layers.buildings:
        given = layers.buildings["community_id"].to_numpy(dtype=object)
        home = np.where(pd.isna(given), home, given)
    return home


def pipe_split(layers: Layers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pipe cut at community boundaries: positions of pipe and community (-1 for
    none) and length; the split validation made, else a new one."""
    if layers.pipe_split is not None:
        s = layers.pipe_split
        return (s["pipe"].to_numpy(), s["community"].to_numpy(), s["length_m"].to_numpy())
    return split_lengths(np.asarray(layers.pipes.geometry.array),
                         np.asarray(layers.communities.geometry.array))


def scope_pipe_split(layers: Layers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`pipe_split` of the scope pipes only (``action`` not ``keep``)."""
    li, ai, length = pipe_split(layers)
    scope = (layers.pipes["action"] != "keep").to_numpy()[li]
    return li[scope], ai[scope], length[scope]


def assign_to_areas(layers: Layers) -> Assignment:
    """Give every building, pipe piece, facility and structure its community.

    Parameters
    ----------
    layers : Layers
        Validated layers (see :func:`gisplan.inputs.validation.load_layers`).

    Returns
    -------
    Assignment

    Examples
    --------
    >>> from gisplan.inputs.validation import load_layers
    >>> a = assign_to_areas(load_layers("layers/hunchun2020"))
    >>> len(a.buildings), int((a.buildings["community_id"] == "unassigned").sum())
    (96, 0)
    """
    com = layers.communities
    # assign() copies lazily (pandas copy-on-write): the 10^6 geometries are not copied.
    buildings = layers.buildings.assign(community_id=pd.Series(
        building_homes(layers), index=layers.buildings.index, dtype=object))

    li, ai, length = scope_pipe_split(layers)
    ids = np.append(com["community_id"].to_numpy(dtype=object), UNASSIGNED)
    pipes = layers.pipes
    pieces = as_frame({
        "pipe_id": pipes["pipe_id"].to_numpy(dtype=object)[li],
        "community_id": ids[ai],
        "network": pipes["network"].to_numpy(dtype=object)[li],
        "diameter_mm": pipes["diameter_mm"].to_numpy()[li],
        "item": pipe_item(pipes["network"], pipes["diameter_mm"]).to_numpy(dtype=object)[li],
        "length_m": length,
    })

    facilities = layers.facilities.assign(community_id=_home(
        layers.facilities, com, ids, layers.point_homes.get("facilities")))
    is_area = facilities.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    by_area = layers.catalogue["unit"].reindex(facilities["item"]).to_numpy() == "㎡"
    default = np.where(is_area & by_area, facilities.geometry.area.to_numpy(), 1.0)
    given = facilities["quantity"] if "quantity" in facilities else np.nan
    given = pd.to_numeric(pd.Series(given, index=facilities.index), errors="coerce")
    facilities["quantity"] = given.fillna(pd.Series(default, index=facilities.index))

    structures = layers.structures.assign(community_id=_home(
        layers.structures, com, ids, layers.point_homes.get("structures")))
    return Assignment(buildings=buildings, pipe_pieces=pieces, facilities=facilities,
                      structures=structures)
