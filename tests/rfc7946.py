"""Checks that a GeoJSON file follows RFC 7946, and round-trip comparisons, for the tests."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely


def _positions(coords) -> list[list[float]]:
    """Every position in a (nested) coordinates array."""
    if coords and isinstance(coords[0], int | float):
        return [coords]
    return [p for c in coords for p in _positions(c)]


def _check_bbox(bbox: list[float], positions: list[list[float]], where: str) -> None:
    assert len(bbox) == 4, f"{where}: bbox must be [west, south, east, north]"
    xy = np.array(positions)[:, :2]
    assert bbox[0] <= bbox[2] and bbox[1] <= bbox[3], where
    tol = 1e-7
    assert (xy[:, 0] >= bbox[0] - tol).all() and (xy[:, 0] <= bbox[2] + tol).all(), where
    assert (xy[:, 1] >= bbox[1] - tol).all() and (xy[:, 1] <= bbox[3] + tol).all(), where


def _check_rings(geometry: dict, where: str) -> None:
    kind = geometry["type"]
    polygons = ([geometry["coordinates"]] if kind == "Polygon"
                else geometry["coordinates"] if kind == "MultiPolygon" else [])
    for polygon in polygons:
        for k, ring in enumerate(polygon):
            assert ring[0] == ring[-1] and len(ring) >= 4, f"{where}: ring not closed"
            ccw = shapely.is_ccw(shapely.linearrings(ring))
            # RFC 7946 3.1.6: exterior rings counter-clockwise, holes clockwise.
            assert ccw == (k == 0), f"{where}: ring {k} winds the wrong way"


def check_rfc7946(path: Path) -> dict:
    """Parse ``path`` and assert RFC 7946; return the parsed document."""
    raw = Path(path).read_bytes()
    text = raw.decode("utf-8")  # RFC 7946 section 11: UTF-8
    assert not text.startswith("\ufeff"), "no byte-order mark"
    doc = json.loads(text)
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc, "RFC 7946 removed the crs member"
    everything = []
    for i, feature in enumerate(doc["features"]):
        where = f"{path.name} feature {i}"
        assert feature["type"] == "Feature"
        assert "crs" not in feature
        geometry = feature["geometry"]
        positions = _positions(geometry["coordinates"])
        for lon, lat, *_ in positions:
            assert -180 <= lon <= 180 and -90 <= lat <= 90, f"{where}: not lon/lat"
            for v in (lon, lat):
                assert abs(round(v, 7) - v) < 1e-12, f"{where}: {v} has more than 7 decimals"
        _check_rings(geometry, where)
        if "bbox" in feature:
            _check_bbox(feature["bbox"], positions, where)
        everything += positions
    if "bbox" in doc and everything:
        _check_bbox(doc["bbox"], everything, f"{path.name} collection")
    return doc


def assert_same_features(want: gpd.GeoDataFrame, got: gpd.GeoDataFrame, id_column: str, *,
                         columns: dict[str, str] | None = None, tolerance_m: float = 0.01
                         ) -> None:
    """Same ids, attribute values (Chinese text exactly) and geometry to ``tolerance_m``.

    ``got`` is brought to ``want``'s CRS; ``columns`` maps ``want``'s column
    names to ``got``'s (Shapefile field names).
    """
    columns = columns or {}
    got = got.to_crs(want.crs)
    got_id = columns.get(id_column, id_column)
    w = want.set_index(want[id_column].astype(str)).sort_index()
    g = got.set_index(got[got_id].astype(str)).sort_index()
    assert list(w.index) == list(g.index)
    dist = shapely.hausdorff_distance(np.asarray(w.geometry.array), np.asarray(g.geometry.array))
    assert dist.max() <= tolerance_m, f"geometry moved by {dist.max():.4f} m"
    for col in w.columns.drop([w.geometry.name]):
        a, b = w[col], g[columns.get(col, col)]
        if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
            x, y = pd.to_numeric(a, errors="coerce"), pd.to_numeric(b, errors="coerce")
            np.testing.assert_allclose(y.to_numpy(float), x.to_numpy(float), rtol=1e-9,
                                       err_msg=col)
        else:
            left = a.astype(object).where(a.notna(), None).tolist()
            right = b.astype(object).where(b.notna(), None).tolist()
            assert left == right, col
