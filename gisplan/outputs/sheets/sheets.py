"""The plan's map sheets (出图): the city overview, and per community its renovation scope and
its pipe works, each as a PDF (fonts embedded) and a PNG.

A sheet is drawn on a fresh figure, saved and cleared before the next one, so
memory stays flat with many communities. ``sheets.csv`` lists every sheet
(图纸目录): file, number, title, scale, paper.

Examples
--------
>>> from gisplan.inputs.validation import load_layers
>>> from gisplan.analysis.scope import compute_scope
>>> layers = load_layers("layers/hunchun2020")                        # doctest: +SKIP
>>> write_sheets_for_plan(layers, compute_scope(layers), None, Path("sheets"))  # doctest: +SKIP
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely

from gisplan import __version__
from gisplan.analysis.scope import Scope
from gisplan.analysis.zones import Zones
from gisplan.errors import OutputError
from gisplan.inputs.problems import Report
from gisplan.inputs.validation import Layers
from gisplan.outputs.exports.layer_files import enrich_layers, select_community
from gisplan.outputs.sheets import draw
from gisplan.outputs.sheets.font import rc_params
from gisplan.outputs.sheets.layout import (
    MIN_FONT_PT,
    Page,
    bilingual,
    choose_scale,
    legend,
    map_axes,
    north_arrow,
    scale_bar,
    sheet_labels,
    title_block,
)
from gisplan.outputs.tables import write_csv
from gisplan.plan.catalogue import labels
from gisplan.plan.sheets import SheetSettings

FORMATS = ("pdf", "png")
INDEX = "sheets.csv"


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


@dataclass(frozen=True)
class Sheet:
    """One written sheet: its files and its line in ``sheets.csv``."""

    files: tuple[Path, ...]
    number: str
    title: str
    denominator: int
    community_id: str = ""


def _save(fig, folder: Path, stem: str, options: SheetOptions) -> tuple[Path, ...]:
    paths = []
    for fmt in options.formats:
        path = folder / f"{stem}.{fmt}"
        extra = ({"metadata": {"Title": stem, "Creator": f"gisplan {__version__}"}}
                 if fmt == "pdf" else {"pil_kwargs": {"compress_level": 3}})  # 1.5x faster
        fig.savefig(path, format=fmt, dpi=options.settings.dpi, **extra)
        paths.append(path)
    fig.clear()
    return tuple(paths)


def _furniture(fig, ax, page: Page, denominator: int, *, title: str, number: str,
               options: SheetOptions, entries: list, notes: list[str]) -> np.ndarray:
    """Scale bar, north arrow, legend and title block; the map boxes they cover (metres)."""
    ax.set_xlabel("")
    ax.set_ylabel("")
    metres, _ = scale_bar(ax, denominator, font_pt=page.font_pt)
    north_arrow(fig, page, font_pt=page.font_pt)
    legend(fig, page, entries, notes=notes)
    title_block(fig, page, {
        "plan": options.plan_name, "sheet": title, "number": number,
        "scale": f"1:{denominator:,}", "date": options.date, "crs": options.crs,
        "made_by": f"gisplan {__version__}", "note": options.settings.note})
    per_mm = denominator / 1000.0
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    return np.array([[x0, y0, x0 + metres + 16 * per_mm, y0 + 16 * per_mm],
                     [x1 - 18 * per_mm, y1 - 26 * per_mm, x1, y1]])


def _in_view(gdf: gpd.GeoDataFrame, view: shapely.Geometry) -> gpd.GeoDataFrame:
    if gdf is None or gdf.empty:
        return gdf
    return gdf.iloc[np.sort(gdf.sindex.query(view, predicate="intersects"))]


def overview_sheet(enriched: Mapping[str, gpd.GeoDataFrame], folder: Path,
                   options: SheetOptions) -> Sheet:
    """The city: communities by renovation type and named, zones, barriers, buildings."""
    page = options.page
    com = enriched["communities"]
    bounds = tuple(shapely.total_bounds(np.asarray(com.geometry.array)))
    n = choose_scale(bounds, page.map_box)
    fig = page.figure()
    ax = map_axes(fig, page, bounds, n)
    view = shapely.box(*ax.get_xlim()[:1], ax.get_ylim()[0], ax.get_xlim()[1], ax.get_ylim()[1])
    entries = draw.draw_communities(ax, com)
    entries += draw.draw_zones(ax, enriched.get("zones"))
    draw.draw_buildings(ax, _in_view(enriched["buildings"], view), faint=True)
    entries += draw.draw_barriers(ax, _in_view(enriched["barriers"], view))
    title = bilingual("sheet.overview")
    taken = _furniture(fig, ax, page, n, title=title, number="00", options=options,
                       entries=entries, notes=_city_notes(com))
    names = draw.area_labels(com, "name", font_pt=page.font_pt, colour="#111111",
                             priority=com["households"].to_numpy(dtype=float)
                             if "households" in com else 0.0)
    zone_names = (draw.area_labels(enriched["zones"], "zone_id", font_pt=MIN_FONT_PT,
                                   colour=draw.styles()["layer"]["zones"]["value"],
                                   priority=-1.0)
                  if "zones" in enriched and len(enriched["zones"]) else None)
    draw.place_labels(ax, draw.Labels.concat([names] + ([zone_names] if zone_names else [])),
                      denominator=n, taken=taken)
    return Sheet(_save(fig, folder, "00_overview", options), "00", title, n)


def _city_notes(com: gpd.GeoDataFrame) -> list[str]:
    if not {"buildings", "households", "floor_area_m2"} <= set(com.columns):
        return []
    lines = [f"{sheet_labels()['legend.communities']} {len(com):,} · 楼栋 "
             f"{com['buildings'].sum():,.0f} · 户数 {com['households'].sum():,.0f}"
             f" · 建筑面积 {com['floor_area_m2'].sum():,.0f} ㎡"]
    if "street" in com:
        streets = com["street"].fillna("—").astype(str).value_counts(sort=False)
        unit = sheet_labels()["legend.communities_unit"]
        lines.append(" · ".join(f"{s} {n}{unit}" for s, n in streets.items()))
    return lines


def _community_notes(row: pd.Series) -> list[str]:
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


def community_sheets(enriched: Mapping[str, gpd.GeoDataFrame], community_id: str,
                     folder: Path, options: SheetOptions, *, number: str,
                     stem: str | None = None) -> list[Sheet]:
    """The community's renovation scope sheet and, when it has pipes, its pipe works sheet:
    ``<stem>_scope`` and ``<stem>_pipes`` (``stem``: by default the id as a file name)."""
    from gisplan.outputs.packages import folder_name

    own = select_community(enriched, community_id)
    row = own["communities"].iloc[0]
    name = str(row.get("name") or community_id)
    page = options.page
    bounds = tuple(shapely.total_bounds(np.asarray(own["communities"].geometry.array)))
    n = choose_scale(bounds, page.map_box)
    stem = stem or folder_name(community_id)
    street = str(row.get("street") or "")
    sheets = []
    for kind in ("scope", "pipes"):
        if kind == "pipes" and own["pipes"].empty:
            continue
        fig = page.figure()
        ax = map_axes(fig, page, bounds, n)
        view = shapely.box(ax.get_xlim()[0], ax.get_ylim()[0], ax.get_xlim()[1],
                           ax.get_ylim()[1])
        com = enriched["communities"]
        neighbours = _in_view(com, view)
        neighbours = neighbours[neighbours["community_id"] != community_id]
        b = _in_view(enriched["buildings"], view)
        entries = (draw.draw_boundary(ax, own["communities"]) if kind == "scope" else
                   draw.draw_boundary(ax, own["communities"], tint=0.05, line="#252525"))
        context_pipes = _in_view(enriched["pipes"], view) if kind == "pipes" else None
        entries += draw.draw_context(ax, neighbours, b[b["community_id"] != community_id],
                                     context_pipes)
        entries += draw.draw_barriers(ax, _in_view(enriched["barriers"], view))
        size = max(MIN_FONT_PT, page.font_pt * 0.8)
        if kind == "scope":
            entries += draw.draw_buildings(ax, own["buildings"])
            entries += draw.draw_structures(ax, own["structures"])
            entries += draw.draw_facilities(ax, own["facilities"], font_pt=page.font_pt)
            found = [draw.building_labels(own["buildings"], community_name=name, font_pt=size)]
        else:
            entries += draw.draw_buildings(ax, own["buildings"], faint=True)
            entries += draw.draw_pipes(ax, own["pipes"])
            found = [draw.building_labels(own["buildings"], community_name=name,
                                          font_pt=MIN_FONT_PT),
                     draw.pipe_labels(own["pipes"], font_pt=size)]
        inner = view.buffer(-8 * n / 1000.0)
        found.append(draw.area_labels(neighbours, "name", font_pt=page.font_pt,
                                      colour="#636363", priority=300.0, within=inner))
        title = f"{street} {name} {sheet_labels()[f'sheet.{kind}']}".strip()
        no = f"{number}-{1 if kind == 'scope' else 2}"
        taken = _furniture(fig, ax, page, n, title=title, number=no, options=options,
                           entries=entries, notes=_community_notes(row))
        draw.place_labels(ax, draw.Labels.concat(found), denominator=n, taken=taken)
        files = _save(fig, folder, f"{stem}_{kind}", options)
        sheets.append(Sheet(files, no, title, n, community_id))
    return sheets


def sheet_texts(enriched: Mapping[str, gpd.GeoDataFrame], options: SheetOptions) -> list[str]:
    """Every text a sheet of the plan may set, as a few strings, for the font subset
    (:func:`gisplan.outputs.sheets.font.plan_family`): the layers' text columns, the
    catalogues (``gisplan/plan/data``), the literals of the modules that draw the sheets,
    and the title block's fields. A character missed here is still drawn (by the whole
    font), only more slowly."""
    from importlib.resources import files

    texts = [options.plan_name, options.crs, options.date, options.settings.note,
             __version__]
    for frame in enriched.values():
        if frame is None:
            continue
        for col in frame.columns:
            if col != frame.geometry.name and frame[col].dtype in (object, "string"):
                texts.append("".join(frame[col].dropna().astype(str).unique()))
    data = files("gisplan.plan") / "data"
    texts += [p.read_text(encoding="utf-8") for p in data.iterdir() if p.name.endswith(".csv")]
    texts += [p.read_text(encoding="utf-8") for p in Path(draw.__file__).parent.glob("*.py")]
    return texts


def _numbers(ids: pd.Series) -> dict[str, tuple[str, str]]:
    """Each community's sheet number (its place in the layer) and file stem (its id as a
    file name, told apart where ids differ only in case, as the package folders)."""
    from gisplan.outputs.packages import folder_names

    width = max(2, len(str(len(ids))))
    return {str(c): (f"{i + 1:0{width}d}", stem)
            for i, (c, stem) in enumerate(zip(ids, folder_names(list(ids)), strict=True))}


def write_sheets(enriched: Mapping[str, gpd.GeoDataFrame], folder: Path,
                 options: SheetOptions, *, communities: Iterable[str] | None = None,
                 overview: bool = True) -> list[Path]:
    """Draw the overview and every community's sheets (or those named) into ``folder``.

    Parameters
    ----------
    enriched : mapping of str to GeoDataFrame
        :func:`~gisplan.outputs.exports.layer_files.enrich_layers` of the plan.
    folder : Path
        Created if missing; write into a staging folder
        (:func:`gisplan.outputs.staging.staged_output`) so a failure leaves nothing.
    options : SheetOptions
    communities : iterable of str, optional, keyword-only
        Community ids; default all. An unknown id is an error naming the known ones.
    overview : bool, keyword-only
        Draw the city overview too.

    Returns
    -------
    list of Path
        Every file written, ``sheets.csv`` last.
    """
    ids = enriched["communities"]["community_id"].astype(str)
    wanted = list(ids) if communities is None else [str(c) for c in communities]
    unknown = [c for c in wanted if c not in set(ids)]
    if unknown:
        raise OutputError(f"communities layer: no community_id {', '.join(unknown)}; "
                          f"known: {', '.join(ids[:20])}{' …' if len(ids) > 20 else ''}")
    folder.mkdir(parents=True, exist_ok=True)
    numbers = _numbers(ids)
    sheets: list[Sheet] = []
    with matplotlib.rc_context(rc_params(sheet_texts(enriched, options))):
        if overview:
            sheets.append(overview_sheet(enriched, folder, options))
        for cid in wanted:
            number, stem = numbers[cid]
            sheets += community_sheets(enriched, cid, folder, options, number=number,
                                       stem=stem)
    index = pd.DataFrame({
        "图号 number": [s.number for s in sheets],
        "图名 title": [s.title for s in sheets],
        "比例 scale": [f"1:{s.denominator}" for s in sheets],
        "图幅 paper": options.settings.paper,
        "社区编号 community_id": [s.community_id for s in sheets],
        "文件 files": [" ".join(p.name for p in s.files) for s in sheets]})
    write_csv(index, folder / INDEX)
    return [p for s in sheets for p in s.files] + [folder / INDEX]


def write_sheets_for_plan(layers: Layers, scope: Scope, zones: Zones | None, folder: Path, *,
                          paper: str | None = None, dpi: int | None = None,
                          communities: Iterable[str] | None = None,
                          enriched: Mapping[str, gpd.GeoDataFrame] | None = None,
                          date: str | None = None) -> list[Path]:
    """:func:`write_sheets` for a loaded plan: its name, CRS and ``[sheets]`` settings, with
    ``paper`` and ``dpi`` overriding them."""
    settings = layers.plan.sheets
    settings = SheetSettings(paper=paper or settings.paper, dpi=dpi or settings.dpi,
                             note=settings.note)
    options = SheetOptions(plan_name=layers.plan.name, crs=layers.plan.crs, settings=settings,
                           **({"date": date} if date else {}))
    if enriched is None:
        enriched = enrich_layers(layers, scope, zones)
    return write_sheets(enriched, folder, options, communities=communities,
                        overview=communities is None)


def package_sheet_writer(enriched: Mapping[str, gpd.GeoDataFrame], options: SheetOptions, *,
                         drawn: Path | None = None):
    """``sheet_writer`` for :func:`gisplan.outputs.packages.write_packages`: copies the
    community's sheets from ``drawn`` (a folder :func:`write_sheets` filled), else draws
    them into the package."""
    import shutil

    numbers = _numbers(enriched["communities"]["community_id"].astype(str))
    texts = sheet_texts(enriched, options)

    def write(community_id: str, target: Path) -> list[Path]:
        number, stem = numbers[str(community_id)]
        if drawn is not None:
            found = sorted(p for p in drawn.glob(f"{stem}_*") if p.suffix[1:] in FORMATS
                           and p.stem in (f"{stem}_scope", f"{stem}_pipes"))
            if found:
                return [Path(shutil.copy2(p, target / p.name)) for p in found]
        with matplotlib.rc_context(rc_params(texts)):
            sheets = community_sheets(enriched, community_id, target, options,
                                      number=number, stem=stem)
        return [p for s in sheets for p in s.files]

    return write


def glyph_report(enriched: Mapping[str, gpd.GeoDataFrame]) -> Report:
    """Warnings for names the sheets' font has no glyph for (they would print as boxes):
    community names and streets, building names; each located by layer, id and field."""
    from gisplan.outputs.sheets.font import FAMILY, missing_glyphs

    report = Report()
    for layer, id_col, cols in (("communities", "community_id", ("name", "street")),
                                ("buildings", "building_id", ("name",))):
        frame = enriched.get(layer)
        if frame is None:
            continue
        for col in [c for c in cols if c in frame]:
            text = frame[col].fillna("").astype(str)
            absent = missing_glyphs("".join(set("".join(text.unique()))))
            if not absent:
                continue
            hit = text.map(lambda v, absent=absent: "".join(c for c in dict.fromkeys(v)
                                                           if c in absent))
            for fid, value, chars in zip(frame[id_col], text, hit, strict=True):
                if chars:
                    report.add("warning", layer, "glyph",
                               f"{col} '{value}': the sheets' font ({FAMILY}) has no glyph for "
                               f"{' '.join(chars)}; they print as boxes", feature_id=str(fid),
                               field=col)
    return report
