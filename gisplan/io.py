"""Reading layer files and tables through GDAL, with located errors.

pyogrio is the default engine (6-9x faster than fiona here, see README);
``engine="fiona"`` is selectable and tested. GeoParquet is read by geopandas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd
import pyogrio

from gisplan.errors import LayerReadError
from gisplan.plan import MULTI_LAYER_SUFFIXES, LayerSource

Engine = Literal["pyogrio", "fiona"]
ENGINES: tuple[str, ...] = ("pyogrio", "fiona")
PARQUET_SUFFIXES = (".parquet", ".geoparquet")


def _encoding(source: LayerSource) -> str | None:
    """The text encoding to read with: the plan's, else the .cpg's, else UTF-8 for a .shp.

    A Shapefile without a .cpg is read as UTF-8 and fails loudly if it is not,
    rather than GDAL's silent ISO-8859-1 guess that turns Chinese into mojibake.
    """
    if source.encoding:
        return source.encoding
    if source.path.suffix.lower() == ".shp":
        cpg = source.path.with_suffix(".cpg")
        if cpg.exists():
            return cpg.read_text(encoding="ascii", errors="replace").strip() or "UTF-8"
        return "UTF-8"
    return None


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
