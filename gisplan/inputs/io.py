"""Reading layer files and tables through GDAL, with located errors.

pyogrio is the default engine (6-9x faster than fiona here, see README);
``engine="fiona"`` is selectable and tested. GeoParquet is read by geopandas.
"""

from __future__ import annotations

import codecs
import logging
import re
from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd
import pyogrio

from gisplan.errors import LayerReadError
from gisplan.plan.settings import MULTI_LAYER_SUFFIXES, LayerSource

Engine = Literal["pyogrio", "fiona"]
ENGINES: tuple[str, ...] = ("pyogrio", "fiona")
PARQUET_SUFFIXES = (".parquet", ".geoparquet")


def _codec(name: str, what: str) -> str:
    """A codec name both GDAL (iconv) and Python know; ESRI code pages ("936",
    "ANSI 936", "88591") are spelt as GDAL reads them ("cp936", "iso-8859-1")."""
    page = re.fullmatch(r"(?:ANSI\s*)?(\d+)", name.strip(), re.IGNORECASE)
    if page:
        digits = page.group(1)
        name = f"iso-8859-{digits[4:]}" if digits.startswith("8859") else f"cp{digits}"
    try:
        codecs.lookup(name)
    except LookupError:
        raise LayerReadError(f"{what}: {name!r} is not a known text encoding; "
                             "use e.g. \"UTF-8\" or \"GBK\"") from None
    return name


def _encoding(source: LayerSource) -> str | None:
    """The text encoding to read with: the plan's, else the .cpg's, else UTF-8 for a .shp.

    A Shapefile without a .cpg is read as UTF-8 and fails loudly if it is not,
    rather than GDAL's silent ISO-8859-1 guess that turns Chinese into mojibake.
    """
    what = f"layer '{source.name}' ({source.describe()})"
    if source.encoding:
        return _codec(source.encoding, f"{what}: encoding in [layers]")
    if source.path.suffix.lower() == ".shp":
        cpg = source.path.with_suffix(".cpg")
        if cpg.exists():
            value = cpg.read_text(encoding="ascii", errors="replace").strip()
            return _codec(value, f"{what}: {cpg.name}") if value else "UTF-8"
        return "UTF-8"
    return None


class _FionaDecodeFailures(logging.Handler):
    """fiona logs text it cannot decode and returns None for it; collect those."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.failed: list[tuple] = []

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith("Failed to decode") and isinstance(record.args, tuple):
            self.failed.append(record.args)


def _read_fiona(path: Path, **kwargs) -> gpd.GeoDataFrame:
    """``gpd.read_file`` with fiona, raising UnicodeDecodeError as pyogrio does."""
    log = logging.getLogger("fiona.ogrext")
    handler, level, propagate = _FionaDecodeFailures(), log.level, log.propagate
    log.addHandler(handler)
    if log.getEffectiveLevel() > logging.WARNING:
        log.setLevel(logging.WARNING)
    log.propagate = False  # one error below, not one log line per undecodable value
    try:
        gdf = gpd.read_file(path, engine="fiona", **kwargs)
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        log.propagate = propagate
    if handler.failed:
        value, codec = handler.failed[0][:2]
        raw = value if isinstance(value, bytes) else b"?"
        raise UnicodeDecodeError(str(codec), raw, 0, len(raw), "cannot be decoded")
    return gdf


def read_vector(source: LayerSource, *, engine: Engine = "pyogrio") -> gpd.GeoDataFrame:
    """Read one layer file as it is (no reprojection, no renaming).

    Parameters
    ----------
    source : LayerSource
        File, optional sub-layer and encoding.
    engine : {"pyogrio", "fiona"}, keyword-only
        GDAL binding to read with; GeoParquet ignores it.

    Raises
    ------
    LayerReadError
        Missing or unreadable file, ambiguous container, undecodable text.
    """
    if engine not in ENGINES:
        raise LayerReadError(f"unknown I/O engine {engine!r}; expected one of {ENGINES}")
    path, what = source.path, f"layer '{source.name}' ({source.describe()})"
    if not path.exists():
        raise LayerReadError(f"{what}: file not found: {path}")
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            return gpd.read_parquet(path)
        layer = source.layer
        if layer is None and path.suffix.lower() in MULTI_LAYER_SUFFIXES:
            names = [row[0] for row in pyogrio.list_layers(path)]
            if len(names) != 1:
                raise LayerReadError(
                    f"{what}: the file holds {len(names)} layers ({', '.join(names)}); "
                    f"name one as \"{path.name}:<layer>\"")
            layer = names[0]
        kwargs = {"layer": layer} if layer is not None else {}
        encoding = _encoding(source)
        if encoding:
            kwargs["encoding"] = encoding
        if engine == "fiona":
            return _read_fiona(path, **kwargs)
        return gpd.read_file(path, engine=engine, **kwargs)
    except LayerReadError:
        raise
    except UnicodeDecodeError as exc:
        raise LayerReadError(
            f"{what}: text is not valid {exc.encoding} ({exc.reason}). Chinese Shapefiles are "
            f"often GBK: add a .cpg file saying GBK beside it, or write "
            f"{source.name} = {{ path = \"{path.name}\", encoding = \"GBK\" }} in [layers]"
        ) from None
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise LayerReadError(f"{what}: GDAL cannot read it: {exc}") from None
    except (ValueError, OSError) as exc:
        raise LayerReadError(f"{what}: cannot read it: {exc}") from None
    except Exception as exc:  # fiona and arrow raise their own families
        if type(exc).__module__.split(".")[0] in ("fiona", "pyarrow"):
            raise LayerReadError(f"{what}: cannot read it: {exc}") from None
        raise


def read_table(path: Path, *, name: str) -> pd.DataFrame:
    """Read a UTF-8 CSV table (a BOM from Excel is fine); every column as text.

    Raises
    ------
    LayerReadError
        Missing, undecodable or malformed file.
    """
    if not path.exists():
        raise LayerReadError(f"table '{name}': file not found: {path}")
    try:
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False,
                           na_values=[""])
    except UnicodeDecodeError as exc:
        raise LayerReadError(
            f"table '{name}' ({path.name}): not UTF-8 text ({exc.reason} at byte {exc.start}); "
            "save it as 'CSV UTF-8'") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise LayerReadError(f"table '{name}' ({path.name}): not a readable CSV: {exc}") from None
