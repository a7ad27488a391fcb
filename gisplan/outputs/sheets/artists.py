"""Geometries as matplotlib collections, built in a few array operations.

One call per layer style: the coordinates of every ring or line come out of shapely
at once (``shapely.get_coordinates`` with the counts per ring as offsets), the path
codes are set by index, and one collection holds every feature, with colours and
widths per feature. Nothing is drawn until the figure is saved (geopandas' ``plot``
asks the canvas to redraw after each call, which on an Agg canvas is a whole render).

Examples
--------
>>> import shapely
>>> from matplotlib.figure import Figure
>>> ax = Figure().add_subplot()
>>> square = shapely.box(0, 0, 2, 2).difference(shapely.box(0.5, 0.5, 1, 1))
>>> c = add_geometries(ax, [square, shapely.box(3, 3, 4, 4)], facecolor=["red", "blue"])
>>> [len(p.vertices) for p in c.get_paths()]  # a ring with its hole; a ring
[10, 5]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import Collection, LineCollection, PathCollection
from matplotlib.markers import MarkerStyle
from matplotlib.path import Path
from matplotlib.transforms import IdentityTransform

Colours = str | Sequence[str] | np.ndarray


def _per_part(value, index: np.ndarray):
    """A per-feature list or array spread to the parts (``index``: each part's feature);
    a single value as it is."""
    if isinstance(value, str) or np.ndim(value) == 0:
        return value
    return np.asarray(value, dtype=object)[index].tolist()


def polygon_paths(geoms: np.ndarray) -> tuple[list[Path], np.ndarray]:
    """Each polygon part as a compound path (exterior and holes); each part's feature."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    keep = ~shapely.is_empty(parts)
    parts, index = parts[keep], index[keep]
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords = shapely.get_coordinates(rings)
    count = shapely.get_num_coordinates(rings)
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    codes[starts] = Path.MOVETO
    codes[starts + count - 1] = Path.CLOSEPOLY
    per_part = np.bincount(ring_part, weights=count, minlength=len(parts)).astype(int)
    ends = np.cumsum(per_part)
    paths = [Path(coords[a:b], codes[a:b]) for a, b in zip(ends - per_part, ends, strict=True)]
    return paths, index


def line_segments(geoms: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Each line part (of lines, or of polygon boundaries) as an (n, 2) array; each
    part's feature."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    keep = ~shapely.is_empty(parts)
    parts, index = parts[keep], index[keep]
    coords = shapely.get_coordinates(parts)
    count = shapely.get_num_coordinates(parts)
    return np.split(coords, np.cumsum(count)[:-1]) if len(parts) else [], index


def add_geometries(ax: Axes, geoms: Sequence | np.ndarray, *, facecolor: Colours = "none",
                   edgecolor: Colours = "none", linewidth: float | Sequence[float] = 1.0,
                   linestyle: object = "solid", alpha: float | None = None,
                   hatch: str | None = None, markersize: float = 20.0, zorder: float = 1.0,
                   capstyle: str | None = None) -> Collection | None:
    """Add ``geoms`` (all polygons, all lines or all points) to ``ax`` as one collection
    without changing its limits; colours and widths one for all or one per feature.

    Polygons take ``facecolor``, ``edgecolor`` and ``hatch``; lines ``edgecolor`` (their
    colour), ``linestyle`` and ``capstyle``; points ``facecolor`` and ``markersize``
    (pt², as ``scatter``). Returns the collection, or None when there is nothing.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return None
    dim = int(shapely.get_dimensions(geoms).max())
    if dim == 2:
        paths, index = polygon_paths(geoms)
        coll = PathCollection(paths, facecolors=_per_part(facecolor, index),
                              edgecolors=_per_part(edgecolor, index),
                              linewidths=_per_part(linewidth, index), hatch=hatch)
    elif dim == 1:
        segments, index = line_segments(geoms)
        coll = LineCollection(segments, colors=_per_part(edgecolor, index),
                              linewidths=_per_part(linewidth, index), linestyles=linestyle,
                              capstyle=capstyle)
    else:
        parts, index = shapely.get_parts(geoms, return_index=True)
        xy = shapely.get_coordinates(parts)
        dot = MarkerStyle("o")
        coll = PathCollection([dot.get_path().transformed(dot.get_transform())], sizes=[markersize],
                              offsets=xy, offset_transform=ax.transData,
                              facecolors=_per_part(facecolor, index),
                              edgecolors=_per_part(edgecolor, index),
                              linewidths=_per_part(linewidth, index))
        coll.set_transform(IdentityTransform())  # sizes in points, as scatter
    if alpha is not None:
        coll.set_alpha(alpha)
    coll.set_zorder(zorder)
    ax.add_collection(coll, autolim=False)
    return coll
