"""One layer's geometry checked and brought to the plan's CRS.

:func:`check_geometry` finds missing and empty geometries, wrong geometry types and
invalid ones (repaired with ``shapely.make_valid`` on request, the repair reduced to
the feature's own family by :func:`gisplan.inputs.spatial.keep_family`: a building
stays polygonal, the line where a self-touching ring collapsed is dropped), a missing
CRS, and after reprojection coordinates that are not finite or absurd and data that
lie outside the plan CRS's area of use (:mod:`gisplan.inputs.crs_zones`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from gisplan.inputs.crs_zones import check_crs_fit
from gisplan.inputs.problems import Report
from gisplan.inputs.schema import SCHEMAS, locate
from gisplan.inputs.spatial import keep_family
from gisplan.plan.settings import Plan

#: Geometry type names by shapely type id; the last entry stands for id -1 (missing).
TYPE_NAMES = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                       "MultiLineString", "MultiPolygon", "GeometryCollection", ""])
FAMILY_NAMES = {0: "point", 1: "line", 2: "polygon"}


def repaired(values: np.ndarray) -> np.ndarray:
    """``make_valid`` (structure method, collapsed parts dropped), reduced to each input's
    family: what is left of a polygon is polygonal, of a line lineal; an empty geometry of
    the family where nothing is.

    Examples
    --------
    >>> bowtie = shapely.from_wkt("POLYGON ((0 0, 2 2, 2 0, 0 2, 0 0))")
    >>> sliver = shapely.from_wkt("POLYGON ((0 0, 1 0, 0 0, 0 0))")
    >>> [g.wkt for g in repaired(np.array([bowtie, sliver]))]
    ['MULTIPOLYGON (((1 1, 2 2, 2 0, 1 1)), ((0 0, 0 2, 1 1, 0 0)))', 'POLYGON EMPTY']
    """
    fixed = shapely.make_valid(values, method="structure", keep_collapsed=False)
    return keep_family(fixed, shapely.get_dimensions(values))


def check_geometry(gdf: gpd.GeoDataFrame, layer: str, plan: Plan, *, repair: bool,
                   report: Report) -> gpd.GeoDataFrame:
    """Null/empty, type, validity, CRS and position; returns the layer in ``plan.crs``."""
    schema = SCHEMAS[layer]
    where = locate(gdf, schema.id)
    geom = gdf.geometry.array
    empty = np.asarray(geom.isna() | shapely.is_empty(np.asarray(geom)))
    for idx in np.flatnonzero(empty):
        report.add("error", layer, "empty_geometry", "has no geometry",
                   feature_id=where.iloc[idx])
    kinds = TYPE_NAMES[shapely.get_type_id(np.asarray(geom))]  # "" for a missing geometry
    wrong = ~empty & ~np.isin(kinds, schema.geometry)
    for idx in np.flatnonzero(wrong):
        report.add("error", layer, "wrong_geometry_type",
                   f"geometry is {kinds[idx]}; expected {' or '.join(schema.geometry)}",
                   feature_id=where.iloc[idx])
    values = np.asarray(geom)
    invalid = ~empty & ~wrong & ~shapely.is_valid(values)
    if invalid.any():
        gdf = _repair_or_report(gdf, values, invalid, layer, where, repair=repair,
                                report=report)
    if gdf.crs is None:
        if plan.assume_crs is None:
            report.add("error", layer, "no_crs",
                       "the file has no CRS; give it one (e.g. a .prj), or set "
                       "[plan] assume_crs = \"EPSG:4326\" if you know what it is")
            return gdf
        report.add("warning", layer, "assumed_crs",
                   f"the file has no CRS; assumed {plan.assume_crs} as plan.toml says")
        gdf = gdf.set_crs(plan.assume_crs)
    source = gdf.crs
    # Reprojecting onto the same CRS would still transform every coordinate.
    if not source.equals(plan.crs):
        gdf = gdf.to_crs(plan.crs)
    check_crs_fit(np.asarray(gdf.geometry.array), layer, crs=plan.crs, labels=where.labels,
                  report=report, source_crs=None if source.equals(plan.crs) else
                  source.to_string())
    return gdf


def _repair_or_report(gdf: gpd.GeoDataFrame, values: np.ndarray, invalid: np.ndarray,
                      layer: str, where, *, repair: bool, report: Report) -> gpd.GeoDataFrame:
    """Report each invalid geometry; with ``repair``, the layer with them repaired (a repair
    that leaves nothing of the feature's family is an error)."""
    reasons = shapely.is_valid_reason(values[invalid])
    fixed = repaired(values[invalid]) if repair else None
    for k, (idx, reason) in enumerate(zip(np.flatnonzero(invalid), reasons, strict=True)):
        if not repair:
            report.add("error", layer, "invalid_geometry",
                       f"geometry invalid ({reason}); fix it, or run with --repair",
                       feature_id=where.iloc[idx])
        elif shapely.is_empty(fixed[k]):
            family = FAMILY_NAMES[int(shapely.get_dimensions(values[idx]))]
            report.add("error", layer, "invalid_geometry",
                       f"geometry invalid ({reason}) and make_valid leaves no {family} of it "
                       f"(it collapses to something smaller than a {family}); fix or remove "
                       "the feature", feature_id=where.iloc[idx])
        else:
            report.add("warning", layer, "invalid_geometry",
                       f"geometry repaired with make_valid ({reason})",
                       feature_id=where.iloc[idx])
    if not repair:
        return gdf
    values = values.copy()
    values[invalid] = fixed
    return gdf.set_geometry(gpd.GeoSeries(values, index=gdf.index, crs=gdf.crs))
