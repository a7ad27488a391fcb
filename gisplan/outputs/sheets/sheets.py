"""The plan's map sheets (出图): the city overview, and per community its renovation scope and
its pipe works, each as a PDF (fonts embedded) and a PNG.

The pipe works are one sheet per network with works in the community
(:mod:`~gisplan.outputs.sheets.community`). The overview and each community are
jobs drawn by two forked worker processes (:mod:`~gisplan.outputs.sheets.pool`);
a figure is saved and cleared before the next, so memory stays flat with many
communities. ``sheets.csv`` lists every sheet (图纸目录): number, title, scale,
paper, community, network, files.

Examples
--------
>>> from gisplan.inputs.validation import load_layers
>>> from gisplan.analysis.scope import compute_scope
>>> layers = load_layers("layers/hunchun2020")                        # doctest: +SKIP
>>> write_sheets_for_plan(layers, compute_scope(layers), None, Path("sheets"))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
from gisplan.outputs.exports.layer_files import enrich_layers
from gisplan.outputs.sheets import draw, pool
from gisplan.outputs.sheets.common import (
    FORMATS,
    Sheet,
    SheetOptions,
    furniture,
    in_view,
    new_map,
    panel,
    save,
)
from gisplan.outputs.sheets.community import community_sheets
from gisplan.outputs.sheets.font import rc_params
from gisplan.outputs.sheets.layout import MIN_FONT_PT, bilingual, choose_scale, sheet_labels
from gisplan.outputs.tables import write_csv
from gisplan.plan.sheets import SheetSettings

__all__ = ["FORMATS", "INDEX", "Sheet", "SheetOptions", "community_sheets", "overview_sheet",
           "write_sheets", "write_sheets_for_plan"]

INDEX = "sheets.csv"


def overview_sheet(enriched: Mapping[str, gpd.GeoDataFrame], folder: Path,
                   options: SheetOptions) -> Sheet:
    """The city: communities by renovation type and named, zones, barriers, buildings."""
    page = options.page
    com = enriched["communities"]
    bounds = tuple(shapely.total_bounds(np.asarray(com.geometry.array)))
    n = choose_scale(bounds, page.map_box)
    fig, ax, view = new_map(options, bounds, n)
    entries = draw.draw_communities(ax, com)
    entries += draw.draw_zones(ax, enriched.get("zones"))
    draw.draw_buildings(ax, in_view(enriched["buildings"], view), faint=True)
    entries += draw.draw_barriers(ax, in_view(enriched["barriers"], view))
    title = bilingual("sheet.overview")
    block, taken = furniture(fig, ax, options, n)
    panel(fig, block, options, title=title, number="00", entries=entries,
          notes=_city_notes(com))
    names = draw.area_labels(com, "name", font_pt=page.font_pt, colour="#111111",
                             priority=com["households"].to_numpy(dtype=float)
                             if "households" in com else 0.0)
    zone_names = (draw.area_labels(enriched["zones"], "zone_id", font_pt=MIN_FONT_PT,
                                   colour=draw.styles()["layer"]["zones"]["value"],
                                   priority=-1.0)
                  if "zones" in enriched and len(enriched["zones"]) else None)
    draw.place_labels(ax, draw.Labels.concat([names] + ([zone_names] if zone_names else [])),
                      denominator=n, taken=taken)
    return Sheet(save(fig, folder, "00_overview", options), "00", title, n)


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


#: What a sheet-drawing worker holds: the enriched layers, the folder and the options.
_PLAN: dict[str, object] = {}


def _hold(enriched: Mapping[str, gpd.GeoDataFrame], folder: Path, options: SheetOptions,
          texts: list[str]) -> None:
    """Each worker's start (and the caller's when not forking): keep the plan to draw."""
    _PLAN.update(enriched=enriched, folder=folder, options=options, texts=texts)


def _draw(community_id: str | None, number: str = "", stem: str = "") -> list[Sheet]:
    """One job: the overview (``community_id`` None) or a community's sheets."""
    enriched, folder, options = _PLAN["enriched"], _PLAN["folder"], _PLAN["options"]
    with matplotlib.rc_context(rc_params(_PLAN["texts"])):
        if community_id is None:
            return [overview_sheet(enriched, folder, options)]
        return community_sheets(enriched, community_id, folder, options, number=number,
                                stem=stem)


def write_sheets(enriched: Mapping[str, gpd.GeoDataFrame], folder: Path,
                 options: SheetOptions, *, communities: Iterable[str] | None = None,
                 overview: bool = True, workers: int | None = None) -> list[Path]:
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
    workers : int, optional, keyword-only
        Processes drawing (:mod:`~gisplan.outputs.sheets.pool`); default
        :func:`~gisplan.outputs.sheets.pool.worker_count` (2 where it can fork).

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
    jobs = ([(None,)] if overview else []) + [(cid, *numbers[cid]) for cid in wanted]
    texts = sheet_texts(enriched, options)
    rc_params(texts)  # the font subset made once, before forking
    try:
        done = pool.run_jobs(_draw, jobs, workers=pool.worker_count() if workers is None
                             else workers, initializer=_hold,
                             initargs=(enriched, folder, options, texts))
    finally:
        _PLAN.clear()
    sheets = [s for part in done for s in part]
    index = pd.DataFrame({
        "图号 number": [s.number for s in sheets],
        "图名 title": [s.title for s in sheets],
        "比例 scale": [f"1:{s.denominator}" for s in sheets],
        "图幅 paper": options.settings.paper,
        "社区编号 community_id": [s.community_id for s in sheets],
        "管网 network": [s.network for s in sheets],
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


def _listed(drawn: Path) -> dict[str, list[str]]:
    """The files of each community's sheets in ``drawn``, from its ``sheets.csv``."""
    index = pd.read_csv(drawn / INDEX, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    out: dict[str, list[str]] = {}
    for cid, files in zip(index["社区编号 community_id"], index["文件 files"], strict=True):
        if cid:
            out.setdefault(cid, []).extend(files.split())
    return out


def _link(source: Path, target: Path) -> Path:
    """``target`` as a hard link to ``source`` (same folder tree, no bytes copied), else a
    copy (a file system without links)."""
    import os
    import shutil

    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    return target


def package_sheet_writer(enriched: Mapping[str, gpd.GeoDataFrame], options: SheetOptions, *,
                         drawn: Path | None = None):
    """``sheet_writer`` for :func:`gisplan.outputs.packages.write_packages`: the community's
    sheets linked (else copied) from ``drawn`` (a folder :func:`write_sheets` filled, as
    listed in its ``sheets.csv``), else drawn into the package."""
    numbers = _numbers(enriched["communities"]["community_id"].astype(str))
    texts = sheet_texts(enriched, options)
    listed: dict[str, list[str]] | None = None

    def write(community_id: str, target: Path) -> list[Path]:
        nonlocal listed
        number, stem = numbers[str(community_id)]
        if drawn is not None and (drawn / INDEX).is_file():
            listed = _listed(drawn) if listed is None else listed
            if listed.get(str(community_id)):
                return [_link(drawn / name, target / name)
                        for name in listed[str(community_id)]]
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
