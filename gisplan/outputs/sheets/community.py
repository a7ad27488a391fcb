"""A community's sheets: its renovation scope, and its pipe works one sheet per network.

A network gets a sheet when the community has works on it (pipes replaced or new;
networks are the rows of ``gisplan/plan/data/networks.csv``, in that order). Each
network's sheet shows that network's pipes in its colour, works solid and as wide as
their diameter, kept pipes dashed, labelled ``污水DN300``, over the same map: the
community's boundary, its buildings (faint, labelled), the other pipes (grey: outside
the community or of other networks), the neighbours and barriers. That map is built
once per community; each network adds its pipes, labels, legend and title, is saved,
and is taken off again (its PNG drawn over the map's pixels: see
:mod:`~gisplan.outputs.sheets.render`).

Examples
--------
>>> import pandas as pd
>>> networks_with_works(pd.DataFrame({"network": ["gas", "water", "sewer", "water"],
...                                   "action": ["replace", "keep", "new", "new"]}))
['water', 'sewer', 'gas']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from gisplan.outputs.exports.layer_files import select_community
from gisplan.outputs.sheets import draw
from gisplan.outputs.sheets.common import (
    Sheet,
    SheetOptions,
    furniture,
    in_view,
    new_map,
    panel,
    save,
)
from gisplan.outputs.sheets.layout import (
    MIN_FONT_PT,
    PT_MM,
    bilingual,
    choose_scale,
    sheet_labels,
)
from gisplan.outputs.sheets.render import Backdrop, write_pdf
from gisplan.outputs.webmap.styles import network_styles
from gisplan.plan.catalogue import labels, read_data


def networks_with_works(pipes: pd.DataFrame) -> list[str]:
    """The networks with works (action not ``keep``) among ``pipes``: those of
    networks.csv in its order, then any other in name order."""
    works = set(pipes.loc[(pipes["action"] != "keep").to_numpy(), "network"].astype(str))
    order = list(network_styles())
    return [n for n in order if n in works] + sorted(works - set(order))


def network_names(network: str) -> tuple[str, str]:
    """The network's Chinese and English names (networks.csv), else its id twice."""
    table = read_data("networks.csv").set_index("network")
    if network not in table.index:
        return network, network
    return str(table.at[network, "name_zh"]), str(table.at[network, "name_en"])


def community_notes(row: pd.Series) -> list[str]:
    """The lines under a community sheet's legend: street, name, type; its figures."""
    zh = labels()
    rtype = row.get("renovation_type")
    lines = [f"{row.get('street', '') or ''} {row.get('name', '')} · "
             f"{zh.get(f'renovation_type.{rtype}', rtype or '')}".strip()]
    if "households" in row:
        lines.append(f"楼栋 {row.get('buildings', 0):,.0f} 栋 · 户数 "
                     f"{row.get('households', 0):,.0f} 户 · 建筑面积 "
                     f"{row.get('floor_area_m2', 0):,.0f} ㎡")
    if "cost_cny" in row and pd.notna(row.get("cost_cny")):
        lines.append(f"改造费用 {row['cost_cny'] / 1e4:,.1f} 万元 (CNY 10k)")
    return lines


@dataclass(frozen=True)
class _Place:
    """A community's map: its own features, scale and what to call it."""

    community_id: str
    own: dict[str, gpd.GeoDataFrame]
    name: str
    street: str
    bounds: tuple[float, float, float, float]
    denominator: int
    notes: list[str]

    @classmethod
    def of(cls, enriched: Mapping[str, gpd.GeoDataFrame], community_id: str,
           options: SheetOptions) -> _Place:
        own = select_community(enriched, community_id)
        row = own["communities"].iloc[0]
        bounds = tuple(shapely.total_bounds(np.asarray(own["communities"].geometry.array)))
        return cls(community_id, own, str(row.get("name") or community_id),
                   str(row.get("street") or ""), bounds,
                   choose_scale(bounds, options.page.map_box), community_notes(row))

    def title(self, kind: str) -> str:
        return f"{self.street} {self.name} {kind}".strip()


def _context(ax: Axes, enriched: Mapping[str, gpd.GeoDataFrame], place: _Place,
             view: shapely.Geometry) -> tuple[list, gpd.GeoDataFrame]:
    """Neighbours, buildings outside and barriers in view; their entries and the
    neighbours (to label)."""
    neighbours = in_view(enriched["communities"], view)
    neighbours = neighbours[neighbours["community_id"] != place.community_id]
    b = in_view(enriched["buildings"], view)
    entries = draw.draw_context(ax, neighbours, b[b["community_id"] != place.community_id])
    entries += draw.draw_barriers(ax, in_view(enriched["barriers"], view))
    return entries, neighbours


def _names(neighbours: gpd.GeoDataFrame, view: shapely.Geometry, options: SheetOptions,
           denominator: int) -> draw.Labels:
    inner = view.buffer(-8 * denominator / 1000.0)
    return draw.area_labels(neighbours, "name", font_pt=options.page.font_pt,
                            colour="#636363", priority=300.0, within=inner)


def scope_sheet(enriched: Mapping[str, gpd.GeoDataFrame], place: _Place, folder: Path,
                options: SheetOptions, *, number: str, stem: str) -> Sheet:
    """The community's renovation scope: boundary (红线), buildings by roof, structures,
    facilities, labelled, with its neighbours around."""
    n, own, page = place.denominator, place.own, options.page
    fig, ax, view = new_map(options, place.bounds, n)
    entries = draw.draw_boundary(ax, own["communities"])
    more, neighbours = _context(ax, enriched, place, view)
    entries += more
    entries += draw.draw_buildings(ax, own["buildings"])
    entries += draw.draw_structures(ax, own["structures"])
    entries += draw.draw_facilities(ax, own["facilities"], font_pt=page.font_pt)
    size = max(MIN_FONT_PT, page.font_pt * 0.8)
    found = [draw.building_labels(own["buildings"], community_name=place.name, font_pt=size),
             _names(neighbours, view, options, n)]
    block, taken = furniture(fig, ax, options, n)
    title = place.title(sheet_labels()["sheet.scope"])
    panel(fig, block, options, title=title, number=number, entries=entries,
          notes=place.notes)
    draw.place_labels(ax, draw.Labels.concat(found), denominator=n, taken=taken)
    return Sheet(save(fig, folder, f"{stem}_scope", options), number, title, n,
                 place.community_id)


@dataclass
class _PipeMap:
    """The map every network's sheet of a community shares."""

    fig: Figure
    ax: Axes
    block: Axes
    entries: list
    taken: np.ndarray
    others: gpd.GeoDataFrame  # the pipes in view
    clear: list  # labels no pipe of the community comes near: they stay in the backdrop


def _pipe_map(enriched: Mapping[str, gpd.GeoDataFrame], place: _Place,
              options: SheetOptions) -> _PipeMap:
    n, own = place.denominator, place.own
    fig, ax, view = new_map(options, place.bounds, n)
    entries = draw.draw_boundary(ax, own["communities"], tint=0.05, line="#252525")
    more, neighbours = _context(ax, enriched, place, view)
    others = in_view(enriched["pipes"], view)
    draw.draw_other_pipes(ax, others)
    entries += more
    entries += draw.draw_buildings(ax, own["buildings"], faint=True)
    block, taken = furniture(fig, ax, options, n)
    found = draw.Labels.concat([
        draw.building_labels(own["buildings"], community_name=place.name,
                             font_pt=MIN_FONT_PT), _names(neighbours, view, options, n)])
    chosen, boxes = draw.choose_labels(ax, found, denominator=n, taken=taken)
    texts = draw.draw_labels(ax, found, chosen)
    near = _near_pipes(boxes, own["pipes"], n)
    return _PipeMap(fig, ax, block, entries, np.vstack([taken, boxes]), others,
                    [t for t, hit in zip(texts, near, strict=True) if not hit])


def _near_pipes(boxes: np.ndarray, pipes: gpd.GeoDataFrame, denominator: int) -> np.ndarray:
    """Which label boxes (metres) a pipe of ``pipes`` may touch as drawn: the boxes grown
    by 2 mm of paper (the label's padding, the width estimate's error) and half the
    widest pipe's width."""
    if len(boxes) == 0 or pipes.empty:
        return np.zeros(len(boxes), dtype=bool)
    half_pt = max(float(draw.pipe_width_pt(pipes["diameter_mm"]).max()), 0.8) / 2
    grow = (2.0 + half_pt * PT_MM) * denominator / 1000.0
    grown = shapely.box(boxes[:, 0] - grow, boxes[:, 1] - grow, boxes[:, 2] + grow,
                        boxes[:, 3] + grow)
    hit, _ = shapely.STRtree(np.asarray(pipes.geometry.array)).query(
        grown, predicate="intersects")
    return np.isin(np.arange(len(boxes)), hit)


def _network_layer(pipe_map: _PipeMap, place: _Place, network: str, options: SheetOptions,
                   *, number: str) -> tuple[list, list, str]:
    """One network's pipes, labels, legend and title on the shared map: the map artists
    and the panel artists added, and the title."""
    ax, n = pipe_map.ax, place.denominator
    pipes = place.own["pipes"]
    mine = pipes[(pipes["network"].astype(str) == network).to_numpy()]
    before = set(ax.get_children())
    entries = list(pipe_map.entries) + _grey_rows(pipe_map.others, mine, network)
    entries += draw.draw_pipes(ax, mine)
    size = max(MIN_FONT_PT, options.page.font_pt * 0.8)
    labels_ = draw.pipe_labels(mine, font_pt=size)
    chosen, _ = draw.choose_labels(ax, labels_, denominator=n, taken=pipe_map.taken)
    draw.draw_labels(ax, labels_, chosen)
    added = [a for a in ax.get_children() if a not in before]
    zh, en = network_names(network)
    kind = sheet_labels("zh")["sheet.network_pipes"].format(network=zh)
    title = f"{place.title(kind)} {en}"
    return added, panel(pipe_map.fig, pipe_map.block, options, title=title, number=number,
                        entries=entries, notes=place.notes), title


def _grey_rows(others: gpd.GeoDataFrame | None, mine: gpd.GeoDataFrame,
               network: str) -> list:
    """The grey pipes' legend row, when a pipe in view is not all in this network's
    colour (another network's, or running outside the community)."""
    if others is None or others.empty:
        return []
    ids = mine["pipe_id"].astype(str)
    inside = pd.Series(shapely.length(np.asarray(mine.geometry.array)),
                       index=ids.to_numpy()).groupby(level=0).sum()
    full = shapely.length(np.asarray(others.geometry.array))
    done = inside.reindex(others["pipe_id"].astype(str).to_numpy()).fillna(-1.0).to_numpy()
    same = (others["network"].astype(str) == network).to_numpy()
    if (same & (done >= full - 1e-6)).all():
        return []
    return [(Line2D([], [], color="#bdbdbd", lw=0.6), bilingual("legend.other_pipe"))]


def pipe_sheets(enriched: Mapping[str, gpd.GeoDataFrame], place: _Place, folder: Path,
                options: SheetOptions, *, number: str, stem: str,
                reuse: bool = True) -> list[Sheet]:
    """One sheet per network with works: ``<stem>_pipes_<network>``, numbered on from
    ``number``-2. ``reuse``: build the shared map once (else once per network: the
    reference the tests compare against)."""
    networks = networks_with_works(place.own["pipes"])
    sheets: list[Sheet] = []
    pipe_map = backdrop = None
    for i, network in enumerate(networks):
        if pipe_map is None:
            pipe_map = _pipe_map(enriched, place, options)
            if reuse and "png" in options.formats:
                backdrop = Backdrop(pipe_map.fig, _over(pipe_map))
        no = f"{number}-{i + 2}"
        mine, side, title = _network_layer(pipe_map, place, network, options, number=no)
        file_stem = f"{stem}_pipes_{network}"
        if not reuse:
            files = save(pipe_map.fig, folder, file_stem, options)
            pipe_map = None
        else:
            files = tuple(
                write_pdf(pipe_map.fig, folder / f"{file_stem}.pdf", title=file_stem)
                if fmt == "pdf" else
                backdrop.write_png(folder / f"{file_stem}.png", mine=mine, panel=side)
                for fmt in options.formats)
            for artist in [*mine, *side]:
                artist.remove()
        sheets.append(Sheet(files, no, title, place.denominator, place.community_id,
                            network))
    if pipe_map is not None:
        pipe_map.fig.clear()
    return sheets


def _over(pipe_map: _PipeMap) -> list:
    """What a full draw puts over a network's pipes: the map's artists above them (the
    labels, the scale bar) and the page's (north arrow, frame)."""
    fig, clear = pipe_map.fig, set(map(id, pipe_map.clear))
    return ([a for a in pipe_map.ax.get_children()
             if a.get_zorder() > draw.PIPE_Z and id(a) not in clear]
            + list(fig.artists) + list(fig.texts))


def community_sheets(enriched: Mapping[str, gpd.GeoDataFrame], community_id: str,
                     folder: Path, options: SheetOptions, *, number: str,
                     stem: str | None = None, reuse: bool = True) -> list[Sheet]:
    """The community's renovation scope sheet (``<stem>_scope``, ``number``-1) and one pipe
    works sheet per network with works (``<stem>_pipes_<network>``, ``number``-2, -3...);
    ``stem``: by default the id as a file name."""
    from gisplan.outputs.packages import folder_name

    place = _Place.of(enriched, community_id, options)
    stem = stem or folder_name(community_id)
    return [scope_sheet(enriched, place, folder, options, number=f"{number}-1", stem=stem),
            *pipe_sheets(enriched, place, folder, options, number=number, stem=stem,
                         reuse=reuse)]
