"""Small hand-made plans written as real files, with answers worked out by hand.

Coordinates are EPSG:4552 metres offset from (X0, Y0) near Hunchun. The
``mini`` plan (all figures below are hand-computed in ``tests/analysis/test_scope.py``):

- communities A = [0,100]x[0,100] (street S1, basic), B = [100,200]x[0,100]
  (touches A; S1, upgrade), C = [300,400]x[0,100] (S2, basic).
- buildings b1 60x12 in A; b2 40x12 straddling A|B (10 m in A, 30 m in B ->
  B); b3 40x10 in C with registered floor area 1500; b4 20x10 in no community.
- pipes p1 sewer DN300 from x=50 to x=350 at y=50 (A 50, B 100, gap 100,
  C 50); p2 water DN110 60 m in A; p3 gas ``keep`` (not scope).
- facilities bench in A, greening polygon 20x20 in B, EV charger in the gap.
- structures s1 10x10 confirmed in A, s2 demolished in B.
- quantities: b1 stairwell_paint 500 and roof_flat_waterproof 700 (overrides
  its derived 720); A asphalt_rebuild 300; B facade_paint 1000 (overrides B's
  derived façade).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

X0, Y0 = 611000.0, 4748000.0
CRS = "EPSG:4552"


def box(x1: float, y1: float, x2: float, y2: float) -> shapely.Polygon:
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def line(*pts: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in pts])


def point(x: float, y: float) -> shapely.Point:
    return shapely.Point(X0 + x, Y0 + y)


def mini_layers() -> dict[str, gpd.GeoDataFrame]:
    """The mini plan's layers as GeoDataFrames (fresh copies each call)."""
    gdf = gpd.GeoDataFrame
    return {
        "communities": gdf({
            "community_id": ["A", "B", "C"], "name": ["甲社区", "乙社区", "丙社区"],
            "street": ["S1", "S1", "S2"], "renovation_type": ["basic", "upgrade", "basic"],
        }, geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(300, 0, 400, 100)],
            crs=CRS),
        "buildings": gdf({
            "building_id": ["b1", "b2", "b3", "b4"], "floors": [5, 6, 4, 4],
            "households": [30, 24, 16, 8], "units": [3, 2, 2, 1],
            "roof": ["flat", "pitched", "flat", "flat"],
            "floor_area_m2": [None, None, 1500.0, None],
        }, geometry=[box(10, 10, 70, 22), box(90, 40, 130, 52), box(310, 10, 350, 20),
                     box(500, 0, 520, 10)], crs=CRS),
        "pipes": gdf({
            "pipe_id": ["p1", "p2", "p3"], "network": ["sewer", "water", "gas"],
            "diameter_mm": [300, 110, None], "action": ["replace", "replace", "keep"],
        }, geometry=[line((50, 50), (350, 50)), line((20, 80), (80, 80)),
                     line((0, 90), (100, 90))], crs=CRS),
        "facilities": gdf({
            "facility_id": ["f1", "f2", "f3"], "item": ["bench", "greening", "ev_charger"],
            "quantity": [None, None, None],
        }, geometry=[point(20, 50), box(120, 60, 140, 80), point(250, 50)], crs=CRS),
        "structures": gdf({
            "structure_id": ["s1", "s2"], "kind": ["违建", "仓房"],
            "status": ["confirmed", "demolished"],
        }, geometry=[box(60, 60, 70, 70), box(150, 80, 155, 90)], crs=CRS),
    }


MINI_QUANTITIES = pd.DataFrame({
    "target_id": ["b1", "b1", "A", "B"],
    "item": ["stairwell_paint", "roof_flat_waterproof", "asphalt_rebuild", "facade_paint"],
    "quantity": [500, 700, 300, 1000],
})

PLAN_TOML = """\
[plan]
name = "测试计划"
crs = "EPSG:4552"

[layers]
{layers}

[quantities]
declared = "quantities.csv"

[zones]
max_gap_m = 50
"""


def write_plan(folder: Path, layers: dict[str, gpd.GeoDataFrame] | None = None, *,
               quantities: pd.DataFrame | None = None, toml: str | None = None,
               driver: str = "GeoJSON", suffix: str = ".geojson") -> Path:
    """Write a plan folder through GDAL and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    layers = mini_layers() if layers is None else layers
    for name, gdf in layers.items():
        gdf.to_file(folder / f"{name}{suffix}", driver=driver, engine="pyogrio")
    (MINI_QUANTITIES if quantities is None else quantities).to_csv(
        folder / "quantities.csv", index=False)
    spec = "\n".join(f'{name} = "{name}{suffix}"' for name in layers)
    (folder / "plan.toml").write_text(toml or PLAN_TOML.format(layers=spec), encoding="utf-8")
    return folder
