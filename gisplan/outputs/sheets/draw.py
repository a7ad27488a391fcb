"""The layers of a map sheet, drawn in the plan's metric CRS.

Each ``draw_*`` function adds one layer in one call per style (vectorised: one
matplotlib collection each, :mod:`~gisplan.outputs.sheets.artists`) and returns its
legend entries; labels are made and placed by :mod:`~gisplan.outputs.sheets.labels`
(re-exported here).
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

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from gisplan.outputs.sheets.artists import add_geometries
from gisplan.outputs.sheets.labels import (
    LABEL_Z,
    Labels,
    area_labels,
    building_labels,
    choose_labels,
    draw_labels,
    pipe_labels,
    place_labels,
)
from gisplan.outputs.sheets.layout import bilingual, sheet_labels
from gisplan.outputs.webmap.styles import network_styles, styles
from gisplan.plan.catalogue import labels, read_data

__all__ = ["LABEL_Z", "PIPE_Z", "WORKS_Z", "Labels", "area_labels", "building_labels",
           "choose_labels", "draw_barriers", "draw_boundary", "draw_buildings",
           "draw_communities", "draw_context", "draw_facilities", "draw_labels",
           "draw_other_pipes", "draw_pipes", "draw_structures", "draw_zones",
           "facility_aspects", "pipe_labels", "pipe_width_pt", "place_labels"]

#: A legend entry: the handle matplotlib draws and its text.
Entry = tuple[object, str]
BOUNDARY_RED = "#d7191c"
#: Drawing order of the pipes (kept under works) and of the labels, over everything else
#: of the map but the scale bar: a pipe sheet redraws only what lies at or above PIPE_Z.
PIPE_Z, WORKS_Z = 6, 7


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
