"""Writing layers as a plan folder: ``plan.toml`` plus one file per layer.

Benchmarks and tests use it to turn generated or real layers into a plan
folder that every command reads.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd

FORMATS = {"parquet": ".parquet", "geojson": ".geojson", "gpkg": ".gpkg"}


def write_plan_folder(layers: dict[str, gpd.GeoDataFrame], folder: str | Path, *,
               fmt: str = "parquet", name: str = "合成城市") -> Path:
    """Write ``layers`` as a plan folder (``plan.toml`` plus one file per layer).

    Parameters
    ----------
    layers : dict of str to GeoDataFrame
        Layers by name, e.g. from :func:`gisplan.inputs.synthetic.make_city`.
    folder : str or Path
        Created if missing; files of the same name are replaced.
    fmt : {"parquet", "geojson", "gpkg"}, keyword-only
        GeoParquet (fastest), GeoJSON, or one GeoPackage holding every layer.
    name : str, keyword-only
        The plan's name in ``plan.toml``.

    Returns
    -------
    Path
        The plan folder.

    Examples
    --------
    >>> import tempfile
    >>> from gisplan.inputs.validation import load_layers
    >>> from gisplan.inputs.synthetic import make_city
    >>> folder = write_plan_folder(make_city(300), tempfile.mkdtemp())
    >>> len(load_layers(folder).buildings)
    300
    """
    crs = next(iter(layers.values())).crs.to_string()
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {sorted(FORMATS)}, got {fmt!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    suffix, spec = FORMATS[fmt], []
    for lname, gdf in layers.items():
        if fmt == "parquet":
            gdf.to_parquet(folder / f"{lname}{suffix}", index=False)
            spec.append(f'{lname} = "{lname}{suffix}"')
        elif fmt == "geojson":
            gdf.to_file(folder / f"{lname}{suffix}", driver="GeoJSON", engine="pyogrio")
            spec.append(f'{lname} = "{lname}{suffix}"')
        else:
            gdf.to_file(folder / f"city{suffix}", layer=lname, driver="GPKG", engine="pyogrio")
            spec.append(f'{lname} = "city{suffix}:{lname}"')
    # a JSON string is a valid TOML basic string: quotes and backslashes escaped
    head = f"[plan]\nname = {json.dumps(name, ensure_ascii=False)}\ncrs = \"{crs}\"\n"
    (folder / "plan.toml").write_text(head + "\n[layers]\n" + "\n".join(spec) + "\n",
                                      encoding="utf-8")
    return folder
