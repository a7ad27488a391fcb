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

The ``review`` plan (:func:`review_plan_layers`) adds a kept heating pipe h1
along y=95 in B, an identified structure s3 in C and a confirmed one (s4) in
no community; :data:`PROPOSALS` are its proposed facilities, one per review
rule, and a fire lane L1, 6 m wide, runs north along x=170 in B
(:func:`write_review_files`). :func:`new_version` is a second version of the
mini plan for the plan diff.
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


# -- the review plan (tests/analysis/test_review.py, tests/inputs/test_proposals.py, pages) --

# facility_id -> (item, claimed community, geometry)
PROPOSALS = {
    "fine": ("ev_charger", "A", point(30, 60)),
    "out_poly": ("bike_shed", "A", box(95, 2, 105, 6)),         # 5x4 m in B
    "out_pt": ("ev_charger", "A", point(110, 5)),               # 10 m into B
    "on_bldg": ("bike_shed", "A", box(65, 18, 75, 30)),         # 5x4 m on b1
    "pt_in_bldg": ("litter_bin", "A", point(40, 15)),           # inside b1
    "charger": ("ev_charger", "A", point(40, 8)),               # 2 m below b1's wall
    "near_gas": ("ev_charger", "A", point(50, 89.2)),           # 0.8 m from gas p3
    "near_heat": ("bike_shed", "B", point(120, 94)),            # 1 m from heating h1
    "pair1": ("pavilion", "A", box(20, 30, 30, 40)),            # 5x5 m on pair2
    "pair2": ("pavilion", "A", box(25, 35, 35, 45)),
    "on_illegal": ("bike_shed", "A", box(62, 62, 66, 66)),      # 4x4 m on s1
    "lane_block": ("parking_marked", "B", box(170.5, 60, 175, 64)),  # 0.5 m short of centre
    "lane_ok": ("parking_marked", "B", box(172, 20, 176, 24)),  # 2 m short of centre
    "lane_pt": ("ev_charger", "B", point(170, 40)),             # on the centreline
}
NETWORKS = ["water", "sewer", "heating", "gas"]  # present in the plan, in rules order
RULES = ["inside_community", "building_overlap", "proposal_overlap", "illegal_structure",
         "building_setback", *(f"pipe_setback_{n}" for n in NETWORKS), "fire_lane_clear_width"]


def review_plan_layers() -> dict[str, gpd.GeoDataFrame]:
    layers = mini_layers()
    p = layers["pipes"]
    layers["pipes"] = pd.concat([p, gpd.GeoDataFrame(
        {"pipe_id": ["h1"], "network": ["heating"], "diameter_mm": [None], "action": ["keep"]},
        geometry=[line((110, 95), (190, 95))], crs=CRS)], ignore_index=True)
    s = layers["structures"]
    layers["structures"] = pd.concat([s, gpd.GeoDataFrame(
        {"structure_id": ["s3", "s4"], "kind": ["仓房", "违建"],
         "status": ["identified", "confirmed"]},
        geometry=[box(320, 60, 330, 70), box(250, 80, 255, 85)], crs=CRS)], ignore_index=True)
    return layers


def proposal_frame(rows: dict = PROPOSALS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"facility_id": list(rows),
                             "item": [v[0] for v in rows.values()],
                             "community_id": [v[1] for v in rows.values()]},
                            geometry=[v[2] for v in rows.values()], crs=CRS)


def write_review_files(root: Path) -> tuple[Path, Path]:
    """The review plan, ``proposal.geojson`` and ``lanes.geojson`` under ``root``:
    (root, plan folder)."""
    plan = write_plan(root / "plan", review_plan_layers())
    proposal_frame().to_file(root / "proposal.geojson", engine="pyogrio")
    gpd.GeoDataFrame({"lane_id": ["L1"], "width_m": [6.0]},
                     geometry=[line((170, 0), (170, 100))], crs=CRS).to_file(
        root / "lanes.geojson", engine="pyogrio")
    return root, plan


MARKUP = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"reviewer": "张工", "time": "2024-05-01T09:30:00+08:00",
                                       "comment": "充电桩离楼太近", "status": "open"},
     "geometry": {"type": "Point", "coordinates": [130.3588, 42.8596]}},
    {"type": "Feature", "properties": {"reviewer": "李工", "time": "2024-05-02T10:00:00+08:00",
                                       "comment": "<script>alert(1)</script>",
                                       "status": "resolved"},
     "geometry": {"type": "Polygon", "coordinates": [[[130.3586, 42.8595], [130.3590, 42.8595],
                                                      [130.3590, 42.8598], [130.3586, 42.8595]]]}},
]}


# -- a second version of the mini plan (tests/analysis/test_diff.py, pages/test_diff.py) --

def new_version() -> dict[str, gpd.GeoDataFrame]:
    """b1 moved 5 m east, b3 made 10 m longer, b4 deleted, b5 added in C, b2's households
    24 -> 30 and f1 moved 3 m."""
    layers = mini_layers()
    b = layers["buildings"]
    b.loc[0, "geometry"] = shapely.affinity.translate(b.geometry[0], 5, 0)
    b.loc[2, "geometry"] = box(310, 10, 360, 20)
    b.loc[1, "households"] = 30
    b5 = gpd.GeoDataFrame({"building_id": ["b5"], "floors": [3], "households": [9], "units": [1],
                           "roof": ["flat"], "floor_area_m2": [None]},
                          geometry=[box(370, 60, 390, 70)], crs=CRS)
    layers["buildings"] = pd.concat([b[b["building_id"] != "b4"], b5], ignore_index=True)
    f = layers["facilities"]
    f.loc[0, "geometry"] = shapely.affinity.translate(f.geometry[0], 0, 3)
    return layers


def load_scoped(folder: Path, layers: dict[str, gpd.GeoDataFrame] | None = None) -> tuple:
    """Write a plan (the mini plan by default), load it and compute zones and scope:
    (layers, scope, zones), what the maps and exports take."""
    from gisplan.analysis.scope import compute_scope
    from gisplan.analysis.zones import detect_zones
    from gisplan.inputs.validation import load_layers

    loaded = load_layers(write_plan(folder, layers))
    zones = detect_zones(loaded)
    return loaded, compute_scope(loaded, zones=zones.membership), zones


# -- the export plan (tests/outputs/exports/) -------------------------------------------------

NAMES = ["一号楼", "二号楼（珲春·新区）", "三号楼", None]


def export_layers() -> dict[str, gpd.GeoDataFrame]:
    """The mini plan with a courtyard hole (20x20 m) in community C and Chinese building
    names."""
    layers = mini_layers()
    com = layers["communities"]
    com.loc[2, "geometry"] = box(300, 0, 400, 100).difference(box(360, 60, 380, 80))
    layers["buildings"]["name"] = NAMES
    return layers


def shp_parts(enriched: dict[str, gpd.GeoDataFrame], layer: str) -> list:
    """(stem, features) of each Shapefile a layer is written as (split by geometry family)."""
    g = enriched[layer]
    family = g.geom_type.str.replace("Multi", "").str.lower().replace(
        {"linestring": "line"})
    kinds = list(pd.unique(family))
    return [(layer if len(kinds) == 1 else f"{layer}_{k}", g[family == k]) for k in kinds]


#: A programme for the mini plan: Q1 (楼体, track fiscal) in every community, Q2 (室外,
#: track budget) outdoor works and pipes in A and B.
MINI_PROGRAMME = {
    "projects": pd.DataFrame({
        "project_id": ["Q1", "Q2"], "name": ["楼体改造 building works", "室外配套 outdoor works"],
        "track": ["fiscal", "budget"], "communities": ["*", "A;B"],
        "groups": ["building", "outdoor;pipes"], "items": ["", ""],
        "other_rate": ["", "0.1"], "contingency_rate": ["", "0.05"],
        "stated_total_cny": ["1000000", "500000"]}),
    "milestones": pd.DataFrame({
        "milestone_id": ["M1", "M2", "M3", "M4"],
        "phase": ["准备 preparation", "许可 permit", "许可 permit", "验收 acceptance"],
        "name": ["认定 identification", "施工图审查 drawing review", "招投标 tender",
                 "竣工验收 acceptance"],
        "track": ["*", "fiscal", "budget", "*"],
        "start": ["", "", "2020-08-01", ""],
        "due": ["2020-06-01", "2020-08-20", "2020-09-15", ""],
        "lead": ["住房和城乡建设局", "住房和城乡建设局", "住房和城乡建设局", "住房和城乡建设局"],
        "support": ["各街道;财政局", "", "政数局", ""]}),
    "progress": pd.DataFrame({
        "date": ["2020-05-20", "2020-08-10"], "milestone_id": ["M1", "M3"],
        "project_id": ["*", "Q2"], "status": ["done", "started"], "note": ["", ""]}),
}

PROGRAMME_TOML = """
[programme]
projects = "projects.csv"
milestones = "milestones.csv"
progress = "progress.csv"

[investment]
other_rate = 0.2
contingency_rate = 0.1
stated_total_cny = 2000000
"""


def write_programme(folder: Path, **frames: pd.DataFrame) -> Path:
    """Add the mini programme's CSV files (``frames`` replace some) and plan.toml sections."""
    for name, frame in {**MINI_PROGRAMME, **frames}.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    toml = folder / "plan.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + PROGRAMME_TOML, encoding="utf-8")
    return folder


def access_layers() -> dict[str, gpd.GeoDataFrame]:
    """Roads, services and candidate sites over the mini plan, for walking access.

    Walks worked out by hand (``[access] snap_max_m = 50``; b1..b4 centroids are
    (40,16), (110,46), (330,15), (510,5)):

    - roads: r1 street y = -10 from x = -20 to 530; r2 lane x = 40 from y = -10 to 5;
      r3 lane x = 110 from y = -10 to 30; r4 an expressway y = 60 that is not walkable
      (b2 is 14 m from it but 16 m from r3).
    - kindergarten k1 at (60,-20): b1 11 + 15 + 20 + 10 = 56, b2 16 + 40 + 50 + 10 = 116,
      b3 25 + 270 + 10 = 305, b4 15 + 450 + 10 = 475; k2 at (600,100) is 108 m from
      every road: unreachable.
    - market m1, a 20x20 polygon centred on (210,-30): b1 11 + 15 + 170 + 20 = 216,
      b2 16 + 40 + 100 + 20 = 176, b3 25 + 120 + 20 = 165, b4 15 + 300 + 20 = 335.
    - sites s1 (330,-20) kindergarten: b3 35, b4 205; s2 (520,-30) any kind: b4 45,
      b3 235; s3 (100,-20) market only.
    """
    gdf = gpd.GeoDataFrame
    return {
        "roads": gdf({"road_id": ["r1", "r2", "r3", "r4"],
                      "walkable": [True, True, None, False]},
                     geometry=[line((-20, -10), (530, -10)), line((40, -10), (40, 5)),
                               line((110, -10), (110, 30)), line((0, 60), (400, 60))],
                     crs=CRS),
        "services": gdf({"service_id": ["k1", "k2", "m1"],
                         "kind": ["kindergarten", "kindergarten", "market"]},
                        geometry=[point(60, -20), point(600, 100), box(200, -40, 220, -20)],
                        crs=CRS),
        "sites": gdf({"site_id": ["s1", "s2", "s3"],
                      "kinds": ["kindergarten", None, "market"]},
                     geometry=[point(330, -20), point(520, -30), point(100, -20)], crs=CRS),
    }


ACCESS_TOML = """
[access]
snap_max_m = 50
"""


def write_access_plan(folder: Path, *, access: str = ACCESS_TOML,
                      layers: dict[str, gpd.GeoDataFrame] | None = None,
                      quantities: pd.DataFrame | None = None) -> Path:
    """The mini plan with :func:`access_layers` and an ``[access]`` section."""
    layers = {**mini_layers(), **access_layers()} if layers is None else layers
    spec = "\n".join(f'{name} = "{name}.geojson"' for name in layers)
    return write_plan(folder, layers, quantities=quantities,
                      toml=PLAN_TOML.format(layers=spec) + access)
