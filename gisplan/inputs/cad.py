"""Site plans as design firms hand them in: DXF drawings read as review proposals.

A mapping file (TOML) says which CAD layers and blocks are which work items
and in which CRS the drawing is drawn::

    crs = "EPSG:4552"            # the drawing's coordinates (CGCS2000 Gauss-Krüger here)
    [layers]                     # CAD layer -> work item: closed polylines, circles, points
    "充电桩" = "ev_charger"
    [blocks]                     # block name -> work item: every insert of the block
    "BIKE-SHED" = "bike_shed"

Closed LWPOLYLINEs and POLYLINEs become polygons, CIRCLEs polygons of their
disc, POINTs and block INSERTs points. A block's inserts map by the block's
name wherever they are; other entities by their layer. Each proposal's
``facility_id`` is the insert's ``ID`` or ``编号`` attribute, else
``<layer>-<handle>`` (stable for the drawing); its ``community_id`` is the
community it lies in. Every entity that maps to nothing (unknown layers,
open polylines, text, dimensions) is listed in :attr:`CadProposal.unmapped`
by layer and type: nothing is dropped silently.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.errors import LayerReadError, ValidationError
from gisplan.inputs.problems import Report
from gisplan.inputs.spatial import largest_share
from gisplan.inputs.validation import Layers

#: Entity types that can be a proposal.
SHAPES = ("LWPOLYLINE", "POLYLINE", "CIRCLE", "POINT", "INSERT")


@dataclass(frozen=True)
class CadProposal:
    """Proposals read from a drawing, and what in it was not read.

    Attributes
    ----------
    proposals : GeoDataFrame
        ``facility_id``, ``item``, ``community_id``, ``cad_layer``, ``cad_type`` in
        the plan's CRS.
    unmapped : DataFrame
        ``cad_layer``, ``cad_type``, ``count``, ``reason``: entities not reviewed.
    """

    proposals: gpd.GeoDataFrame
    unmapped: pd.DataFrame


def read_mapping(path: str | Path) -> tuple[str, dict[str, str], dict[str, str]]:
    """The mapping file: the drawing's CRS, layer -> item and block -> item.

    Raises
    ------
    LayerReadError
        Unreadable, not TOML, no ``crs``, unknown keys, or items that are not text.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LayerReadError(f"{path}: cannot read the CAD mapping ({exc})") from None
    unknown = set(data) - {"crs", "layers", "blocks"}
    problems = [f"unknown key '{k}' (expected crs, layers, blocks)" for k in sorted(unknown)]
    crs = data.get("crs")
    if not isinstance(crs, str) or not crs:
        problems.append("'crs' is required: the drawing's coordinate system, e.g. \"EPSG:4552\"")
    tables = {}
    for key in ("layers", "blocks"):
        table = data.get(key, {})
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            problems.append(f"[{key}] must map names to work-item codes (text)")
            table = {}
        tables[key] = {str(k): v for k, v in table.items()}
    if not tables["layers"] and not tables["blocks"]:
        problems.append("map at least one CAD layer or block to a work item")
    if problems:
        raise LayerReadError(f"{path}: " + "; ".join(problems))
    return str(crs), tables["layers"], tables["blocks"]


def _shape(e) -> shapely.Geometry | None:
    kind = e.dxftype()
    if kind == "LWPOLYLINE":
        pts = [(x, y) for x, y, *_ in e.get_points("xy")]
        return shapely.Polygon(pts) if e.closed and len(pts) >= 3 else None
    if kind == "POLYLINE":
        pts = [(v.dxf.location.x, v.dxf.location.y) for v in e.vertices]
        return shapely.Polygon(pts) if e.is_closed and len(pts) >= 3 else None
    if kind == "CIRCLE":
        c = e.dxf.center
        return shapely.Point(c.x, c.y).buffer(float(e.dxf.radius), quad_segs=16)
    if kind in ("POINT", "INSERT"):
        p = e.dxf.location if kind == "POINT" else e.dxf.insert
        return shapely.Point(p.x, p.y)
    return None


def _attribute_id(e) -> str | None:
    if e.dxftype() != "INSERT":
        return None
    for attrib in e.attribs:
        if attrib.dxf.tag.upper() in ("ID", "编号", "FACILITY_ID"):
            text = attrib.dxf.text.strip()
            if text:
                return text
    return None


def read_cad_proposal(path: str | Path, layers: Layers, *,
                      mapping: str | Path) -> CadProposal:
    """Read a DXF site plan as proposals (see the module's description).

    Raises
    ------
    LayerReadError
        The drawing or the mapping cannot be read.
    ValidationError
        Mapped items that are not work items, proposals outside every community,
        broken shapes, duplicate ids; each located by CAD layer and handle.
    """
    import ezdxf

    crs, by_layer, by_block = read_mapping(mapping)
    path = Path(path)
    try:
        doc = ezdxf.readfile(path)
    except (OSError, ezdxf.DXFError) as exc:
        raise LayerReadError(f"{path}: not a readable DXF drawing ({exc})") from None
    name = f"proposal ({path.name})"
    report = Report()
    for table, kind in ((by_layer, "layer"), (by_block, "block")):
        for key, item in table.items():
            if item not in layers.catalogue.index:
                report.add("error", name, "unknown_item", f"the mapping sends CAD {kind} "
                           f"'{key}' to '{item}', which is not a work item", field=item)
    rows, skipped = [], []
    for e in doc.modelspace():
        kind, cad_layer = e.dxftype(), e.dxf.layer
        block = e.dxf.name if kind == "INSERT" else None
        item = by_block.get(block) if block is not None else None
        item = item or (by_layer.get(cad_layer) if kind in SHAPES else None)
        geom = _shape(e) if item else None
        if item is None or geom is None:
            reason = ("not a shape (text, dimension, hatch...)" if kind not in SHAPES
                      else "an open polyline is not a site" if item else
                      "its layer and block map to no work item")
            skipped.append((cad_layer, kind if block is None else f"INSERT {block}", reason))
            continue
        fid = _attribute_id(e) or f"{cad_layer}-{e.dxf.handle}"
        rows.append((fid, item, cad_layer, kind, e.dxf.handle, geom))
    frame = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["facility_id", "item", "cad_layer", "cad_type", "handle",
                                    "geometry"]), geometry="geometry", crs=crs)
    frame = frame.to_crs(layers.plan.crs)
    bad = ~frame.geometry.is_valid.to_numpy()
    for fid in frame.loc[bad, "facility_id"]:
        report.add("error", name, "invalid_geometry", "the closed polyline crosses itself",
                   feature_id=str(fid))
    for fid in frame.loc[frame["facility_id"].duplicated(), "facility_id"]:
        report.add("error", name, "duplicate_id", "two inserts carry this ID attribute",
                   feature_id=str(fid))
    com = layers.communities
    home = largest_share(np.asarray(frame.geometry.array), np.asarray(com.geometry.array))
    ids = com["community_id"].to_numpy(dtype=object)
    frame["community_id"] = np.where(home >= 0, ids[np.maximum(home, 0)], None)
    for fid in frame.loc[home < 0, "facility_id"]:
        report.add("error", name, "outside_communities", "lies in no community of the plan "
                   f"(is the drawing's CRS {crs} right?)", feature_id=str(fid))
    if not report.ok:
        raise ValidationError(report)
    unmapped = (pd.DataFrame(skipped, columns=["cad_layer", "cad_type", "reason"])
                .value_counts().rename("count").reset_index())
    return CadProposal(frame[["facility_id", "item", "community_id", "cad_layer", "cad_type",
                              "geometry"]].reset_index(drop=True), unmapped)
