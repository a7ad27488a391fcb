"""Files for other tools: RFC 7946 GeoJSON and the zone outputs.

GeoJSON is written through GDAL with ``RFC7946=YES``: EPSG:4326 lon/lat,
counter-clockwise exterior rings, 7 decimals, no ``crs`` member.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from gisplan.scope import Scope
from gisplan.zones import Zones

HEADLINE = ["buildings", "households", "floor_area_m2"]


def write_rfc7946(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    """Write ``gdf`` as RFC 7946 GeoJSON (reprojected to EPSG:4326 by GDAL)."""
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio", RFC7946="YES",
                COORDINATE_PRECISION=7, WRITE_NAME="NO")
    return path


def zone_features(zones: Zones, scope: Scope) -> gpd.GeoDataFrame:
    """Zone outlines with their headline figures from the scope's zone level."""
    t = scope.table[scope.table["level"] == "zone"]
    figures = t[t["item"].isin(HEADLINE)].pivot_table(
        index="area_id", columns="item", values="quantity", aggfunc="sum")
    figures = figures.reindex(columns=HEADLINE).fillna(0.0)
    out = zones.outlines.join(figures, on="zone_id")
    out[HEADLINE] = out[HEADLINE].fillna(0.0)
    out["buildings"] = out["buildings"].astype(int)
    out["households"] = out["households"].astype(int)
    out["floor_area_m2"] = out["floor_area_m2"].round(2)
    cost = t.groupby("area_id")["cost_cny"].sum()
    out["cost_cny"] = out["zone_id"].map(cost).fillna(0.0).round(2)
    return out


def write_zone_files(zones: Zones, scope: Scope, folder: Path) -> list[Path]:
    """``zones.geojson``, ``zone_links.csv`` and ``zone_pipes.csv`` in ``folder``."""
    written = [write_rfc7946(zone_features(zones, scope), folder / "zones.geojson")]
    links = zones.links.assign(gap_m=zones.links["gap_m"].round(3),
                               joined=zones.links["joined"].map({True: "true", False: "false"}))
    for name, frame in (("zone_links.csv", links), ("zone_pipes.csv", zones.shared_pipes)):
        pd.DataFrame(frame).to_csv(folder / name, index=False, encoding="utf-8-sig")
        written.append(folder / name)
    return written
