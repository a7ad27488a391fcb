"""CAD drawings for design firms: the plan's layers as one DXF in the working CRS.

One DXF layer per kind of feature, so that a CAD user can switch networks
and facility types on and off:

========================  =================================================
DXF layer                 features
========================  =================================================
``COMMUNITIES``           community boundaries
``BUILDINGS``             building footprints
``PIPE_<NET>[_DN<d>]``    pipes by network and diameter, e.g. ``PIPE_GAS``,
                          ``PIPE_SEWER_DN300``; kept pipes end in ``_KEEP``
``FAC_<ITEM>``            facilities by item, e.g. ``FAC_EV_CHARGER``: point
                          facilities are inserts of the block ``SYM_<ITEM>``
                          (a circled cross 2 m across) carrying the attributes
                          ``ID``, ``ITEM`` (Chinese name) and ``QTY``
``STRUCTURES``            illegal structures and sheds
``BARRIERS``              roads, rivers and rails that split zones
``ZONES``                 contiguous zone outlines
``LABELS``                text: community names, zone, building and structure ids
========================  =================================================

Every polygon ring (exterior and holes) is a closed ``LWPOLYLINE``, every
line an open ``LWPOLYLINE`` and every other point a ``POINT``, in metres of the
plan's CRS (``$INSUNITS`` = metres; the CRS is written as the custom header
property ``CRS``). The file is DXF R2010, whose text is UTF-8, so Chinese
names survive; labels use a text style with the SimSun font. Pipes that are
kept (``_KEEP`` layers) are dashed, pipes replaced or new are continuous.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import ezdxf
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from ezdxf import colors, units

from gisplan.inputs.spatial import flat_parts
from gisplan.outputs.exports.labels import declutter
from gisplan.plan.catalogue import load_networks

#: ACI colour of the fixed layers.
LAYER_COLORS = {"COMMUNITIES": 3, "BUILDINGS": 7, "STRUCTURES": 1, "BARRIERS": 8, "ZONES": 5,
                "LABELS": 7}
FIXED = {"communities": "COMMUNITIES", "buildings": "BUILDINGS", "structures": "STRUCTURES",
         "barriers": "BARRIERS", "zones": "ZONES"}
#: What each labelled layer writes as text, the text height and the label's shift up from
#: the feature's inner point, in metres, in the order labels are placed (first wins).
LABELS = {"communities": ("name", 6.0, 0.0), "zones": ("zone_id", 10.0, 9.0),
          "buildings": ("building_id", 2.0, 0.0), "structures": ("structure_id", 1.5, 0.0)}
TEXT_STYLE = "GISPLAN_CJK"
SCHEMA_IDS = {"communities": "community_id", "zones": "zone_id", "buildings": "building_id",
              "structures": "structure_id"}


def _safe(text: pd.Series) -> pd.Series:
    """Upper case, with the characters DXF forbids in layer names replaced by ``_``."""
    return text.astype(str).str.upper().map(lambda v: re.sub(r'[<>/\\":;?*|=`,\s]', "_", v))


def dxf_layers(name: str, gdf: gpd.GeoDataFrame) -> pd.Series:
    """The DXF layer of each feature of the gisplan layer ``name``."""
    if name == "pipes":
        dia = pd.to_numeric(gdf["diameter_mm"], errors="coerce")
        size = ("_DN" + dia.astype("Int64").astype("string")).fillna("")
        keep = np.where(gdf["action"] == "keep", "_KEEP", "")
        return ("PIPE_" + _safe(gdf["network"]) + size + keep).astype(object)
    if name == "facilities":
        return ("FAC_" + _safe(gdf["item"])).astype(object)
    return pd.Series(FIXED.get(name, name.upper()), index=gdf.index, dtype=object)


def _add_layers(doc: ezdxf.document.Drawing, names: list[str]) -> None:
    nets = load_networks()
    for name in names:
        if name in doc.layers:
            continue
        layer = doc.layers.add(name)
        if name.endswith("_KEEP"):
            layer.dxf.linetype = "DASHED"  # kept pipes: not work, drawn dashed
        net = name.split("_")[1].lower() if name.startswith("PIPE_") else None
        if net in nets.index:
            layer.rgb = colors.RGB.from_hex(nets.at[net, "color"])
        else:
            layer.color = LAYER_COLORS.get(name, 2)


def _add_geometries(msp, geoms: np.ndarray, layer: np.ndarray) -> None:
    parts, pidx = flat_parts(geoms)  # collections inside collections opened too
    dim = shapely.get_dimensions(parts)
    points = dim == 0
    for (x, y), lay in zip(shapely.get_coordinates(parts[points]), layer[pidx[points]],
                           strict=True):
        msp.add_point((x, y), dxfattribs={"layer": lay})
    lines = parts[dim == 1]
    rings, ridx = shapely.get_rings(parts[dim == 2], return_index=True)
    paths = np.concatenate([lines, rings])
    owner = np.concatenate([pidx[dim == 1], pidx[dim == 2][ridx]])
    closed = np.r_[np.zeros(len(lines), bool), np.ones(len(rings), bool)]
    coords, cidx = shapely.get_coordinates(paths, return_index=True)
    bounds = np.searchsorted(cidx, np.arange(len(paths) + 1))
    # LWPOLYLINE vertices are (x, y, start width, end width, bulge) rows of one array,
    # set in one go: ezdxf appends the points given to add_lwpolyline one at a time,
    # copying the array each time (quadratic: 10^5 vertices took minutes).
    vertices = np.zeros((len(coords), 5))
    vertices[:, :2] = coords
    end = bounds[1:] - closed  # LWPOLYLINE closes itself: a ring's last vertex is left out
    for k, lay in enumerate(layer[owner]):
        polyline = msp.add_lwpolyline((), close=bool(closed[k]), dxfattribs={"layer": lay})
        polyline.lwpoints.set(vertices[bounds[k]:end[k]])


def _add_symbols(doc: ezdxf.document.Drawing, msp, points: gpd.GeoDataFrame,
                 layer: np.ndarray) -> None:
    """Point facilities as inserts of one symbol block per item, with their attributes, so
    CAD shows a symbol (not a one-pixel POINT) and lists the facility's id, item and
    quantity."""
    from gisplan.plan.catalogue import load_catalogue

    names = load_catalogue()["name_zh"]
    items = points["item"].astype(str).to_numpy()
    for item in pd.unique(items):
        block_name = "SYM_" + _safe(pd.Series([item])).iloc[0]
        if block_name in doc.blocks:
            continue
        block = doc.blocks.new(block_name)
        block.add_circle((0, 0), 1.0)
        block.add_line((-1, 0), (1, 0))
        block.add_line((0, -1), (0, 1))
        for tag, y in (("ID", 1.4), ("ITEM", -1.8), ("QTY", -3.0)):
            block.add_attdef(tag, (1.4, y), dxfattribs={"height": 0.6, "style": TEXT_STYLE})
    qty = (points["quantity"] if "quantity" in points else pd.Series(1.0, index=points.index))
    xy = shapely.get_coordinates(np.asarray(points.geometry.array))
    ids = (points["facility_id"].astype(str).to_numpy() if "facility_id" in points
           else np.full(len(points), "", dtype=object))
    for (x, y), fid, item, q, lay in zip(xy, ids, items, qty.to_numpy(), layer, strict=True):
        ref = msp.add_blockref("SYM_" + _safe(pd.Series([item])).iloc[0], (x, y),
                               dxfattribs={"layer": lay})
        ref.add_auto_attribs({"ID": fid, "ITEM": str(names.get(item, item)),
                              "QTY": "" if pd.isna(q) else f"{float(q):g}"})


def write_dxf(enriched: Mapping[str, gpd.GeoDataFrame], path: Path, *, crs: str | None = None,
              labels: bool = True) -> Path:
    """Write the layers as one DXF drawing.

    Parameters
    ----------
    enriched : mapping of str to GeoDataFrame
        gisplan layers by name (as from :func:`gisplan.outputs.exports.layer_files.enrich_layers`),
        all in one metric CRS.
    path : Path
    crs : str, optional, keyword-only
        Recorded in the header (custom property ``CRS``).
    labels : bool, keyword-only
        Write id labels on the ``LABELS`` layer.

    Returns
    -------
    Path
    """
    doc = ezdxf.new("R2010", setup=False)
    doc.units = units.M
    doc.header["$MEASUREMENT"] = 1
    if crs:
        doc.header.custom_vars.append("CRS", str(crs))
    doc.styles.add(TEXT_STYLE, font="simsun.ttc")
    doc.linetypes.add("DASHED", pattern=[2.0, 1.2, -0.8], description="Dashed __ __ __")
    msp = doc.modelspace()
    for name, gdf in enriched.items():
        if not len(gdf):
            continue
        layer = dxf_layers(name, gdf).to_numpy(dtype=object)
        _add_layers(doc, list(pd.unique(layer)))
        geoms = np.asarray(gdf.geometry.array)
        if name == "facilities":
            puntal = np.isin(shapely.get_type_id(geoms), [0, 4])  # Point, MultiPoint
            points = gdf[puntal].assign(_layer=layer[puntal]).explode(index_parts=False)
            _add_symbols(doc, msp, points, points["_layer"].to_numpy(dtype=object))
            geoms, layer = geoms[~puntal], layer[~puntal]
        _add_geometries(msp, geoms, layer)
    if labels:
        table = label_table(enriched)
        if len(table):
            _add_layers(doc, ["LABELS"])
        for text, x, y, height in table.itertuples(index=False):
            msp.add_text(text, height=height, dxfattribs={
                "layer": "LABELS", "style": TEXT_STYLE}).set_placement(
                (x, y), align=ezdxf.enums.TextEntityAlignment.MIDDLE_CENTER)
    doc.saveas(path)
    return path


def label_table(enriched: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """The id labels to draw: ``text``, ``x``, ``y``, ``height``, none overlapping another.

    Labels are placed in the order of ``LABELS`` (communities, zones, buildings,
    structures; a zone's label sits above its inner point, so a one-community
    zone shows both ids); a label whose box would overlap one already placed is
    left out, as overlapping text cannot be read in CAD
    (:func:`gisplan.outputs.exports.labels.declutter`).
    """
    frames = []
    for rank, (name, (column, height, shift)) in enumerate(LABELS.items()):
        gdf = enriched.get(name)
        if gdf is None or not len(gdf):
            continue
        xy = shapely.get_coordinates(shapely.point_on_surface(np.asarray(gdf.geometry.array)))
        text = gdf[column] if column in gdf else gdf[SCHEMA_IDS[name]]
        if name == "communities" and SCHEMA_IDS[name] in gdf:  # a name, else the id
            text = text.where(text.notna() & (text.astype(str) != ""), gdf[SCHEMA_IDS[name]])
        frames.append(pd.DataFrame({"text": text.astype(str).to_numpy(), "x": xy[:, 0],
                                    "y": xy[:, 1] + shift, "height": height, "rank": rank}))
    if not frames:
        return pd.DataFrame(columns=["text", "x", "y", "height"])
    table = pd.concat(frames, ignore_index=True)
    # Latin capitals and digits are about 0.7 of the text height wide; CJK about 1.
    half_w = table["text"].map(lambda t: sum(1.0 if ord(c) > 0x2E80 else 0.7 for c in t)) \
        * table["height"] / 2
    half_h = table["height"] / 2
    boxes = np.column_stack([table["x"] - half_w, table["y"] - half_h,
                             table["x"] + half_w, table["y"] + half_h])
    keep = declutter(boxes, priority=-table["rank"].to_numpy())
    return table.loc[keep, ["text", "x", "y", "height"]].reset_index(drop=True)
