"""Spatially partitioned GeoParquet: the data layout of the dask engine.

A partitioned layer is a folder ``<layer>.parquet/`` of GeoParquet files
``part.00000.parquet``, ``part.00001.parquet``... Rows are sorted by
``GeoSeries.hilbert_distance()`` (the Hilbert curve index of each feature's
bounding-box centre) and cut into equal runs, so each file covers one compact
patch of the city and carries its own bounding box in its GeoParquet
metadata. ``dask_geopandas.read_parquet(folder)`` reads it as one partition
per file, and ``geopandas.read_parquet(folder)`` (so gisplan's in-memory
engine) as one frame. Sorting in memory and writing files takes seconds at
10^6 features, where ``dask_geopandas``' ``spatial_shuffle`` took minutes on
this machine (see README).

This module does not import dask.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np

from gisplan.errors import GisplanError
from gisplan.inputs.io import Engine
from gisplan.inputs.validation import load_layers
from gisplan.plan.settings import LAYER_NAMES

#: Layers written as partitioned GeoParquet and processed partition by partition.
PARTITIONED_LAYERS = ("buildings", "pipes", "facilities", "structures")


def _arrow_safe(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Text columns as a string dtype, so every part file gets the same Parquet schema
    (an all-missing object column would otherwise become Arrow's null type)."""
    out = gdf.copy()
    for col in out.columns:
        if col == out.geometry.name or out[col].dtype != object:
            continue
        values = out[col]
        if not values.map(lambda v: isinstance(v, str), na_action="ignore").fillna(True).all():
            values = values.map(str, na_action="ignore")  # mixed types: carried as text
        out[col] = values.astype("str")
    return out


def hilbert_labels(gdf: gpd.GeoDataFrame, npartitions: int) -> np.ndarray:
    """Partition number of each row: rows sorted by Hilbert distance, cut into equal runs."""
    n = len(gdf)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(gdf.hilbert_distance().to_numpy(), kind="stable")
    labels = np.empty(n, dtype=np.int64)
    labels[order] = np.arange(n) * int(npartitions) // n
    return labels


def write_partitioned(gdf: gpd.GeoDataFrame, folder: str | Path, *,
                      npartitions: int | None = None, labels: np.ndarray | None = None) -> int:
    """Write ``gdf`` as a folder of GeoParquet parts; return how many parts were written.

    Parameters
    ----------
    gdf : GeoDataFrame
    folder : str or Path
        Created; part files already in it are replaced.
    npartitions : int, optional, keyword-only
        Number of Hilbert partitions (see :func:`hilbert_labels`).
    labels : array of int, optional, keyword-only
        Any other partitioning: the part number of each row (empty parts are
        not written). Rows keep their order within a part.

    Examples
    --------
    >>> import tempfile, geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame({"k": range(10)}, geometry=shapely.points(range(10), 0), crs=4552)
    >>> write_partitioned(g, tempfile.mkdtemp() + "/g.parquet", npartitions=3)
    3
    """
    if labels is None:
        if npartitions is None or npartitions < 1:
            raise GisplanError(f"npartitions must be >= 1, got {npartitions}")
        labels = hilbert_labels(gdf, npartitions)
    labels = np.asarray(labels)
    folder = Path(folder)
    if folder.is_dir():
        for old in folder.glob("part.*.parquet"):
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    frame = _arrow_safe(gdf).reset_index(drop=True)
    parts = np.unique(labels) if len(frame) else np.zeros(1, dtype=np.int64)
    order = np.argsort(labels, kind="stable")
    cuts = [*np.searchsorted(labels[order], parts, side="left").tolist(), len(frame)]
    for k, part in enumerate(parts):
        chunk = frame.iloc[order[cuts[k]:cuts[k + 1]]]
        chunk.to_parquet(folder / f"part.{int(part):05d}.parquet", index=False)
    return len(parts)


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() \
        else _toml_value(key)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}"
                                for k, v in value.items()) + " }"
    raise GisplanError(f"plan.toml: cannot write value {value!r}")


def _toml(data: dict) -> str:
    """A plan.toml (sections of keys; deeper tables inline) as text."""
    lines = []
    for section, body in data.items():
        lines.append(f"[{section}]")
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in body.items()]
        lines.append("")
    return "\n".join(lines)


def partition_plan(plan_dir: str | Path, out_dir: str | Path, *, npartitions: int,
                   engine: Engine = "pyogrio", repair: bool = False) -> Path:
    """Write a plan as a plan folder of spatially partitioned GeoParquet.

    The plan is validated in memory first (:func:`gisplan.inputs.validation.load_layers`),
    and the layers are written with the contract's column names in the plan's
    CRS, so the new ``plan.toml`` needs no ``[fields]`` for layers. Buildings,
    pipes, facilities and structures become ``<layer>.parquet/`` folders of
    Hilbert-sorted parts: ``npartitions`` for buildings, and for the others as
    many (at least one) as give them about as many rows per part as buildings
    have, so no task is tiny. Communities and barriers are single GeoParquet
    files; the quantities tables are copied.

    Returns
    -------
    Path
        ``out_dir``, readable by both engines.
    """
    if npartitions < 1:
        raise GisplanError(f"--npartitions must be >= 1, got {npartitions}")
    layers = load_layers(plan_dir, engine=engine, repair=repair)
    plan = layers.plan
    out = Path(out_dir)
    if out.resolve() == plan.root:
        raise GisplanError(f"--out {out}: is the plan folder itself; write somewhere else")
    per_part = max(1, len(layers.buildings)) / npartitions
    out.mkdir(parents=True, exist_ok=True)
    data = tomllib.loads((plan.root / "plan.toml").read_text(encoding="utf-8"))
    data["layers"] = {}
    for name in LAYER_NAMES:
        if name not in plan.layers:
            continue
        gdf = layers.layer(name)
        target = out / f"{name}.parquet"
        if target.is_dir():
            shutil.rmtree(target)
        if name in PARTITIONED_LAYERS:
            k = npartitions if name == "buildings" else int(np.ceil(len(gdf) / per_part))
            write_partitioned(gdf, target, npartitions=max(1, min(npartitions, k)))
        else:
            _arrow_safe(gdf).to_parquet(target, index=False)
        data["layers"][name] = target.name
    fields = {k: v for k, v in data.get("fields", {}).items() if k in ("quantities", "stated")}
    data.pop("fields", None)
    if fields:
        data["fields"] = fields
    for key in ("declared", "stated"):
        source = getattr(plan, key)
        if source is not None:
            shutil.copyfile(source, out / source.name)
            data["quantities"][key] = source.name
    (out / "plan.toml").write_text(_toml(data), encoding="utf-8")
    return out
