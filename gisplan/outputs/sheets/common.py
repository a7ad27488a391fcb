"""What every sheet shares: the plan's options, the record of a written sheet, the page
furniture (scale bar, north arrow, title block, legend) and saving.

Examples
--------
>>> SheetOptions("珲春市", "EPSG:4552", date="2026-01-02").page.paper
'A3'
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gisplan import __version__
from gisplan.outputs.sheets.layout import (
    Page,
    block_values,
    map_axes,
    north_arrow,
    scale_bar,
    title_block,
)
from gisplan.outputs.sheets.legend import legend
from gisplan.outputs.sheets.render import draw_png, new_canvas, write_pdf
from gisplan.plan.sheets import SheetSettings

FORMATS = ("pdf", "png")


@dataclass(frozen=True)
class SheetOptions:
    """What every sheet of a plan shares: its title block and its paper."""

    plan_name: str
    crs: str
    settings: SheetSettings = field(default_factory=SheetSettings)
    date: str = field(default_factory=lambda: datetime.date.today().isoformat())
    formats: tuple[str, ...] = FORMATS

    @property
    def page(self) -> Page:
        return Page.for_paper(self.settings.paper)

    def block(self, denominator: int) -> dict[str, str]:
        """The title block's fields every sheet at 1:``denominator`` shares."""
        return {"plan": self.plan_name, "scale": f"1:{denominator:,}", "date": self.date,
                "crs": self.crs, "made_by": f"gisplan {__version__}",
                "note": self.settings.note}


@dataclass(frozen=True)
class Sheet:
    """One written sheet: its files and its line in ``sheets.csv``."""

    files: tuple[Path, ...]
    number: str
    title: str
    denominator: int
    community_id: str = ""
    network: str = ""


def new_map(options: SheetOptions, bounds: tuple[float, float, float, float],
            denominator: int) -> tuple[Figure, Axes, shapely.Geometry]:
    """A page on an Agg canvas at the PNG's dpi, its map axes centred on ``bounds`` at
    1:``denominator`` and the map frame's extent (metres)."""
    page = options.page
    fig = new_canvas(page.figure(), dpi=options.settings.dpi)
    ax = map_axes(fig, page, bounds, denominator)
    view = shapely.box(ax.get_xlim()[0], ax.get_ylim()[0], ax.get_xlim()[1],
                       ax.get_ylim()[1])
    return fig, ax, view


def furniture(fig: Figure, ax: Axes, options: SheetOptions,
              denominator: int) -> tuple[Axes, np.ndarray]:
    """Scale bar, north arrow and the title block's shared fields; the block's axes and
    the map boxes the scale bar and north arrow cover (metres)."""
    page = options.page
    metres, _ = scale_bar(ax, denominator, font_pt=page.font_pt)
    north_arrow(fig, page, font_pt=page.font_pt)
    block = title_block(fig, page, options.block(denominator))
    per_mm = denominator / 1000.0
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    return block, np.array([[x0, y0, x0 + metres + 16 * per_mm, y0 + 16 * per_mm],
                            [x1 - 18 * per_mm, y1 - 26 * per_mm, x1, y1]])


def panel(fig: Figure, block: Axes, options: SheetOptions, *, title: str, number: str,
          entries: list, notes: list[str]) -> list:
    """What differs between sheets beside the map: the legend and the title block's
    title and number; returns the artists added (to draw or remove them)."""
    page = options.page
    return [legend(fig, page, entries, notes=notes),
            *block_values(block, page, {"sheet": title, "number": number})]


def save(fig: Figure, folder: Path, stem: str, options: SheetOptions) -> tuple[Path, ...]:
    """The whole figure in each of the options' formats; the figure is cleared after."""
    paths = []
    for fmt in options.formats:
        path = folder / f"{stem}.{fmt}"
        paths.append(write_pdf(fig, path, title=stem) if fmt == "pdf" else draw_png(fig, path))
    fig.clear()
    return tuple(paths)


def in_view(gdf: gpd.GeoDataFrame | None, view: shapely.Geometry) -> gpd.GeoDataFrame | None:
    """The features of ``gdf`` that meet ``view`` (rtree), in their order."""
    if gdf is None or gdf.empty:
        return gdf
    return gdf.iloc[np.sort(gdf.sindex.query(view, predicate="intersects"))]
