"""Where data lie against the plan's CRS: its area of use, and the zone the data fit.

A projected CRS is true only near where it is meant to be used: Gauss-Krüger
3-degree zones are 3° of longitude wide, UTM zones 6°. Data read under the
wrong zone still reproject without complaint, but every length and area comes
out wrong (Guangzhou under CGCS2000 CM 129E, 16° away: footprints 7 % too
large). :func:`check_crs_fit` makes that an error that names the zone the
data fit, found in the EPSG database through pyproj (the same family as the
plan's CRS where it has one: ``CGCS2000 / 3-degree Gauss-Kruger CM 114E`` for
``... CM 129E``), and makes coordinates that are not finite or absurd after
reprojection (a wrong CRS tag, swapped axes) an error naming the feature.

Examples
--------
>>> [c.to_string() for c in fitting_crs((113.2, 23.0, 113.4, 23.2), "EPSG:4552")]
['EPSG:4547', 'EPSG:4526']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_crs_info

from gisplan.inputs.problems import Report

#: Degrees by which data may run past the edge of the plan CRS's area of use (surveys
#: often carry a zone's grid a little beyond its edge; 1° there changes lengths by < 0.1 %).
TOLERANCE_DEG = 1.0
#: Metres: a projected coordinate beyond this is absurd in any CRS (the equator is 4e7 m).
MAX_COORDINATE = 1e8
#: The part of a CRS name that names its zone: ``zone 38``, ``zone 50N``, ``CM 114E``.
_ZONE = re.compile(r"(?:zone \d+[NS]?|CM \d+(?:\.\d+)?[EW])$")


@cache
def _crs(crs: str) -> pyproj.CRS:
    return pyproj.CRS.from_user_input(crs)


@cache
def _to_lonlat(crs: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(_crs(crs), "EPSG:4326", always_xy=True)


def lonlat_bounds(bounds: NDArray, crs: str) -> NDArray:
    """Bounds (n x 4, in ``crs``) as longitude/latitude bounds (n x 4), corners reprojected."""
    t = _to_lonlat(crs)
    x0, y0 = t.transform(bounds[:, 0], bounds[:, 1])
    x1, y1 = t.transform(bounds[:, 2], bounds[:, 3])
    return np.column_stack([np.minimum(x0, x1), np.minimum(y0, y1),
                            np.maximum(x0, x1), np.maximum(y0, y1)])


def outside(lonlat: NDArray, crs: str, *, tolerance: float = TOLERANCE_DEG) -> NDArray:
    """Which longitude/latitude bounds (n x 4) reach past ``crs``'s area of use by more than
    ``tolerance`` degrees; all False where the CRS states no area of use."""
    area = _crs(crs).area_of_use
    if area is None:
        return np.zeros(len(lonlat), dtype=bool)
    w, s, e, n = area.bounds
    if e < w:  # the area crosses the antimeridian: compare in 0..360
        lonlat = lonlat.copy()
        lonlat[:, [0, 2]] %= 360
        e += 360
    return ((lonlat[:, 0] < w - tolerance) | (lonlat[:, 2] > e + tolerance)
            | (lonlat[:, 1] < s - tolerance) | (lonlat[:, 3] > n + tolerance))


def fitting_crs(extent: tuple[float, float, float, float], crs: str) -> list[pyproj.CRS]:
    """Projected CRSs whose area of use holds ``extent`` (west, south, east, north), best first.

    Those of ``crs``'s own family (its name without the zone: ``CGCS2000 / 3-degree
    Gauss-Kruger``) come first, named as ``crs`` is (``CM 114E`` before ``zone 38``);
    for a CRS of no such family, the WGS 84 UTM zone. Where no zone holds the whole
    extent, the zone holding its centre.
    """
    name = _crs(crs).name
    zone = _ZONE.search(name)
    base = name[:zone.start()] if zone else "WGS 84 / UTM "
    style = zone.group(0).split()[0] if zone else "zone"
    w, s, e, n = extent
    cx, cy = (w + e) / 2, (s + n) / 2
    for aoi in (AreaOfInterest(w, s, e, n), AreaOfInterest(cx, cy, cx, cy)):
        found = [i for i in query_crs_info(auth_name="EPSG", pj_types="PROJECTED_CRS",
                                           area_of_interest=aoi, contains=True)
                 if i.name.startswith(base) and _ZONE.search(i.name) and not i.deprecated]
        if found:
            # Same naming style first, then the zone whose area is centred nearest the data.
            def rank(i) -> tuple[bool, float]:
                a = i.area_of_use
                return (not i.name[len(base):].startswith(style),
                        abs((a.west + a.east) / 2 - cx))
            return [pyproj.CRS.from_epsg(int(i.code)) for i in sorted(found, key=rank)]
    return []


def _degrees(w: float, s: float, e: float, n: float) -> str:
    def lon(v: float) -> str:
        return f"{abs(v):.2f}°{'E' if v >= 0 else 'W'}"

    def lat(v: float) -> str:
        return f"{abs(v):.2f}°{'N' if v >= 0 else 'S'}"

    return f"{lon(w)}–{lon(e)}, {lat(s)}–{lat(n)}"


def _named(crs: pyproj.CRS) -> str:
    return f"{crs.to_string()} ({crs.name})"


def check_crs_fit(geoms: NDArray, layer: str, *, crs: str,
                  labels: Callable[[NDArray], list[str]], report: Report,
                  source_crs: str | None = None) -> NDArray:
    """Coordinates finite and in range, and the layer inside ``crs``'s area of use.

    Parameters
    ----------
    geoms : array of geometries
        The layer, already in ``crs`` (missing and empty geometries are skipped).
    layer : str
        For the messages.
    crs : str, keyword-only
        The plan CRS.
    labels : callable, keyword-only
        ``labels(positions)`` gives the feature ids to name (a Locator's ``labels``).
    report : Report, keyword-only
    source_crs : str, optional, keyword-only
        The CRS the layer was read in, for the messages.

    Returns
    -------
    ndarray of bool
        Features whose coordinates are not finite or absurd (reported as errors).
    """
    bounds = np.asarray(shapely.bounds(geoms), dtype=float).reshape(-1, 4)
    bad = np.zeros(len(bounds), dtype=bool)
    if len(bounds) == 0:
        return bad
    whole = _extent(bounds)
    if not (np.abs(whole) <= MAX_COORDINATE).all():  # some feature is (NaN: none is given)
        given = ~np.isnan(bounds).all(axis=1)  # missing or empty: reported elsewhere
        bad = given & ~(np.isfinite(bounds) & (np.abs(bounds) <= MAX_COORDINATE)).all(axis=1)
        _report_bad(bounds, bad, layer, labels=labels, report=report,
                    came=f" after reprojecting from {source_crs} to {crs}" if source_crs
                    else f" in {crs}")
        whole = _extent(bounds[~bad])
        if np.isnan(whole).any():
            return bad
    if _crs(crs).area_of_use is None or not outside(lonlat_bounds(whole, crs), crs)[0]:
        return bad  # the common case: one test for the whole layer
    positions = np.flatnonzero(~bad & ~np.isnan(bounds).any(axis=1))
    _report_outside(bounds[positions], positions, layer, crs=crs, labels=labels,
                    report=report)
    return bad


def _extent(bounds: NDArray) -> NDArray:
    """The extent (1 x 4) of many bounds, NaN (missing or empty geometry) ignored; NaN for
    none."""
    if len(bounds) == 0:
        return np.full((1, 4), np.nan)
    return np.array([[np.fmin.reduce(bounds[:, 0]), np.fmin.reduce(bounds[:, 1]),
                      np.fmax.reduce(bounds[:, 2]), np.fmax.reduce(bounds[:, 3])]])


def _report_bad(bounds: NDArray, bad: NDArray, layer: str, *,
                labels: Callable[[NDArray], list[str]], report: Report, came: str) -> None:
    for pos, feature_id in zip(np.flatnonzero(bad), labels(np.flatnonzero(bad)), strict=True):
        worst = bounds[pos][np.argmax(np.nan_to_num(np.abs(bounds[pos]), nan=np.inf))]
        report.add("error", layer, "bad_coordinates",
                   f"coordinates are not finite or absurd ({worst:g}){came}; check the "
                   "file's CRS (a wrong .prj or swapped x/y) and the feature's vertices",
                   feature_id=feature_id)


def _report_outside(b: NDArray, positions: NDArray, layer: str, *, crs: str,
                    labels: Callable[[NDArray], list[str]], report: Report) -> None:
    """Most features outside the area of use: one error naming the zone they fit; a few:
    an error for each."""
    lonlat = lonlat_bounds(b, crs)
    out = outside(lonlat, crs)
    area = _crs(crs).area_of_use
    use = f"the area of use of the plan CRS {_named(_crs(crs))}: {_degrees(*area.bounds)}"
    ok = np.isfinite(lonlat).all(axis=1)
    if out.mean() > 0.5 and ok.any():
        ext = (lonlat[ok, 0].min(), lonlat[ok, 1].min(), lonlat[ok, 2].max(),
               lonlat[ok, 3].max())
        fits = fitting_crs(ext, crs)
        advice = (f"the data fit {_named(fits[0])}"
                  + (f" (or {', '.join(_named(c) for c in fits[1:3])})" if len(fits) > 1
                     else "")
                  + f"; set crs = \"{fits[0].to_string()}\" in [plan] of plan.toml"
                  if fits else "no projected CRS zone in the EPSG database holds them")
        report.add("error", layer, "outside_crs_area",
                   f"{int(out.sum())} of {len(out)} features lie at {_degrees(*ext)}, outside "
                   f"{use}; lengths and areas measured there would be wrong. {advice}, or "
                   "check the layer's own CRS")
        return
    for feature_id, (w, s, e, n) in zip(labels(positions[out]), lonlat[out], strict=True):
        report.add("error", layer, "outside_crs_area",
                   f"lies at {_degrees(w, s, e, n)}, far outside the rest of the layer and "
                   f"{use}; check its coordinates", feature_id=feature_id)
