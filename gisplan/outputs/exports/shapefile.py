"""Shapefiles for Chinese desktop GIS: encoding, 10-character field names, one geometry type.

A Shapefile's ``.dbf`` has no fixed text encoding: the ``.cpg`` beside it
names one. gisplan writes GBK by default (ArcGIS and older Chinese tools
expect it) or UTF-8 on request, writes the ``.cpg`` either way, and refuses
text that the encoding cannot hold rather than writing ``?``. Text fields are
as wide as their longest value in bytes (at most 254; longer values are cut
at a character boundary, with a warning). Field names are cut to 10
characters by the mapping in ``gisplan/plan/data/shapefile_fields.csv``; the
mapping actually used is written beside the files as ``fields.csv``. A layer
mixing points, lines and polygons is split into ``<layer>_point.shp``,
``<layer>_line.shp`` and ``<layer>_polygon.shp``. A Shapefile cannot hold a
GeometryCollection: one that reaches the writer is reduced to its parts of
its highest dimension (:func:`gisplan.inputs.spatial.keep_family`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.errors import OutputError
from gisplan.inputs.schema import SCHEMAS
from gisplan.inputs.spatial import keep_family
from gisplan.outputs.tables import write_csv
from gisplan.plan.catalogue import read_data

log = logging.getLogger(__name__)

#: Shapefile encodings offered: GDAL's name of each.
SHP_ENCODINGS = {"gbk": "GBK", "utf-8": "UTF-8", "utf8": "UTF-8"}
SHP_TEXT_BYTES = 254
FAMILIES = {"Point": "point", "MultiPoint": "point", "LineString": "line",
            "MultiLineString": "line", "Polygon": "polygon", "MultiPolygon": "polygon"}


@cache
def _field_map() -> dict[str, tuple[str, str]]:
    table = read_data("shapefile_fields.csv")
    return {c: (f, z) for c, f, z in table[["column", "field", "name_zh"]].itertuples(index=False)}


def shapefile_fields(columns: Iterable[str]) -> dict[str, str]:
    """Shapefile field names (at most 10 characters, unique) for ``columns``.

    Names come from ``gisplan/plan/data/shapefile_fields.csv``; a column it does
    not list is cut to 10 characters, and clashes end in a number.

    Examples
    --------
    >>> shapefile_fields(["community_id", "floor_area_m2", "a_very_long_name", "a_very_long_nam"])
    {'community_id': 'comm_id', 'floor_area_m2': 'floor_area', 'a_very_long_name': 'a_very_lon', \
'a_very_long_nam': 'a_very_l01'}
    """
    known, out, taken = _field_map(), {}, set()
    for col in columns:
        name = known[col][0] if col in known else "".join(
            ch if ch.isalnum() and ch.isascii() else "_" for ch in col)[:10] or "field"
        k = 0
        while name.lower() in taken:
            k += 1
            name = f"{name[:8]}{k:02d}"
        taken.add(name.lower())
        out[col] = name
    return out


def _shapefile_text(frame: pd.DataFrame, codec: str, layer: str, id_col: str | None
                    ) -> pd.DataFrame:
    """Text columns checked against ``codec`` and cut to 254 bytes."""
    frame = frame.copy()
    for col in frame.columns.drop(frame.geometry.name):
        s = frame[col]
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        text = s[s.notna()].astype(str)
        ok = text.str.encode(codec, errors="replace").str.decode(codec) == text
        if not ok.all():
            idx = ok.index[~ok.to_numpy()][0]
            where = f"[{frame.at[idx, id_col]}] " if id_col in frame else ""
            raise OutputError(
                f"Shapefile {layer} {where}field '{col}': {text[idx]!r} cannot be written in "
                f"{codec}; write the Shapefiles as UTF-8 (--shp-encoding UTF-8) or use the "
                "GeoPackage")
        nbytes = text.str.encode(codec).str.len()
        long = nbytes > SHP_TEXT_BYTES
        if long.any():
            log.warning("Shapefile %s field '%s': %d values longer than %d bytes are cut; the "
                        "GeoPackage holds them whole", layer, col, int(long.sum()), SHP_TEXT_BYTES)
            cut = text[long].map(lambda v: v.encode(codec)[:SHP_TEXT_BYTES].decode(
                codec, errors="ignore"))
            frame[col] = s.astype(object).where(~s.index.isin(cut.index), cut)
    return frame


def _no_collections(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``g`` with each GeometryCollection reduced to its parts of its highest dimension."""
    values = np.asarray(g.geometry.array)
    if not (shapely.get_type_id(values) == 7).any():
        return g
    reduced = keep_family(values, np.where(shapely.get_type_id(values) == 7,
                                           shapely.get_dimensions(values), -1))
    return g.set_geometry(gpd.GeoSeries(reduced, index=g.index, crs=g.crs))


def write_shapefiles(enriched: Mapping[str, gpd.GeoDataFrame], folder: Path, *,
                     encoding: str = "GBK") -> list[Path]:
    """Shapefiles of every layer with features, in ``folder``, plus ``fields.csv``.

    Parameters
    ----------
    enriched : mapping of str to GeoDataFrame
        Layers (as from :func:`enrich_layers`), written in their own CRS.
    folder : Path
        Created if missing.
    encoding : {"GBK", "UTF-8"}, keyword-only
        Text encoding of the ``.dbf``, written into the ``.cpg``.

    Returns
    -------
    list of Path
        Every file written (``.shp``, ``.shx``, ``.dbf``, ``.prj``, ``.cpg``
        and ``fields.csv``).

    Raises
    ------
    OutputError
        If a text value cannot be written in ``encoding``.
    """
    codec = SHP_ENCODINGS.get(encoding.lower().strip())
    if codec is None:
        raise OutputError(f"Shapefile encoding {encoding!r}: expected GBK or UTF-8")
    folder.mkdir(parents=True, exist_ok=True)
    rows, written = [], []
    for name, g in enriched.items():
        if not len(g):
            continue
        g = _no_collections(g)
        fields = shapefile_fields(g.columns.drop(g.geometry.name))
        id_col = SCHEMAS[name].id if name in SCHEMAS else f"{name.removesuffix('s')}_id"
        family = g.geom_type.map(FAMILIES).fillna("other").to_numpy()
        kinds = list(pd.unique(family))
        for kind in kinds:
            stem = name if len(kinds) == 1 else f"{name}_{kind}"
            part = _shapefile_text(g[family == kind], codec, stem, id_col)
            path = folder / f"{stem}.shp"
            # pyogrio (GDAL sizes text fields to their longest value in the codec's bytes,
            # already cut to 254 above); fiona took 6 of 31 s of exporting 20,000 buildings.
            part.rename(columns=fields).to_file(path, driver="ESRI Shapefile", engine="pyogrio",
                                                encoding=codec, layer_options={"RESIZE": "YES"})
            path.with_suffix(".cpg").write_text(codec, encoding="ascii")
            written += [path.with_suffix(s) for s in (".shp", ".shx", ".dbf", ".prj", ".cpg")]
            rows += [{"file": path.name, "layer": name, "column": c, "field": f,
                      "name_zh": _field_map().get(c, ("", ""))[1]} for c, f in fields.items()]
    table = folder / "fields.csv"
    write_csv(pd.DataFrame(rows, columns=["file", "layer", "column", "field", "name_zh"]),
              table)
    return [*written, table]
