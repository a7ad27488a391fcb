"""Compact, vectorised encoding of geometries and attribute columns for the web map.

Geometries are simplified in the plan's metric CRS, reprojected to lon/lat,
quantised to ``1 / scale`` degree (1e-6 degree is about 0.1 m) and written as
one flat list of delta-encoded integers per geometry family, with run lengths
for rings, parts and features; polygon rings lose their closing vertex.
Attribute columns are plain lists, or ``{"d": values, "i": codes}`` for
repeated text. Nothing here loops over features in Python.

Examples
--------
>>> import numpy as np, shapely
>>> from pyproj import Transformer
>>> t = Transformer.from_crs("EPSG:4326", "EPSG:4326", always_xy=True)
>>> g = pack_geometries(np.array([shapely.box(0, 0, 1e-5, 2e-5)]), transformer=t,
...                     tolerance=0.0)
>>> g["polygon"]["c"], g["polygon"]["r"]
([0, 10, 20, 0, 0, -10, -20, 0], [4])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

#: shapely type ids of each family: (single, multi).
FAMILIES = {"point": (0, 4), "line": (1, 5), "polygon": (3, 6)}
SCALE = 1_000_000
#: Lines and rings of more vertices than this are simplified in pieces of PIECE vertices
#: (:func:`simplify_long`).
LONG, PIECE = 4096, 256


def _counts(offsets: np.ndarray) -> np.ndarray:
    return np.diff(np.asarray(offsets, dtype=np.int64))


def _or_none(counts: np.ndarray) -> list[int] | None:
    """Run lengths, or None when every one is 1 (the common case)."""
    return None if bool(np.all(counts == 1)) else counts.tolist()


def _delta(lat: np.ndarray, lon: np.ndarray, scale: int) -> list[int]:
    """Interleaved (lat, lon) integers, each the difference from the previous vertex."""
    q = np.empty(2 * len(lat), dtype=np.int64)
    q[0::2] = np.rint(lat * scale)
    q[1::2] = np.rint(lon * scale)
    out = q.copy()
    out[2:] -= q[:-2]
    return out.tolist()


def _family(geoms: np.ndarray, transformer: Transformer, scale: int) -> dict[str, Any]:
    """One family's geometries as counts and delta-encoded vertices."""
    gtype, coords, offsets = shapely.to_ragged_array(geoms, include_z=False)
    offsets = [np.asarray(o, dtype=np.int64) for o in offsets]
    n = len(geoms)
    ones = np.arange(n + 1, dtype=np.int64)
    out: dict[str, Any] = {}
    if gtype in (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON):
        if gtype == shapely.GeometryType.POLYGON:
            (ring_off, poly_off), geom_off = offsets, ones
        else:
            ring_off, poly_off, geom_off = offsets
        # Drop each ring's closing vertex: Leaflet closes rings itself.
        keep = np.ones(len(coords), dtype=bool)
        keep[ring_off[1:] - 1] = False
        coords = coords[keep]
        out["r"] = (_counts(ring_off) - 1).tolist()   # vertices per ring
        out["p"] = _or_none(_counts(poly_off))        # rings per polygon
        out["g"] = _or_none(_counts(geom_off))        # polygons per feature
    elif gtype in (shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING):
        if gtype == shapely.GeometryType.LINESTRING:
            (part_off,), geom_off = offsets, ones
        else:
            part_off, geom_off = offsets
        out["r"] = _counts(part_off).tolist()         # vertices per line part
        out["g"] = _or_none(_counts(geom_off))        # parts per feature
    else:
        out["g"] = None if gtype == shapely.GeometryType.POINT else _or_none(
            _counts(offsets[0]))                      # points per feature
    lon, lat = transformer.transform(coords[:, 0], coords[:, 1])
    out["c"] = _delta(np.asarray(lat), np.asarray(lon), scale)
    return out


def pack_geometries(geoms: np.ndarray, *, transformer: Transformer, tolerance: float,
                    scale: int = SCALE) -> dict[str, Any]:
    """Encode geometries by family: ``{"point"|"line"|"polygon": {...}}``.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        In the plan's metric CRS; None and empty geometries are skipped.
    transformer : pyproj.Transformer, keyword-only
        Plan CRS to EPSG:4326, ``always_xy=True``.
    tolerance : float, keyword-only
        Simplification tolerance in CRS units (metres); 0 keeps every vertex.
    scale : int, keyword-only
        Integer units per degree.

    Returns
    -------
    dict
        Per family: ``c`` delta-encoded (lat, lon) integers, ``r`` vertices
        per ring or line part, ``p`` rings per polygon, ``g`` parts per
        feature (None when all are 1) and ``i`` the feature positions the
        family holds (None when it holds every feature, in order).
    """
    geoms = np.asarray(geoms, dtype=object)
    if tolerance > 0:
        geoms = simplified(geoms, tolerance)
    type_id = shapely.get_type_id(geoms)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    out: dict[str, Any] = {}
    for kind, ids in FAMILIES.items():
        where = np.flatnonzero(ok & np.isin(type_id, ids))
        if not len(where):
            continue
        fam = _family(geoms[where], transformer, scale)
        fam["i"] = None if len(where) == len(geoms) else where.tolist()
        out[kind] = fam
    return out


def label_points(geoms: np.ndarray, *, transformer: Transformer,
                 scale: int = SCALE) -> list[int]:
    """Where each polygon's label goes: its centroid when that lies inside, else a point
    on its surface; as interleaved (lat, lon) integers (``scale`` per degree), 0s for
    missing geometries.

    Examples
    --------
    >>> import numpy as np, shapely
    >>> from pyproj import Transformer
    >>> t = Transformer.from_crs("EPSG:4326", "EPSG:4326", always_xy=True)
    >>> ring = shapely.Polygon([(0, 0), (4, 0), (4, 1), (1, 1), (1, 4), (0, 4)])
    >>> label_points(np.array([shapely.box(0, 0, 2, 2), ring]), transformer=t, scale=10)
    [10, 10, 25, 5]
    """
    geoms = np.asarray(geoms, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    out = np.zeros((len(geoms), 2), dtype=np.int64)
    if ok.any():
        g = geoms[ok]
        at = shapely.centroid(g)
        outside = ~shapely.within(at, g)
        at[outside] = shapely.point_on_surface(g[outside])
        lon, lat = transformer.transform(shapely.get_x(at), shapely.get_y(at))
        out[ok, 0] = np.rint(np.asarray(lat) * scale)
        out[ok, 1] = np.rint(np.asarray(lon) * scale)
    return out.ravel().tolist()


def simplified(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """``geoms`` simplified to ``tolerance``, in time near linear in their vertices.

    Rectangles and short lines have nothing to lose and are kept; the others
    are simplified preserving topology, except lines and rings of more than
    :data:`LONG` vertices, which are simplified piece by piece
    (:func:`simplify_long`).

    Examples
    --------
    >>> import shapely
    >>> x, teeth = np.linspace(0, 2000, 20_001), np.arange(20_001) % 2
    >>> zigzag = shapely.linestrings(x, teeth * 1.0)      # 1 m teeth 0.1 m apart: all kept
    >>> rough = shapely.linestrings(x, teeth * 0.002)     # 2 mm teeth: the pieces' ends
    >>> shapely.get_num_coordinates(simplified(np.array([zigzag, rough]), 0.1)).tolist()
    [20001, 80]
    """
    n = shapely.get_num_coordinates(geoms)
    many = n > 8
    long = (n > LONG) & np.isin(shapely.get_type_id(geoms), (1, 3, 5, 6))
    if not many.any():
        return geoms
    out = geoms.copy()
    some = many & ~long
    out[some] = shapely.simplify(geoms[some], tolerance, preserve_topology=True)
    if long.any():
        out[long] = simplify_long(geoms[long], tolerance)
    return out


def simplify_long(geoms: np.ndarray, tolerance: float, *, piece: int = PIECE) -> np.ndarray:
    """Douglas-Peucker simplification of lines and polygons, each line and ring cut into
    pieces of ``piece`` vertices whose ends are kept.

    GEOS's simplifiers recurse once per vertex in the worst case (vertices as
    far from the chord as each other, as on a zigzag), which is quadratic in
    time and overflows the stack past about 10^5 vertices (a segmentation
    fault; libgeos/geos#1515). Pieces bound both: at most ``piece``² steps
    per piece. Every kept vertex is an input vertex within ``tolerance`` of
    the piece it stands for; rings stay closed and keep at least one vertex
    per piece.
    """
    parts, owner = shapely.get_parts(geoms, return_index=True)
    polygonal = shapely.get_dimensions(parts) == 2
    rings, ring_part = shapely.get_rings(parts[polygonal], return_index=True)
    paths = np.concatenate([parts[~polygonal], rings])
    coords, path = shapely.get_coordinates(paths, return_index=True)
    start = np.searchsorted(path, np.arange(len(paths)))
    local = np.arange(len(coords)) - start[path]
    size = np.bincount(path, minlength=len(paths))
    # Vertex i of a path is in piece i // (piece - 1); a vertex at a cut ends the
    # piece before too, so it is written twice.
    step = piece - 1
    cut = (local % step == 0) & (local > 0) & (local < size[path] - 1)
    first_piece = np.concatenate([[0], np.cumsum((size - 2) // step + 1)])[:-1]
    pid = first_piece[path] + np.minimum(local // step, (size[path] - 2) // step)
    twice = np.repeat(np.arange(len(coords)), 1 + cut)
    piece_id = pid[twice]
    piece_id[np.flatnonzero(cut) + np.arange(cut.sum())] -= 1
    pieces = shapely.simplify(shapely.linestrings(coords[twice], indices=piece_id), tolerance,
                              preserve_topology=False)
    kept, kept_piece = shapely.get_coordinates(pieces, return_index=True)
    piece_path = np.repeat(np.arange(len(paths)), (size - 2) // step + 1)
    # Join the pieces: each but a path's first starts with the vertex the one before ended on.
    joint = np.r_[False, kept_piece[1:] != kept_piece[:-1]] & (
        kept_piece != first_piece[piece_path[kept_piece]])
    kept, kept_path = kept[~joint], piece_path[kept_piece[~joint]]
    n_lines = int((~polygonal).sum())
    is_ring = kept_path >= n_lines
    new_parts = np.empty(len(parts), dtype=object)
    if n_lines:
        new_parts[~polygonal] = shapely.linestrings(kept[~is_ring], indices=kept_path[~is_ring])
    if len(rings):
        new_rings = shapely.linearrings(kept[is_ring], indices=kept_path[is_ring] - n_lines)
        new_parts[polygonal] = shapely.polygons(new_rings, indices=ring_part)
    single = np.isin(shapely.get_type_id(geoms), (1, 3))
    out = np.empty(len(geoms), dtype=object)
    first = np.searchsorted(owner, np.arange(len(geoms)))
    out[single] = new_parts[first[single]]
    multi = np.flatnonzero(~single)
    for kind, build in ((5, shapely.multilinestrings), (6, shapely.multipolygons)):
        which = multi[shapely.get_type_id(geoms[multi]) == kind]
        if len(which):
            take = np.isin(owner, which)
            out[which] = build(new_parts[take], indices=np.searchsorted(which, owner[take]))
    return out


def num(values: Any, *, digits: int = 2) -> list[float | int | None]:
    """A numeric column as a JSON list: rounded, integers where whole, NaN as null."""
    arr = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    arr = np.round(arr, digits)
    finite = np.isfinite(arr)
    if finite.all() and np.all(arr == np.round(arr)) and np.all(np.abs(arr) < 2**53):
        return arr.astype(np.int64).tolist()
    obj = arr.astype(object)
    obj[~finite] = None
    whole = finite & (arr == np.round(arr)) & (np.abs(arr) < 2**53)
    obj[whole] = arr[whole].astype(np.int64)
    return obj.tolist()


def text(values: Any) -> list[str | None]:
    """A text column as a JSON list, missing values as null."""
    arr = pd.Series(values, dtype=object).to_numpy(dtype=object)
    missing = pd.isna(arr)
    out = arr.astype(str).astype(object)
    out[missing] = None
    return out.tolist()


def category(values: Any) -> dict[str, list]:
    """Repeated text as ``{"d": distinct values, "i": codes}`` (code -1 for missing)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    return {"d": [str(u) for u in uniques], "i": codes.tolist()}


def csr(owner: np.ndarray, n: int, columns: dict[str, list]) -> dict[str, list]:
    """Rows grouped by owner position (0..n-1, rows already sorted by owner).

    Returns ``{"n": rows per owner, **columns}``: owner ``k`` has the
    ``n[k]`` rows after those of owners ``0..k-1`` (counts are shorter to
    write than offsets).

    Examples
    --------
    >>> csr(np.array([0, 0, 2]), 3, {"q": [1, 2, 3]})
    {'n': [2, 0, 1], 'q': [1, 2, 3]}
    """
    owner = np.asarray(owner, dtype=np.int64)
    if len(owner) and np.any(np.diff(owner) < 0):
        raise ValueError("csr rows must be sorted by owner")
    return {"n": np.bincount(owner, minlength=n)[:n].tolist(), **columns}
