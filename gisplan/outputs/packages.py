"""一区一案: one plan package per community, for its design firm and its residents.

``packages/<community_id>/`` holds everything about one community:

- ``<layer>.geojson``: its layers (RFC 7946, EPSG:4326), enriched as in
  :func:`gisplan.outputs.exports.layer_files.enrich_layers` and cut to the community as in
  :func:`gisplan.outputs.exports.layer_files.select_community`;
- ``<community_id>.dxf``: the same layers as a CAD drawing in the working CRS;
- ``scope.xlsx``: its overview, bill of quantities and funding, in Chinese;
- ``map.html``: its own small map, when a ``map_writer`` is given;
- ``<community_id>_scope.pdf/.png`` and ``<community_id>_pipes_<network>.pdf/.png`` (one
  per network with works in it): its map sheets (出图, :mod:`gisplan.outputs.sheets`),
  when a ``sheet_writer`` is given;
- ``manifest.json``: the files with their format, CRS, feature count, size
  and SHA-256, the community's feature counts and headline figures.

With ``as_zip=True`` each package is ``packages/<community_id>.zip`` holding
the same files. Characters a file system forbids in a community id
(``/ \\ : * ? " < > |`` and blanks) become ``_`` in its folder name.

Examples
--------
>>> from gisplan.inputs.validation import load_layers
>>> from gisplan.analysis.scope import compute_scope
>>> layers = load_layers("layers/hunchun2020")                     # doctest: +SKIP
>>> write_packages(layers, compute_scope(layers), None, Path("packages"))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gisplan import __version__
from gisplan.analysis.scope import Scope
from gisplan.analysis.zones import Zones
from gisplan.inputs.validation import Layers
from gisplan.outputs.exports.dxf import write_dxf
from gisplan.outputs.exports.layer_files import enrich_layers, select_community, write_rfc7946
from gisplan.outputs.tables import write_sheets
from gisplan.outputs.workbook import bill_of_quantities
from gisplan.plan.catalogue import labels

#: Writes ``map.html``: called with the community's enriched layers (working CRS) and the path.
MapWriter = Callable[[Mapping[str, gpd.GeoDataFrame], Path], object]
#: Writes the community's map sheets: called with its id and the package folder; returns
#: the files written.
SheetWriter = Callable[[str, Path], list[Path]]
MANIFEST = "manifest.json"


def folder_name(community_id: str) -> str:
    """A community id as a file-system-safe folder name, unique per id.

    Letters (any script), digits, ``-``, ``_`` and ``.`` are kept; an id with
    anything else, or longer than 60 bytes, is shortened and cleaned and gets the
    first 8 hex digits of its SHA-1, so two ids never share a folder, also on a
    case-insensitive file system when :func:`folder_names` is used.

    Examples
    --------
    >>> folder_name("222404001001")
    '222404001001'
    >>> folder_name("河南/01 号")
    '河南_01_号_7c6fd41b'
    """
    text = str(community_id)
    safe = re.sub(r"[^\w\-.]", "_", text).strip(".") or "_"
    if safe == text and len(text.encode("utf-8")) <= 60:
        return safe
    head = safe.encode("utf-8")[:50].decode("utf-8", "ignore")
    return f"{head}_{hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]}"


def folder_names(community_ids: Iterable[str]) -> list[str]:
    """:func:`folder_name` of each id, with a hash added to ids whose names differ only in
    case (they would share a folder on Windows and macOS).

    >>> folder_names(["A1", "a1", "B"])
    ['A1_1ffd4ba3', 'a1_f29bc91b', 'B']
    """
    ids = [str(c) for c in community_ids]
    names = [folder_name(c) for c in ids]
    lower = pd.Series([n.lower() for n in names])
    clash = lower.duplicated(keep=False).to_numpy()
    return [f"{n}_{hashlib.sha1(c.encode('utf-8')).hexdigest()[:8]}" if k else n
            for c, n, k in zip(ids, names, clash, strict=True)]


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _overview(community: pd.Series, plan_name: str) -> pd.DataFrame:
    zh = labels()
    rtype = community.get("renovation_type")
    pairs = [("计划", plan_name), ("社区编号", community["community_id"]),
             ("社区名称", community.get("name")), ("街道", community.get("street")),
             ("改造类型", zh.get(f"renovation_type.{rtype}", rtype)),
             ("连片片区", community.get("zone_id") or "—"),
             ("楼栋数", community.get("buildings")), ("户数", community.get("households")),
             ("建筑面积（㎡）", community.get("floor_area_m2")),
             ("违建及仓房面积（㎡，未拆除）", community.get("structures_area_m2")),
             ("费用合计（元）", community.get("cost_cny"))]
    return pd.DataFrame(pairs, columns=["项目", "内容"])


def write_workbook(scope: Scope, community: pd.Series, path: Path, *, plan_name: str) -> Path:
    """The community's ``scope.xlsx``: 概况, 工程量清单 and 资金来源 sheets."""
    cid = community["community_id"]
    f = scope.funding
    funding = f[(f["level"] == "community") & (f["area_id"] == cid)]
    funding = pd.DataFrame({"资金来源": funding["funding_name_zh"],
                            "费用（元）": funding["cost_cny"], "占比": funding["share"].round(4)})
    sheets = {"概况": _overview(community, plan_name),
              "工程量清单": bill_of_quantities(scope.table, "community", cid), "资金来源": funding}
    write_sheets(path, sheets, percent=("占比",))
    return path


def _entry(path: Path, root: Path, **meta: object) -> dict[str, object]:
    return {"path": path.relative_to(root).as_posix(), **meta,
            "bytes": path.stat().st_size, "sha256": sha256(path)}


def write_package(enriched: Mapping[str, gpd.GeoDataFrame], scope: Scope, community_id: str,
                  folder: Path, *, crs: str, plan_name: str = "",
                  map_writer: MapWriter | None = None, as_zip: bool = False,
                  name: str | None = None,
                  sheet_writer: SheetWriter | None = None) -> Path:
    """Write one community's package into ``folder``.

    Parameters
    ----------
    enriched : mapping of str to GeoDataFrame
        The whole plan's enriched layers
        (:func:`~gisplan.outputs.exports.layer_files.enrich_layers`).
    scope : Scope
    community_id : str
    folder : Path
        The ``packages`` folder; the package is ``folder/<community_id>/``
        (or ``.zip``).
    crs : str, keyword-only
        The working CRS of ``enriched``, recorded in the manifest.
    plan_name : str, keyword-only
    map_writer : callable, optional, keyword-only
        ``map_writer(layers, path)`` writes the community's ``map.html``.
    as_zip : bool, keyword-only
        Write ``<community_id>.zip`` instead of a folder.
    name : str, optional, keyword-only
        The folder's name (default :func:`folder_name` of the id).
    sheet_writer : callable, optional, keyword-only
        ``sheet_writer(community_id, folder)`` writes the community's map sheets.

    Returns
    -------
    Path
        The package folder or zip file.

    Raises
    ------
    GisplanError
        If ``community_id`` is not a community of the plan.
    """
    own = select_community(enriched, community_id)
    label = folder_name(community_id) if name is None else name
    target = folder / label
    target.mkdir(parents=True)
    files: list[dict[str, object]] = []
    for name, gdf in own.items():
        if len(gdf):
            path = write_rfc7946(gdf, target / f"{name}.geojson")
            files.append(_entry(path, target, format="GeoJSON (RFC 7946)", layer=name,
                                crs="EPSG:4326", features=len(gdf)))
    dxf = write_dxf(own, target / f"{label}.dxf", crs=crs)
    files.append(_entry(dxf, target, format="DXF R2010", crs=crs,
                        features=int(sum(len(g) for g in own.values()))))
    community = own["communities"].iloc[0]
    book = write_workbook(scope, community, target / "scope.xlsx", plan_name=plan_name)
    files.append(_entry(book, target, format="XLSX"))
    if map_writer is not None:
        page = target / "map.html"
        map_writer(own, page)
        files.append(_entry(page, target, format="HTML map"))
    if sheet_writer is not None:
        files += [_entry(p, target, format=f"map sheet ({p.suffix[1:].upper()})")
                  for p in sheet_writer(community_id, target)]
    figures = ["buildings", "households", "floor_area_m2", "structures_area_m2", "cost_cny"]
    manifest = {
        "package": "一区一案 community plan package", "gisplan_version": __version__,
        "plan": plan_name, "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "community": {k: _plain(community.get(k)) for k in
                      ("community_id", "name", "street", "renovation_type", "zone_id")},
        "crs": {"working": crs, "geojson": "EPSG:4326", "dxf": crs},
        "counts": {name: len(g) for name, g in own.items()},
        "figures": {k: _plain(community.get(k)) for k in figures},
        "files": files,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2),
                                   encoding="utf-8")
    if not as_zip:
        return target
    archive = folder / f"{target.name}.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(target.iterdir()):
            zf.write(path, arcname=f"{target.name}/{path.name}")
    shutil.rmtree(target)
    return archive


def _plain(value: object) -> object:
    """A JSON-ready scalar (numpy numbers to Python, missing to None)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def write_packages(layers: Layers, scope: Scope, zones: Zones | None, folder: Path, *,
                   communities: Iterable[str] | None = None,
                   map_writer: MapWriter | None = None, as_zip: bool = False,
                   enriched: Mapping[str, gpd.GeoDataFrame] | None = None,
                   sheet_writer: SheetWriter | None = None) -> list[Path]:
    """Write a package for every community (or those named) into ``folder``.

    Parameters
    ----------
    layers, scope, zones
        The plan, its scope and (optionally) its zones.
    folder : Path
        The ``packages`` folder; write into a staging folder
        (:func:`gisplan.outputs.staging.staged_output`) so a failure leaves nothing.
    communities : iterable of str, optional, keyword-only
        Community ids; default all.
    map_writer, as_zip, sheet_writer
        As in :func:`write_package`.
    enriched : mapping of str to GeoDataFrame, optional, keyword-only
        ``enrich_layers(layers, scope, zones)``, when the caller already has
        it; computed here otherwise.

    Returns
    -------
    list of Path
        The package folders (or zip files).
    """
    if enriched is None:
        enriched = enrich_layers(layers, scope, zones)
    ids = list(enriched["communities"]["community_id"] if communities is None else communities)
    folder.mkdir(parents=True, exist_ok=True)
    return [write_package(enriched, scope, cid, folder, crs=layers.plan.crs,
                          plan_name=layers.plan.name, map_writer=map_writer, as_zip=as_zip,
                          name=name, sheet_writer=sheet_writer)
            for cid, name in zip(ids, folder_names(ids), strict=True)]
