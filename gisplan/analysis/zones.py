"""Contiguous renovation zones (集中连片改造).

Two communities belong to one zone when their boundaries are within
``max_gap_m`` of each other (touching counts) and no barrier (trunk road,
river, rail) crosses or touches the shortest line between them. Zones are
the connected components of that graph; a community with no neighbour is a
zone of its own.

Zone ids are stable: zones are ordered by the smallest ``community_id`` they
hold (text order) and numbered ``Z001``, ``Z002``... in that order, so the
same communities give the same ids whatever the input order.

Examples
--------
>>> from gisplan.inputs.validation import load_layers
>>> zones = detect_zones(load_layers("layers/hunchun2020"))
>>> zones.outlines["communities"].tolist()
[6, 6, 4, 1]
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from gisplan.errors import GisplanError
from gisplan.inputs.assign import building_homes, scope_pipe_split
from gisplan.inputs.grouping import group_of, sum_by
from gisplan.inputs.spatial import keep_family
from gisplan.inputs.validation import Layers


@dataclass(frozen=True)
class Zones:
    """Contiguous zones of a plan.

    Attributes
    ----------
    membership : Series
        ``zone_id`` indexed by ``community_id``; communities left out by the
        filters are absent.
    outlines : GeoDataFrame
        One row per zone: ``zone_id``, ``community_ids`` (sorted,
        comma-separated), ``communities`` and the outline geometry (the union
        of the members with gaps under ``max_gap_m`` closed), in the plan CRS.
    links : DataFrame
        Every pair of communities within the gap: ``community_a``,
        ``community_b``, ``gap_m``, ``joined`` and the ``barrier_id`` that
        split them.
    shared_pipes : DataFrame
        Per zone and network, the length of scope pipes that run through two
        or more of the zone's communities (dug once for all of them).
    max_gap_m : float
    """

    membership: pd.Series
    outlines: gpd.GeoDataFrame
    links: pd.DataFrame
    shared_pipes: pd.DataFrame
    max_gap_m: float


def community_pairs(geoms: np.ndarray, *, max_gap_m: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positional pairs ``i < j`` of polygons within ``max_gap_m`` (touching included), and
    the gap between each pair.

    Candidates are the pairs whose bounding boxes, grown by the gap, meet; their
    distances are measured once and serve as both the test and the gap. That is
    3.5x faster at 20,000 communities than ``STRtree.query(predicate="dwithin")``,
    which tests each candidate and leaves the distance to be measured again.

    Examples
    --------
    >>> import shapely
    >>> squares = shapely.box([0, 110, 500], 0, [100, 210, 600], 100)
    >>> [x.tolist() for x in community_pairs(squares, max_gap_m=30)]
    [[0], [1], [10.0]]
    """
    x0, y0, x1, y1 = shapely.bounds(geoms).T
    g = max_gap_m
    left, right = shapely.STRtree(geoms).query(shapely.box(x0 - g, y0 - g, x1 + g, y1 + g))
    keep = left < right
    left, right = left[keep], right[keep]
    gaps = shapely.distance(geoms[left], geoms[right])
    near = gaps <= max_gap_m
    return left[near], right[near], gaps[near]


def _households(layers: Layers) -> pd.Series:
    """Households per community (``community_id`` index) from the buildings layer."""
    home = building_homes(layers)
    first, sums = sum_by([home], {"households": layers.buildings["households"]})
    return pd.Series(sums["households"], index=home[first])


def check_max_gap(max_gap_m: float | None) -> None:
    """A gap given in place of the plan's must be a finite number >= 0 (None: the plan's)."""
    if max_gap_m is not None and not (np.isfinite(max_gap_m) and max_gap_m >= 0):
        raise GisplanError(f"the largest gap between communities of a zone must be a finite "
                           f"number of metres >= 0, got {max_gap_m!r}")


def _outlines(members: gpd.GeoDataFrame, *, max_gap_m: float) -> gpd.GeoSeries:
    """Union per zone, with gaps narrower than ``max_gap_m`` closed (no convex hull).

    The closing grows each community by half the gap, unions them per zone and
    shrinks the union back: the same as growing the zone's union (growing
    distributes over a union) but 3x faster, as each growth is of one small
    polygon. The members are unioned in again: a mitred corner sharper than
    the mitre limit would otherwise lose its tip.
    """
    merged = members.dissolve(by="zone_id", method="disjoint_subset").geometry
    r = max_gap_m / 2
    if r > 0:
        grown = members.set_geometry(shapely.buffer(np.asarray(members.geometry.array), r,
                                                    join_style="mitre"))
        closed = grown.dissolve(by="zone_id").geometry.reindex(merged.index)
        closed = shapely.buffer(closed.values, -r, join_style="mitre")
        merged = gpd.GeoSeries(shapely.union(closed, merged.values), index=merged.index,
                               crs=merged.crs)
    # Overlays of polygons can leave lines and points (members touching along an edge or
    # at a corner); an outline is polygonal, and no writer may meet a collection.
    return gpd.GeoSeries(keep_family(np.asarray(merged.array), "polygonal"),
                         index=merged.index, crs=merged.crs)


def detect_zones(layers: Layers, *, max_gap_m: float | None = None,
                 renovation_type: str | None = None,
                 min_households: int | None = None,
                 households: pd.Series | None = None) -> Zones:
    """Find contiguous renovation zones.

    Parameters
    ----------
    layers : Layers
        Validated layers.
    max_gap_m : float, optional, keyword-only
        Largest gap between two communities of one zone; default ``[zones] max_gap_m``.
    renovation_type : {"basic", "upgrade"}, optional, keyword-only
        Only communities of this type form zones; default ``[zones] renovation_type``.
    min_households : int, optional, keyword-only
        Zones with fewer households are dropped (their communities are renovated
        alone and have no zone); default ``[zones] min_households``.
    households : Series, optional, keyword-only
        Households per ``community_id`` for ``min_households``; default: summed from
        the buildings layer (the dask engine passes its facts instead).

    Returns
    -------
    Zones
    """
    cfg = layers.plan.zones
    gap = cfg.max_gap_m if max_gap_m is None else float(max_gap_m)
    rtype = cfg.renovation_type if renovation_type is None else renovation_type
    min_hh = cfg.min_households if min_households is None else int(min_households)

    com = layers.communities
    if rtype is not None:
        com = com[com["renovation_type"] == rtype]
    com = com.reset_index(drop=True)
    ids = com["community_id"].to_numpy(dtype=object)
    geoms = np.asarray(com.geometry.array)
    left, right, gaps = community_pairs(geoms, max_gap_m=gap)

    barrier_of = np.full(len(left), None, dtype=object)
    barriers = layers.barriers
    if len(barriers) and len(left):
        bridge = shapely.shortest_line(geoms[left], geoms[right])
        pair, hit = shapely.STRtree(np.asarray(barriers.geometry.array)).query(
            bridge, predicate="intersects")
        bid = barriers["barrier_id"].to_numpy(dtype=object)[hit]
        # Several barriers on one line: name the smallest id, for stable output.
        order = np.lexsort((bid.astype(str), pair))
        pair, bid = pair[order], bid[order]
        first = np.r_[True, pair[1:] != pair[:-1]][:len(pair)]  # none when no line is crossed
        barrier_of[pair[first]] = bid[first]
    joined = pd.isna(barrier_of)

    n = len(com)
    graph = coo_array((np.ones(joined.sum()), (left[joined], right[joined])), shape=(n, n))
    _, label = connected_components(graph, directed=False)

    # Stable ids: components ordered by their smallest community_id.
    frame = pd.DataFrame({"community_id": ids, "label": label})
    key = frame.groupby("label")["community_id"].min().sort_values()
    if min_hh > 0:
        per_community = _households(layers) if households is None else households
        hh = frame["community_id"].map(per_community).fillna(0.0)
        size = hh.groupby(frame["label"]).sum()
        key = key[size.reindex(key.index) >= min_hh]
    width = max(3, len(str(len(key))))
    zone_of = pd.Series([f"Z{k + 1:0{width}d}" for k in range(len(key))], index=key.index)
    frame["zone_id"] = frame["label"].map(zone_of)
    frame = frame.dropna(subset=["zone_id"])
    membership = frame.set_index("community_id")["zone_id"].rename("zone_id").astype(object)

    members = gpd.GeoDataFrame(frame[["zone_id"]], geometry=com.geometry.iloc[frame.index].values,
                               crs=com.crs)
    # Members listed per zone, in id order (one join per zone, no group-by in Python).
    ordered = frame.sort_values(["zone_id", "community_id"], kind="stable")
    zone_ids = ordered["zone_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, zone_ids[1:] != zone_ids[:-1]][:len(zone_ids)])
    ends = np.append(starts[1:], len(zone_ids))[:len(starts)]
    member_ids = ordered["community_id"].tolist()
    listed = pd.DataFrame({"join": [",".join(member_ids[a:b]) for a, b in zip(starts, ends,
                                                                             strict=True)],
                           "size": ends - starts},
                          index=pd.Index(zone_ids[starts], name="zone_id"))
    outlines = gpd.GeoDataFrame({
        "zone_id": listed.index.astype(object),  # text ids, also when there are none
        "community_ids": listed["join"].to_numpy(),
        "communities": listed["size"].to_numpy(),
    }, geometry=_outlines(members, max_gap_m=gap).reindex(listed.index).values,
        crs=com.crs).sort_values("zone_id").reset_index(drop=True)

    a, b = ids[left], ids[right]
    swap = a.astype(str) > b.astype(str)
    links = pd.DataFrame({
        "community_a": np.where(swap, b, a), "community_b": np.where(swap, a, b),
        "gap_m": gaps, "joined": joined, "barrier_id": barrier_of,
    }).sort_values(["community_a", "community_b"]).reset_index(drop=True)
    return Zones(membership=membership, outlines=outlines, links=links,
                 shared_pipes=_shared_pipes(layers, membership), max_gap_m=gap)


def _shared_pipes(layers: Layers, membership: pd.Series) -> pd.DataFrame:
    """Length per zone and network of pipes that run through 2+ communities of the zone."""
    cols = ["zone_id", "network", "pipes", "length_m"]
    if layers.pipes.empty or membership.empty:
        return pd.DataFrame(columns=cols)
    li, ai, length = scope_pipe_split(layers)
    inside = ai >= 0
    li, ai, length = li[inside], ai[inside], length[inside]
    # Zones as codes per community, mapped once; then pieces per (pipe, zone) counted.
    zone, zone_ids = pd.factorize(layers.communities["community_id"].map(membership))
    zone = zone[ai]
    group, _ = group_of([li, zone])
    pieces_in_group = np.bincount(group[group >= 0], minlength=group.max(initial=-1) + 1)
    shared = (group >= 0) & (pieces_in_group[np.maximum(group, 0)] >= 2)
    shared = pd.DataFrame({
        "pipe": li[shared],
        "zone_id": np.asarray(zone_ids, dtype=object)[zone[shared]],
        "network": layers.pipes["network"].to_numpy(dtype=object)[li[shared]],
        "length_m": length[shared],
    })
    out = shared.groupby(["zone_id", "network"]).agg(pipes=("pipe", "nunique"),
                                                     length_m=("length_m", "sum"))
    return out.reset_index()[cols]
