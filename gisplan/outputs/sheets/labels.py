"""Labels of a map sheet: made per layer, placed together, most important first.

Labels are collected as :class:`Labels` and placed by :func:`place_labels`, none
overlapping another (greedy, with the rtree index of
:func:`gisplan.outputs.exports.labels.declutter`) or leaving the map frame.
:func:`choose_labels` and :func:`draw_labels` are its two halves, for a sheet that
places some labels once and others per sheet over them.

Examples
--------
>>> lab = Labels.make([0, 10], [0, 0], ["甲", "乙"], size=7, priority=[1, 2])
>>> lab.text.tolist(), lab.priority.tolist()
(['甲', '乙'], [1.0, 2.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes

from gisplan.outputs.exports.labels import declutter
from gisplan.outputs.sheets.layout import PT_MM, sheet_labels, text_width_mm
from gisplan.outputs.webmap.styles import network_styles

#: Labels sit on a light box rather than a stroked halo: a halo (a path effect) turns the
#: text into outlines, which a PDF reader can neither search nor copy.
LABEL_BOX = {"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75}
#: Labels lie over every layer of the map (but the scale bar and north arrow).
LABEL_Z = 10


@dataclass(frozen=True)
class Labels:
    """Labels to place: anchor (metres), text, size (pt), rotation (deg), colour, priority."""

    x: np.ndarray
    y: np.ndarray
    text: np.ndarray
    size: np.ndarray
    rotation: np.ndarray
    colour: np.ndarray
    priority: np.ndarray

    @classmethod
    def make(cls, x, y, text, *, size: float, rotation=0.0, colour="#252525",
             priority=0.0) -> Labels:
        n = len(np.asarray(x))

        def full(v, dtype):
            return np.broadcast_to(np.asarray(v, dtype=dtype), (n,)).copy()

        return cls(np.asarray(x, dtype=float), np.asarray(y, dtype=float),
                   np.asarray(text, dtype=object), full(size, float), full(rotation, float),
                   full(colour, object), full(priority, float))

    @classmethod
    def concat(cls, parts: list[Labels]) -> Labels:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                     ("x", "y", "text", "size", "rotation", "colour", "priority")))


def _upright(angle: np.ndarray) -> np.ndarray:
    """Angles (deg) turned to read left to right: in (-90, 90]."""
    a = (np.asarray(angle, dtype=float) + 180.0) % 180.0
    return np.where(a > 90.0, a - 180.0, a)


def area_labels(areas: gpd.GeoDataFrame, column: str, *, font_pt: float, colour: str,
                priority: np.ndarray | float = 0.0,
                within: shapely.Geometry | None = None) -> Labels:
    """A label inside each area (on the part inside ``within``, where given); an area of
    several parts is labelled on each part at least a third as large as its largest."""
    geoms = np.asarray(areas.geometry.array)
    if within is not None:
        geoms = shapely.intersection(geoms, within)
    parts, idx = shapely.get_parts(geoms, return_index=True)
    size = shapely.area(parts)
    largest = pd.Series(size).groupby(idx).transform("max").to_numpy()
    keep = (size > 0) & (size >= largest / 3)
    pts = shapely.point_on_surface(parts[keep])
    prio = np.broadcast_to(np.asarray(priority, dtype=float), len(geoms))[idx[keep]]
    return Labels.make(shapely.get_x(pts), shapely.get_y(pts),
                       areas[column].astype(str).to_numpy()[idx[keep]], size=font_pt,
                       colour=colour, priority=prio - (size[keep] < largest[keep]))


def building_labels(buildings: gpd.GeoDataFrame, *, community_name: str,
                    font_pt: float) -> Labels:
    """``1号楼 5层`` along each building's long side (the community's name cut off)."""
    if buildings.empty:
        return Labels.make([], [], [], size=font_pt)
    name = buildings["name"].fillna("").astype(str) if "name" in buildings else pd.Series(
        "", index=buildings.index)
    short = name.str.removeprefix(community_name) if community_name else name
    if "building_id" in buildings:
        short = short.where(short.str.len() > 0, buildings["building_id"].astype(str))
    floors = pd.to_numeric(buildings.get("floors"), errors="coerce")
    unit = sheet_labels()["floors"]
    text = short + floors.map(lambda f: "" if pd.isna(f) else f" {int(f)}{unit}")
    geoms = np.asarray(buildings.geometry.array)
    rect = shapely.oriented_envelope(geoms)
    ring = shapely.get_coordinates(shapely.get_exterior_ring(rect)).reshape(len(geoms), -1, 2)
    e1, e2 = ring[:, 1] - ring[:, 0], ring[:, 2] - ring[:, 1]
    long_edge = np.where((np.hypot(*e1.T) >= np.hypot(*e2.T))[:, None], e1, e2)
    angle = _upright(np.degrees(np.arctan2(long_edge[:, 1], long_edge[:, 0])))
    pts = shapely.centroid(rect)
    return Labels.make(shapely.get_x(pts), shapely.get_y(pts), text.to_numpy(),
                       size=font_pt, rotation=angle, priority=200.0)


def pipe_labels(pipes: gpd.GeoDataFrame, *, font_pt: float) -> Labels:
    """``污水DN300`` in the network's colour along the middle of each renovated pipe."""
    works = pipes[(pipes["action"] != "keep").to_numpy()]
    if works.empty:
        return Labels.make([], [], [], size=font_pt)
    nets = network_styles()
    geoms = np.asarray(works.geometry.array)
    parts, idx = shapely.get_parts(geoms, return_index=True)
    longest = pd.Series(shapely.length(parts)).groupby(idx).idxmax().to_numpy()
    line = parts[longest]
    length = shapely.length(line)
    mid = shapely.line_interpolate_point(line, 0.5, normalized=True)
    a = shapely.line_interpolate_point(line, np.maximum(length / 2 - 1.0, 0))
    b = shapely.line_interpolate_point(line, np.minimum(length / 2 + 1.0, length))
    angle = _upright(np.degrees(np.arctan2(shapely.get_y(b) - shapely.get_y(a),
                                           shapely.get_x(b) - shapely.get_x(a))))
    dia = pd.to_numeric(works["diameter_mm"], errors="coerce")
    zh = works["network"].map(lambda n: nets.get(n, {"name": str(n)})["name"])
    text = zh + dia.map(lambda d: "" if pd.isna(d) else f"DN{int(d)}")
    colour = works["network"].map(lambda n: nets.get(n, {"color": "#737373"})["color"])
    return Labels.make(shapely.get_x(mid), shapely.get_y(mid), text.to_numpy(),
                       size=font_pt, rotation=angle, colour=colour.to_numpy(),
                       priority=100.0 + np.minimum(length, 99.0))


def choose_labels(ax: Axes, labels_: Labels, *, denominator: int,
                  taken: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The labels that fit: inside the map frame, overlapping neither each other nor the
    ``taken`` boxes (metres), most important first; their indices and boxes (metres)."""
    n = len(labels_.x)
    if n == 0:
        return np.zeros(0, dtype=int), np.zeros((0, 4))
    per_mm = denominator / 1000.0
    w = np.array([text_width_mm(t, s) for t, s in zip(labels_.text, labels_.size,
                                                      strict=True)]) * per_mm
    h = labels_.size * PT_MM * 1.25 * per_mm
    r = np.radians(labels_.rotation)
    half_w = (np.abs(w * np.cos(r)) + np.abs(h * np.sin(r))) / 2
    half_h = (np.abs(w * np.sin(r)) + np.abs(h * np.cos(r))) / 2
    boxes = np.column_stack([labels_.x - half_w, labels_.y - half_h,
                             labels_.x + half_w, labels_.y + half_h])
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    inside = ((boxes[:, 0] > x0) & (boxes[:, 2] < x1) & (boxes[:, 1] > y0)
              & (boxes[:, 3] < y1))
    fixed = np.zeros((0, 4)) if taken is None else np.asarray(taken, dtype=float)
    all_boxes = np.vstack([fixed, boxes[inside]])
    priority = np.concatenate([np.full(len(fixed), np.inf), labels_.priority[inside]])
    keep = declutter(all_boxes, priority=priority)[len(fixed):]
    chosen = np.flatnonzero(inside)[keep]
    return chosen, boxes[chosen]


def draw_labels(ax: Axes, labels_: Labels, chosen: np.ndarray) -> list:
    """Draw the ``chosen`` labels (indices) on their light boxes; return the texts."""
    return [ax.text(labels_.x[i], labels_.y[i], labels_.text[i], fontsize=labels_.size[i],
                    rotation=labels_.rotation[i], rotation_mode="anchor", ha="center",
                    va="center", color=labels_.colour[i], bbox=LABEL_BOX, zorder=LABEL_Z,
                    clip_on=True) for i in chosen]


def place_labels(ax: Axes, labels_: Labels, *, denominator: int,
                 taken: np.ndarray | None = None) -> int:
    """Draw the labels that fit (:func:`choose_labels`); return how many."""
    chosen, _ = choose_labels(ax, labels_, denominator=denominator, taken=taken)
    return len(draw_labels(ax, labels_, chosen))
