"""The layers of a map sheet, drawn with geopandas in the plan's metric CRS.

Each ``draw_*`` function plots one layer in one call per style (vectorised:
one matplotlib collection each) and returns its legend entries; labels are
collected as :class:`Labels` and placed together by :func:`place_labels`, most
important first, none overlapping another (greedy, with the rtree index of
:func:`gisplan.outputs.exports.labels.declutter`) or leaving the map frame.
Colours come from ``map_styles.csv`` and ``networks.csv``.

Examples
--------
>>> import geopandas as gpd, shapely
>>> b = gpd.GeoDataFrame({"roof": ["flat", "pitched"], "name": ["甲1号楼", "甲2号楼"],
...                       "floors": [5, 6]},
...                      geometry=[shapely.box(0, 0, 60, 12), shapely.box(0, 30, 12, 90)],
...                      crs="EPSG:4552")
>>> building_labels(b, community_name="甲", font_pt=7).text.tolist()
['1号楼 5层', '2号楼 6层']
>>> building_labels(b, community_name="甲", font_pt=7).rotation.tolist()
[0.0, 90.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from gisplan.outputs.exports.labels import declutter
from gisplan.outputs.sheets.artists import add_geometries
from gisplan.outputs.sheets.layout import PT_MM, bilingual, sheet_labels, text_width_mm
from gisplan.outputs.webmap.styles import network_styles, styles
from gisplan.plan.catalogue import labels, read_data

#: A legend entry: the handle matplotlib draws and its text.
Entry = tuple[object, str]
#: Labels sit on a light box rather than a stroked halo: a halo (a path effect) turns the
#: text into outlines, which a PDF reader can neither search nor copy.
LABEL_BOX = {"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75}
BOUNDARY_RED = "#d7191c"
#: Drawing order of the pipes (kept under works) and of the labels, over everything else
#: of the map but the scale bar: a pipe sheet redraws only what lies at or above PIPE_Z.
PIPE_Z, WORKS_Z, LABEL_Z = 6, 7, 10


def _style(group: str, key: str) -> str:
    return styles()[group][key]["value"]


def _styled(group: str, key: str) -> str:
    """``label_zh label_en`` of a map_styles.csv row."""
    row = styles()[group][key]
    return f"{row['label_zh']} {row['label_en']}".strip()


def _plot(ax: Axes, gdf: gpd.GeoDataFrame | gpd.GeoSeries, *, color: object = None,
          edgecolor: object = None, facecolor: object = None, **kwargs: object) -> None:
    """One collection of the features (:func:`~gisplan.outputs.sheets.artists.add_geometries`),
    keeping the sheet's scale; ``color`` is the fill of areas and their outline unless
    ``edgecolor`` is given, the colour of lines and points (as in geopandas' ``plot``)."""
    if not len(gdf):
        return
    geoms = np.asarray(gdf.geometry.array if isinstance(gdf, gpd.GeoDataFrame) else gdf.array)
    face = facecolor if facecolor is not None else color
    edge = edgecolor if edgecolor is not None else color
    add_geometries(ax, geoms, facecolor="none" if face is None else face,
                   edgecolor="none" if edge is None else edge, **kwargs)


def draw_barriers(ax: Axes, barriers: gpd.GeoDataFrame) -> list[Entry]:
    """Rivers filled blue, trunk roads and railways as grey/black lines."""
    entries: list[Entry] = []
    if barriers.empty:
        return entries
    kind = barriers["kind"].astype(str)
    known = styles()["barrier"]
    kind = kind.where(kind.isin(list(known)), "other")
    dims = shapely.get_dimensions(np.asarray(barriers.geometry.array))
    for k in pd.unique(kind):
        mine = (kind == k).to_numpy()
        colour = _style("barrier", k)
        area, line = barriers[mine & (dims == 2)], barriers[mine & (dims == 1)]
        _plot(ax, area, color=colour, alpha=0.35, linewidth=0, zorder=1)
        _plot(ax, line, color=colour, linewidth=2.4 if k == "trunk_road" else 1.2,
              linestyle=(0, (6, 2)) if k == "rail" else "-", alpha=0.55, zorder=1)
        handle = (Patch(fc=colour, alpha=0.35) if len(area) else
                  Line2D([], [], color=colour, lw=2.4, alpha=0.55))
        entries.append((handle, _styled("barrier", k)))
    return entries


def draw_communities(ax: Axes, communities: gpd.GeoDataFrame) -> list[Entry]:
    """Communities filled by renovation type (overview), with counts in the legend."""
    rtype = communities["renovation_type"].fillna("unassigned").astype(str)
    colours = rtype.map(lambda t: _style("renovation_type", t)
                        if t in styles()["renovation_type"] else "#bdbdbd")
    _plot(ax, communities, color=colours.tolist(), edgecolor="#4d4d4d", linewidth=0.6,
          alpha=0.75, zorder=2)
    unit = sheet_labels()["legend.communities_unit"]
    return [(Patch(fc=_style("renovation_type", t), ec="#4d4d4d", alpha=0.75),
             f"{_styled('renovation_type', t)}（{n}{unit}）")
            for t, n in rtype.value_counts().sort_index().items()
            if t in styles()["renovation_type"]]


def draw_zones(ax: Axes, zones: gpd.GeoDataFrame | None) -> list[Entry]:
    """Contiguous zones as dashed red outlines."""
    if zones is None or zones.empty:
        return []
    colour = _style("layer", "zones")
    _plot(ax, zones.boundary, color=colour, linewidth=1.2, linestyle=(0, (5, 2)), zorder=4)
    return [(Line2D([], [], color=colour, lw=1.2, ls=(0, (5, 2))),
             f"{bilingual('legend.zone')}（{len(zones)}）")]


def draw_boundary(ax: Axes, community: gpd.GeoDataFrame, *, tint: float = 0.12,
                  line: str = BOUNDARY_RED) -> list[Entry]:
    """The renovation boundary: the community's outline, dash-dot in ``line`` (red: 红线;
    the pipe sheets use black, red being heating there), its inside tinted with its
    renovation type's colour (in the legend when ``tint`` is 0.1 or more)."""
    rtype = str(community["renovation_type"].iloc[0]) if len(community) else "unassigned"
    colour = (_style("renovation_type", rtype) if rtype in styles()["renovation_type"]
              else "#bdbdbd")
    _plot(ax, community, color=colour, alpha=tint, linewidth=0, zorder=1)
    _plot(ax, community.boundary, color=line, linewidth=1.6,
          linestyle=(0, (8, 2, 1.5, 2)), zorder=6)
    entries: list[Entry] = [(Line2D([], [], color=line, lw=1.6, ls=(0, (8, 2, 1.5, 2))),
                             bilingual("legend.boundary"))]
    if tint >= 0.1:
        entries.append((Patch(fc=colour, alpha=min(1.0, tint * 2.5)),
                        _styled("renovation_type", rtype)))
    return entries


def draw_context(ax: Axes, neighbours: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame,
                 pipes: gpd.GeoDataFrame | None = None) -> list[Entry]:
    """What lies around: neighbouring communities' outlines, buildings and pipes, faint."""
    entries: list[Entry] = []
    if len(neighbours):
        _plot(ax, neighbours.boundary, color="#969696", linewidth=0.8, zorder=1)
        entries.append((Line2D([], [], color="#969696", lw=0.8), bilingual("legend.neighbour")))
    if len(buildings):
        _plot(ax, buildings, color="#e0e0e0", edgecolor="#bdbdbd", linewidth=0.3, zorder=2)
        entries.append((Patch(fc="#e0e0e0", ec="#bdbdbd"), bilingual("legend.context_building")))
    if pipes is not None and len(pipes):
        _plot(ax, pipes, color="#bdbdbd", linewidth=0.6, zorder=2)
        entries.append((Line2D([], [], color="#bdbdbd", lw=0.6), bilingual("legend.context_pipe")))
    return entries


def draw_other_pipes(ax: Axes, pipes: gpd.GeoDataFrame) -> list[Entry]:
    """Pipes not the subject of a network's sheet (outside the community, or of other
    networks), thin and grey under it; the legend entry says so."""
    if pipes is None or pipes.empty:
        return []
    _plot(ax, pipes, color="#bdbdbd", linewidth=0.6, zorder=2)
    return [(Line2D([], [], color="#bdbdbd", lw=0.6), bilingual("legend.other_pipe"))]


def draw_buildings(ax: Axes, buildings: gpd.GeoDataFrame, *, faint: bool = False) -> list[Entry]:
    """Buildings filled by roof type (平屋面 / 坡屋面); ``faint`` for the pipe sheets."""
    if buildings.empty:
        return []
    roof = buildings["roof"].fillna("").astype(str) if "roof" in buildings else pd.Series(
        "", index=buildings.index)
    known = styles()["roof"]
    colours = roof.map(lambda r: known[r]["value"] if r in known else "#969696")
    if faint:
        _plot(ax, buildings, color="#f0f0f0", edgecolor="#969696", linewidth=0.4, zorder=3)
        return [(Patch(fc="#f0f0f0", ec="#969696"), bilingual("legend.buildings"))]
    _plot(ax, buildings, color=colours.tolist(), edgecolor="#252525", linewidth=0.5,
          alpha=0.85, zorder=3)
    unit = sheet_labels()["legend.buildings_unit"]
    return [(Patch(fc=known[r]["value"], ec="#252525", alpha=0.85),
             f"{_styled('roof', r)}（{n}{unit}）")
            for r, n in roof.value_counts().sort_index().items() if r in known]


def draw_structures(ax: Axes, structures: gpd.GeoDataFrame) -> list[Entry]:
    """Illegal structures and sheds, hatched, coloured by status."""
    if structures.empty:
        return []
    status = structures["status"].fillna("identified").astype(str)
    known = styles()["status"]
    entries: list[Entry] = []
    for s in [k for k in known if (status == k).any()]:
        colour = known[s]["value"]
        part = structures[(status == s).to_numpy()]
        _plot(ax, part, facecolor="none", edgecolor=colour, hatch="////", linewidth=0.8,
              zorder=4)
        entries.append((Patch(fc="none", ec=colour, hatch="////"),
                        f"{_styled('layer', 'structures').split(' ')[0]}·{_styled('status', s)}"
                        f"（{len(part)}）"))
    return entries


def facility_aspects(facilities: pd.DataFrame) -> pd.Series:
    """Each facility's aspect (基础设施, 居住环境...) from the work-item catalogue."""
    cat = read_data("work_items.csv").set_index("code")["aspect"]
    aspect = facilities["item"].map(cat).fillna("other")
    return aspect.where(aspect.isin(list(styles()["aspect"])), "other")


def draw_facilities(ax: Axes, facilities: gpd.GeoDataFrame, *, font_pt: float) -> list[Entry]:
    """Facility points as small dots coloured by aspect; facility areas (greening...) filled."""
    if facilities.empty:
        return []
    aspect = facility_aspects(facilities)
    dims = shapely.get_dimensions(np.asarray(facilities.geometry.array))
    entries: list[Entry] = []
    areas = facilities[dims == 2]
    if len(areas):
        colour = [_style("aspect", a) for a in aspect[dims == 2]]
        _plot(ax, areas, color=colour, alpha=0.3, edgecolor="#238b45", linewidth=0.4, zorder=3)
        entries.append((Patch(fc="#238b45", alpha=0.3), bilingual("legend.facility_area")))
    points = facilities[dims == 0]
    size = (font_pt * 0.5) ** 2
    for a in [k for k in styles()["aspect"] if (aspect[dims == 0] == k).any()]:
        part = points[(aspect[dims == 0] == a).to_numpy()]
        colour = _style("aspect", a)
        _plot(ax, part, color=colour, markersize=size, edgecolor="white", linewidth=0.3,
              zorder=5)
        entries.append((Line2D([], [], ls="", marker="o", mfc=colour, mec="white", ms=5),
                        f"{_styled('aspect', a)}（{len(part)}）"))
    return entries


def pipe_width_pt(diameter_mm: pd.Series) -> np.ndarray:
    """Line width (pt) growing with the diameter, from map_styles.csv ``pipe_width``."""
    steps = sorted((float(k), float(v["value"])) for k, v in styles()["pipe_width"].items())
    edges = np.array([s[0] for s in steps])
    widths = np.array([s[1] for s in steps]) * 0.6
    d = pd.to_numeric(diameter_mm, errors="coerce").fillna(0).to_numpy(dtype=float)
    return widths[np.clip(np.searchsorted(edges, d, side="right") - 1, 0, len(widths) - 1)]


def draw_pipes(ax: Axes, pipes: gpd.GeoDataFrame) -> list[Entry]:
    """Pipes in their network's colour: works (replace, new) solid and as wide as their
    diameter; kept pipes thin, dashed and faint. One legend row per network with its
    renovated length."""
    if pipes.empty:
        return []
    nets = network_styles()
    keep = (pipes["action"] == "keep").to_numpy()
    colour = pipes["network"].map(lambda n: nets.get(n, {"color": "#737373"})["color"])
    width = pipe_width_pt(pipes["diameter_mm"])
    _plot(ax, pipes[keep], color=colour[keep].tolist(), linewidth=0.8,
          linestyle=(0, (4, 2)), alpha=0.6, zorder=PIPE_Z)
    _plot(ax, pipes[~keep], color=colour[~keep].tolist(), linewidth=width[~keep].tolist(),
          zorder=WORKS_Z, capstyle="round")
    length = shapely.length(np.asarray(pipes.geometry.array))
    works = pd.DataFrame({"network": pipes["network"].to_numpy(), "length": length,
                          "keep": keep})
    works["action"] = pipes["action"].to_numpy()
    entries: list[Entry] = []
    act = labels()
    for net in [n for n in nets if (works["network"] == n).any()]:
        mine = works[(works["network"] == net) & ~works["keep"]]
        done = mine.groupby("action")["length"].sum()
        text = f"{nets[net]['name']} {_network_en(net)}"
        if len(done):
            text += "：" + " / ".join(f"{act.get(f'action.{a}', a)} {v:,.0f} m"
                                     for a, v in done.items())
        entries.append((Line2D([], [], color=nets[net]["color"], lw=2.0) if len(done) else
                        Line2D([], [], color=nets[net]["color"], lw=0.8, ls=(0, (4, 2)),
                               alpha=0.6), text))
    entries.append((Line2D([], [], color="#737373", lw=3.0), bilingual("legend.pipe_width")))
    if keep.any():
        entries.append((Line2D([], [], color="#737373", lw=0.8, ls=(0, (4, 2)), alpha=0.6),
                        bilingual("legend.kept")))
    return entries


def _network_en(network: str) -> str:
    table = read_data("networks.csv").set_index("network")
    return str(table["name_en"].get(network, network))


@dataclass(frozen=True)
class Labels:
    """Labels to place: anchor (metres), text, size (pt), rotation (deg), colour, priority."""

    x: np.ndarray
    y: np.ndarray
    text: np.ndarray
    size: np.ndarray
    rotation: np.ndarray
    colour: np.ndarray
    priority: np.ndarray

    @classmethod
    def make(cls, x, y, text, *, size: float, rotation=0.0, colour="#252525",
             priority=0.0) -> Labels:
        n = len(np.asarray(x))

        def full(v, dtype):
            return np.broadcast_to(np.asarray(v, dtype=dtype), (n,)).copy()

        return cls(np.asarray(x, dtype=float), np.asarray(y, dtype=float),
                   np.asarray(text, dtype=object), full(size, float), full(rotation, float),
                   full(colour, object), full(priority, float))

    @classmethod
    def concat(cls, parts: list[Labels]) -> Labels:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                     ("x", "y", "text", "size", "rotation", "colour", "priority")))


def _upright(angle: np.ndarray) -> np.ndarray:
    """Angles (deg) turned to read left to right: in (-90, 90]."""
    a = (np.asarray(angle, dtype=float) + 180.0) % 180.0
    return np.where(a > 90.0, a - 180.0, a)


def area_labels(areas: gpd.GeoDataFrame, column: str, *, font_pt: float, colour: str,
                priority: np.ndarray | float = 0.0,
                within: shapely.Geometry | None = None) -> Labels:
    """A label inside each area (on the part inside ``within``, where given); an area of
    several parts is labelled on each part at least a third as large as its largest."""
    geoms = np.asarray(areas.geometry.array)
    if within is not None:
        geoms = shapely.intersection(geoms, within)
    parts, idx = shapely.get_parts(geoms, return_index=True)
    size = shapely.area(parts)
    largest = pd.Series(size).groupby(idx).transform("max").to_numpy()
    keep = (size > 0) & (size >= largest / 3)
    pts = shapely.point_on_surface(parts[keep])
    prio = np.broadcast_to(np.asarray(priority, dtype=float), len(geoms))[idx[keep]]
    return Labels.make(shapely.get_x(pts), shapely.get_y(pts),
                       areas[column].astype(str).to_numpy()[idx[keep]], size=font_pt,
                       colour=colour, priority=prio - (size[keep] < largest[keep]))


def building_labels(buildings: gpd.GeoDataFrame, *, community_name: str,
                    font_pt: float) -> Labels:
    """``1号楼 5层`` along each building's long side (the community's name cut off)."""
    if buildings.empty:
        return Labels.make([], [], [], size=font_pt)
    name = buildings["name"].fillna("").astype(str) if "name" in buildings else pd.Series(
        "", index=buildings.index)
    short = name.str.removeprefix(community_name) if community_name else name
    if "building_id" in buildings:
        short = short.where(short.str.len() > 0, buildings["building_id"].astype(str))
    floors = pd.to_numeric(buildings.get("floors"), errors="coerce")
    unit = sheet_labels()["floors"]
    text = short + floors.map(lambda f: "" if pd.isna(f) else f" {int(f)}{unit}")
    geoms = np.asarray(buildings.geometry.array)
    rect = shapely.oriented_envelope(geoms)
    ring = shapely.get_coordinates(shapely.get_exterior_ring(rect)).reshape(len(geoms), -1, 2)
    e1, e2 = ring[:, 1] - ring[:, 0], ring[:, 2] - ring[:, 1]
    long_edge = np.where((np.hypot(*e1.T) >= np.hypot(*e2.T))[:, None], e1, e2)
    angle = _upright(np.degrees(np.arctan2(long_edge[:, 1], long_edge[:, 0])))
    pts = shapely.centroid(rect)
    return Labels.make(shapely.get_x(pts), shapely.get_y(pts), text.to_numpy(),
                       size=font_pt, rotation=angle, priority=200.0)


def pipe_labels(pipes: gpd.GeoDataFrame, *, font_pt: float) -> Labels:
    """``污水DN300`` in the network's colour along the middle of each renovated pipe."""
    works = pipes[(pipes["action"] != "keep").to_numpy()]
    if works.empty:
        return Labels.make([], [], [], size=font_pt)
    nets = network_styles()
    geoms = np.asarray(works.geometry.array)
    parts, idx = shapely.get_parts(geoms, return_index=True)
    longest = pd.Series(shapely.length(parts)).groupby(idx).idxmax().to_numpy()
    line = parts[longest]
    length = shapely.length(line)
    mid = shapely.line_interpolate_point(line, 0.5, normalized=True)
    a = shapely.line_interpolate_point(line, np.maximum(length / 2 - 1.0, 0))
    b = shapely.line_interpolate_point(line, np.minimum(length / 2 + 1.0, length))
    angle = _upright(np.degrees(np.arctan2(shapely.get_y(b) - shapely.get_y(a),
                                           shapely.get_x(b) - shapely.get_x(a))))
    dia = pd.to_numeric(works["diameter_mm"], errors="coerce")
    zh = works["network"].map(lambda n: nets.get(n, {"name": str(n)})["name"])
    text = zh + dia.map(lambda d: "" if pd.isna(d) else f"DN{int(d)}")
    colour = works["network"].map(lambda n: nets.get(n, {"color": "#737373"})["color"])
    return Labels.make(shapely.get_x(mid), shapely.get_y(mid), text.to_numpy(),
                       size=font_pt, rotation=angle, colour=colour.to_numpy(),
                       priority=100.0 + np.minimum(length, 99.0))


def choose_labels(ax: Axes, labels_: Labels, *, denominator: int,
                  taken: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The labels that fit: inside the map frame, overlapping neither each other nor the
    ``taken`` boxes (metres), most important first; their indices and boxes (metres)."""
    n = len(labels_.x)
    if n == 0:
        return np.zeros(0, dtype=int), np.zeros((0, 4))
    per_mm = denominator / 1000.0
    w = np.array([text_width_mm(t, s) for t, s in zip(labels_.text, labels_.size,
                                                      strict=True)]) * per_mm
    h = labels_.size * PT_MM * 1.25 * per_mm
    r = np.radians(labels_.rotation)
    half_w = (np.abs(w * np.cos(r)) + np.abs(h * np.sin(r))) / 2
    half_h = (np.abs(w * np.sin(r)) + np.abs(h * np.cos(r))) / 2
    boxes = np.column_stack([labels_.x - half_w, labels_.y - half_h,
                             labels_.x + half_w, labels_.y + half_h])
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    inside = ((boxes[:, 0] > x0) & (boxes[:, 2] < x1) & (boxes[:, 1] > y0)
              & (boxes[:, 3] < y1))
    fixed = np.zeros((0, 4)) if taken is None else np.asarray(taken, dtype=float)
    all_boxes = np.vstack([fixed, boxes[inside]])
    priority = np.concatenate([np.full(len(fixed), np.inf), labels_.priority[inside]])
    keep = declutter(all_boxes, priority=priority)[len(fixed):]
    chosen = np.flatnonzero(inside)[keep]
    return chosen, boxes[chosen]


def draw_labels(ax: Axes, labels_: Labels, chosen: np.ndarray) -> list:
    """Draw the ``chosen`` labels (indices) on their light boxes; return the texts."""
    return [ax.text(labels_.x[i], labels_.y[i], labels_.text[i], fontsize=labels_.size[i],
                    rotation=labels_.rotation[i], rotation_mode="anchor", ha="center",
                    va="center", color=labels_.colour[i], bbox=LABEL_BOX, zorder=LABEL_Z,
                    clip_on=True) for i in chosen]


def place_labels(ax: Axes, labels_: Labels, *, denominator: int,
                 taken: np.ndarray | None = None) -> int:
    """Draw the labels that fit (:func:`choose_labels`); return how many."""
    chosen, _ = choose_labels(ax, labels_, denominator=denominator, taken=taken)
    return len(draw_labels(ax, labels_, chosen))
