"""Generate the bundled, illustrative plan folder for the 2020 Hunchun renovation plan.

Usage::

    python layers/make_hunchun2020.py [--out DIR]

The figures (17 communities, 96 buildings, 5054 households, 386400 m2 and
every quantity of the seed's two work lists) follow the plan text; all
geometry is invented (no public survey geometry exists).  The output is
fully deterministic: a fixed numpy seed, fixed orders, sorted writes.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely import affinity, unary_union
from shapely.geometry import MultiPolygon, Point, box

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _hunchun_access as hac
import _hunchun_geometry as hg
import _hunchun_io as hio
import _hunchun_programme as hprog

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE.parent / "gisplan" / "plan" / "data" / "work_items.csv"
CRS = "EPSG:4552"
SEED = 2020_0715
S = 0.8  # layout scale applied to the relative cell / barrier coordinates below
STREETS = {"222404001": "靖和街道", "222404002": "新安街道", "222404003": "河南街道"}
TOTALS = {"households": 5054, "floor_area_m2": 386400.0, "units": 386}
QTY: dict[str, float] = {}  # catalogue code -> seed quantity (filled from the catalogue)
UNITS: dict[str, str] = {}  # catalogue code -> unit
# fmt: off
# name, code, cell (x0, y0, x1, y1 in m relative to the town centre, times S), chamfered
# corner, renovation type, number of buildings
BLOCKS = [
    ("永新社区", "222404001001", (-960, -300, -560, 60), "", "upgrade", 9),
    ("龙盛社区", "222404001003", (-530, -300, -240, 60), "se", "basic", 6),
    ("康平社区", "222404001004", (-215, -300, -15, 60), "", "basic", 3),
    ("沿河社区", "222404001005", (-960, -610, -640, -330), "nw", "basic", 5),
    ("长城社区", "222404002003", (700, -610, 980, -330), "ne", "basic", 4),
    ("龙源社区", "222404002004", (15, -300, 330, 60), "nw", "basic", 6),
    ("迎春社区", "222404002005", (360, -300, 700, 60), "ne", "upgrade", 7),
    ("长安社区", "222404002007", (730, -300, 980, 60), "", "basic", 6),
    ("居安社区", "222404003003", (40, -1120, 400, -810), "se", "upgrade", 7),
    ("永盛社区", "222404003004", (430, -1080, 820, -810), "sw", "basic", 4),
    ("沿南社区", "222404003005", (-960, -1000, -640, -712), "sw", "basic", 5),
]
# touching pairs: (west community), (east community), superblock cell, split x
SPLITS = [
    (("新兴社区", "222404001008", "basic", 5), ("文化社区", "222404001002", "upgrade", 6),
     (-610, -610, -15, -330), -320),
    (("团结社区", "222404002001", "upgrade", 6), ("迎新社区", "222404002002", "basic", 5),
     (15, -610, 620, -330), 315),
    (("矿泉社区", "222404003001", "basic", 6), ("阳光社区", "222404003002", "upgrade", 6),
     (-590, -1100, 10, -810), -290),
]
EXTRA_PART = ("长安社区", (750, 100, 950, 280))  # 长安 is a two-part MultiPolygon
# pipe classes laid along roads: (network, diameter) -> lateral offset from the centre line (m)
OFFSETS = {("sewer", 300): -4.9, ("storm", 200): -4.2, ("storm", 300): -3.5,
           ("storm", 400): -2.8, ("water", 32): -2.1, ("water", 50): -1.4, ("water", 90): -0.7,
           ("water", 110): 0.0, ("water", 160): 0.7, ("heating", None): 1.4,
           ("gas", None): 2.8, ("telecom", None): 4.2}
# pipes crossing into a neighbour, and outlets to street mains (partly outside, exact length)
CROSSINGS = [(("sewer", 300), "新兴社区", "文化社区"), (("water", 160), "团结社区", "迎新社区"),
             (("heating", None), "永新社区", "龙盛社区"), (("storm", 300), "龙源社区", "迎春社区"),
             (("telecom", None), "矿泉社区", "阳光社区")]
OUTLETS = [(("sewer", 300), "长城社区", (1, 0), 60.0), (("water", 160), "康平社区", (0, 1), 40.0),
           (("storm", 600), "永盛社区", (0, -1), None), (("storm", 500), "居安社区", (0, -1), None)]
KEEP = [("water", 110), ("sewer", 300), ("storm", 300), ("heating", None), ("telecom", None),
        ("power", None), ("water", 50), ("power", None), ("storm", 200), ("power", None),
        ("heating", None), ("power", None), ("telecom", None)]
# point items spread at random: weighting -> items ("upgrade3": upgrade communities x3)
POINT_ITEMS = {
    "all": ["parking_paved", "lighting_control_box", "tree_planting", "parking_marked",
            "speed_bump", "vehicle_barrier_bar", "litter_bin", "stone_ball", "guard_rail",
            "septic_tank_cleaning"],
    "upgrade3": ["gate_barrier", "fitness_equipment", "bench", "stone_chess_table", "bike_shed"],
    "upgrade": ["public_toilet", "pavilion", "pergola", "tree_pool_seat", "notice_board"],
}
# per-building items: weight -> items
BUILDING_SPLITS = {
    "removal": ["roof_pitched_removal"], "pitched_perim": ["eave_repair"],
    "pf": ["downpipe_replace", "facade_repair"], "perim": ["waist_line", "building_plate",
    "lightning_protection"], "units": ["cctv_point"], "flat_fp": ["roof_insulation"],
    "uf": ["stairwell_paint", "stair_handrail_paint", "skirting", "stair_lamp",
           "stair_lamp_cabling"], "length": ["trench_cleaning"],
}
COMMUNITY_SPLITS = ["asphalt_rebuild", "paving_vehicle", "paving_pedestrian", "kerb_renew"]
ACTION = {"gas": "new", "storm": "new"}  # 燃气管道的新建; 雨污分流 adds storm sewers
BUILDING_COLUMNS = ["building_id", "community_id", "name", "floors", "households", "units",
                    "roof", "floor_area_m2", "geometry"]
# fmt: on
COUNT_UNITS = {"樘", "个", "组", "株", "盏", "座"}


def read_catalogue() -> list[dict]:
    """Catalogue rows with the seed quantity parsed from ``source_text`` (in catalogue units)."""
    with open(CATALOGUE, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        m = re.fullmatch(re.escape(r["name_zh"]) + r"([0-9.]+)(.+)", r["source_text"])
        r["qty"] = float(m.group(1)) * (1000 if m.group(2) == "公里" else 1)
    return rows


def town_centre() -> tuple[float, float]:
    """Hunchun urban centre (lon 130.365, lat 42.865) in EPSG:4552, whole metres."""
    x, y = Transformer.from_crs("EPSG:4326", CRS, always_xy=True).transform(130.365, 42.865)
    return round(x), round(y)


def make_communities(rng, x0, y0) -> list[dict]:
    """The 17 community blocks (one MultiPolygon), sorted by official code."""

    def cell(c):
        return (x0 + S * c[0], y0 + S * c[1], x0 + S * c[2], y0 + S * c[3])

    out = []
    for name, code, c, chamfer, kind, n in BLOCKS:
        out.append(dict(name=name, code=code, type=kind, n=n, geom=hg.block(rng, cell(c), chamfer)))
    for west, east, c, xs in SPLITS:
        for (name, code, kind, n), geom in zip(
            (west, east), hg.split_block(rng, cell(c), x0 + S * xs), strict=True
        ):
            out.append(dict(name=name, code=code, type=kind, n=n, geom=geom))
    for d in out:
        if d["name"] == EXTRA_PART[0]:
            d["geom"] = MultiPolygon([d["geom"], hg.block(rng, cell(EXTRA_PART[1]), "sw")])
    return sorted(out, key=lambda d: d["code"])


def make_buildings(rng, comms) -> pd.DataFrame:
    """96 slabs with exact roof, facade, household, area and unit totals."""
    n = sum(d["n"] for d in comms)
    floors = rng.choice([4, 5, 6, 7], size=n, p=[0.2, 0.45, 0.25, 0.1])
    low = np.flatnonzero(floors <= 5)
    pitched = np.zeros(n, bool)
    pitched[np.sort(rng.choice(low, 12, replace=False))] = True
    L, W = hg.solve_dims(rng, floors, pitched, 69932.0, 7694 / 1.15, 245980 / 2.9)
    rows, start = [], 0
    for d in comms:
        idx = list(range(start, start + d["n"]))
        start += d["n"]
        site, fps = hg.layout_site(rng, d["geom"], [(L[i], W[i]) for i in idx])
        d["site"] = site
        order = sorted(range(len(idx)), key=lambda j: (site.rects[j][1], site.rects[j][0]))
        for num, j in enumerate(order, 1):
            i = idx[j]
            rows.append(
                dict(
                    community_id=d["code"],
                    name=f"{d['name']}{num}号楼",
                    floors=int(floors[i]),
                    roof="pitched" if pitched[i] else "flat",
                    L=L[i],
                    geometry=fps[j],
                )
            )
    b = pd.DataFrame(rows)
    b.insert(0, "building_id", [f"HC-B{i:03d}" for i in range(1, n + 1)])
    fp = b.geometry.map(lambda g: g.area)
    gross = fp * b.floors * rng.uniform(0.95, 1.05, n)
    b["floor_area_m2"] = hg.split_exact(TOTALS["floor_area_m2"], gross, 2)
    b["units"] = [u + 1 for u in hg.split_int(TOTALS["units"] - n, np.maximum(b.L - 16, 1))]
    b["households"] = hg.split_int(
        TOTALS["households"], b.floor_area_m2 * rng.uniform(0.93, 1.07, n)
    )
    return b


def make_pipes(rng, comms, b) -> pd.DataFrame:
    """Renovated pipes of exact per-class length, plus existing 'keep' lines."""
    by_name = {d["name"]: d for d in comms}
    avoid = unary_union(list(b.geometry.map(lambda g: g.buffer(2.0))))
    specials: dict = {}
    for cls, a, c in CROSSINGS:
        specials.setdefault(cls, []).append(
            hg.axis_line(by_name[a]["geom"], by_name[c]["geom"], avoid)
        )
    for cls, name, direction, length in OUTLETS:
        total = QTY[hg.pipe_code(*cls)] if length is None else length
        specials.setdefault(cls, []).append(
            hg.outlet_line(by_name[name]["geom"], direction, total, avoid)
        )
    rows = []

    def add(cls, lines, action):
        for g in lines:
            rows.append(dict(network=cls[0], diameter_mm=cls[1], action=action, geometry=g))

    classes = sorted(
        set(OFFSETS) | set(specials) | {("sewer", 150)}, key=lambda c: (c[0], c[1] or 0)
    )
    for k, cls in enumerate(classes):
        target = QTY[hg.pipe_code(*cls)]
        add(cls, specials.get(cls, []), ACTION.get(cls[0], "replace"))
        rest = target - sum(g.length for g in specials.get(cls, []))
        if cls not in OFFSETS and cls != ("sewer", 150):
            continue
        if cls == ("storm", 400):
            eligible = [d for d in comms if d["name"] == "居安社区"]
        elif cls[0] == "gas":
            eligible = [d for d in comms if d["type"] == "upgrade"]
        else:
            eligible = comms
        quotas = hg.split_exact(rest, [d["n"] for d in eligible], 2)
        quotas[-1] = rest - sum(quotas[:-1])
        for j, (d, q) in enumerate(zip(eligible, quotas, strict=True)):
            s = d["site"]
            if cls == ("sewer", 150):
                src = s.collectors(1) + s.collectors(-1)
            else:
                off = OFFSETS[cls]
                src = s.corridor_lines(off) + s.ring_edges(hg.RING + off)
                r = (3 * k + j) % len(src)
                src = src[r:] + src[:r]
            add(cls, hg.fill(src, q), ACTION.get(cls[0], "replace"))
    for j, cls in enumerate(KEEP):
        s = comms[(5 * j + 2) % len(comms)]["site"]
        src = s.corridor_lines(5.6 if j % 2 else -5.6) or s.ring_edges(hg.RING + 5.6)
        add(cls, [src[j % len(src)]], "keep")
    p = pd.DataFrame(rows)
    p.insert(0, "pipe_id", [f"HC-P{i:04d}" for i in range(1, len(p) + 1)])
    p["diameter_mm"] = p.diameter_mm.astype("Int64")
    return p


def make_facilities(rng, comms, b, p, s) -> pd.DataFrame:
    """All countable outdoor items as points, greening and EV canopies as polygons."""
    rows = []
    bldg = unary_union(list(b.geometry))
    forbidden = unary_union([bldg.buffer(3.0), *list(s.geometry.map(lambda g: g.buffer(2.0)))])

    def add(item, geoms, qty=1.0):
        rows.extend(dict(item=item, quantity=qty, geometry=g) for g in geoms)

    ups = [d for d in comms if d["type"] == "upgrade"]
    for d, n_ch in ((ups[2], 4), (ups[4], 3)):  # EV canopies 10 m x 7 m with chargers alongside
        shed = hg.random_rect(rng, d["geom"], 14.0, 11.0, d["site"].theta, forbidden)
        c = shed.centroid
        shed = box(c.x - 5, c.y - 3.5, c.x + 5, c.y + 3.5)
        shed = affinity.rotate(shed, d["site"].theta, origin=(c.x, c.y))
        add("ev_charging_shed", [shed], 70.0)
        pts = [Point(c.x - 3.75 + 2.5 * i, c.y - 4.7) for i in range(n_ch)]
        add("ev_charger", [affinity.rotate(q, d["site"].theta, origin=(c.x, c.y)) for q in pts])
        forbidden = forbidden.union(shed.buffer(2.0))
    green = hg.split_exact(QTY["greening"], [1] * 6, 2)
    for k, area in enumerate(green):
        d = comms[(3 * k + 1) % len(comms)]
        w = rng.uniform(16, 26)
        add(
            "greening",
            [hg.random_rect(rng, d["geom"], w, area / w, d["site"].theta, forbidden)],
            area,
        )
        forbidden = forbidden.union(rows[-1]["geometry"].buffer(1.0))
    live = p[p.action != "keep"]
    lines = {
        net: list(live[live.network == net].geometry)
        for net in ("sewer", "storm", "water", "telecom")
    }
    add("sewer_manhole", hg.points_along(lines["sewer"], int(QTY["sewer_manhole"])))
    add("storm_manhole", hg.points_along(lines["storm"], int(QTY["storm_manhole"])))
    add("storm_inlet", hg.points_along(lines["storm"], int(QTY["storm_inlet"]), lateral=1.5))
    add("water_valve_chamber", hg.points_along(lines["water"], int(QTY["water_valve_chamber"])))
    add("hand_hole", hg.points_along(lines["telecom"], int(QTY["hand_hole"])))
    lamp_lines = [e for d in comms for e in d["site"].ring_edges(1.2)]
    add("courtyard_lamp", hg.points_along(lamp_lines, int(QTY["courtyard_lamp"])))
    avoid_pts = unary_union(
        [bldg.buffer(1.5)]
        + list(s.geometry)
        + [r["geometry"] for r in rows if r["item"] == "ev_charging_shed"]
    )
    weights = {
        "all": lambda d: d["n"],
        "upgrade3": lambda d: d["n"] * (3 if d["type"] == "upgrade" else 1),
        "upgrade": lambda d: d["n"] * (d["type"] == "upgrade"),
    }
    for how, item in [(h, it) for h, items in POINT_ITEMS.items() for it in items]:
        total, qty = int(QTY[item]), 1.0
        if item == "parking_paved":  # rows of four paved bays
            total, qty = total // 4, 4.0
        if item == "gate_barrier":  # four barriers stand on the street at entrances
            add(item, hg.street_points(rng, comms, 4))
            total -= 4
        for d, k in zip(comms, hg.split_int(total, [weights[how](d) for d in comms]), strict=True):
            add(item, hg.random_points(rng, d["geom"], k, avoid_pts), qty)
    f = pd.DataFrame(rows)
    order = {code: i for i, code in enumerate(QTY)}
    f = f.iloc[sorted(range(len(f)), key=lambda i: (order[f.item.iloc[i]], i))].reset_index(
        drop=True
    )
    f.insert(0, "facility_id", [f"HC-F{i:05d}" for i in range(1, len(f) + 1)])
    return f


def make_quantities(rng, comms, b, f) -> list[tuple[str, str, str]]:
    """Per-building and per-community rows for items not carried by geometry."""
    fp = b.geometry.map(lambda g: g.area).to_numpy()
    perim = b.geometry.map(lambda g: g.length).to_numpy()
    flat = (b.roof == "flat").to_numpy()
    take = np.zeros(len(b), bool)
    for i in rng.permutation(np.flatnonzero(flat)):
        if (fp * take).sum() * 1.15 >= QTY["roof_pitched_removal"]:
            break
        take[i] = True
    w = {
        "removal": fp * take,
        "pitched_perim": perim * ~flat,
        "pf": perim * b.floors,
        "perim": perim,
        "uf": b.units * b.floors,
        "units": b.units,
        "flat_fp": fp * flat,
        "length": b.L,
    }
    out = []
    for how, items in BUILDING_SPLITS.items():
        for item in items:
            out += split_rows(item, list(b.building_id), np.asarray(w[how], float))
    area = np.array([d["geom"].area for d in comms])
    ids = [d["code"] for d in comms]
    asphalt = np.zeros(len(comms))
    asphalt[np.sort(rng.choice(len(comms), 6, replace=False))] = 1
    for item in COMMUNITY_SPLITS:
        out += split_rows(
            item,
            ids,
            area * (asphalt if item == "asphalt_rebuild" else rng.uniform(0.6, 1.4, len(ids))),
        )
    twins = {
        "carriageway_removal": ["asphalt_rebuild"],
        "kerb_removal": ["kerb_renew"],
        "sidewalk_removal": ["paving_vehicle", "paving_pedestrian"],
    }
    for item, src in twins.items():  # removals mirror the rebuilt areas community by community
        tot = {t: 0.0 for t in ids}
        for t, it, q in out:
            if it in src:
                tot[t] += float(q)
        out += [(t, item, f"{round(tot[t], 2):.2f}") for t in ids if tot[t] > 0]
    gf = f[f.item == "greening"]
    for d in comms:
        q = sum(a for a, g in zip(gf.quantity, gf.geometry, strict=True) if d["geom"].contains(g))
        if q:
            out.append((d["code"], "greening_removal", f"{q:.2f}"))
    order = {code: i for i, code in enumerate(QTY)}
    return sorted(out, key=lambda r: (order[r[1]], r[0]))


def split_rows(item, targets, weights):
    """Exact split of the seed quantity of ``item`` over targets with non-zero weight."""
    dec = 0 if UNITS[item] in COUNT_UNITS else 2
    vals = hg.split_exact(QTY[item], weights, dec)
    return [
        (t, item, f"{v:.{dec}f}")
        for t, v, wt in zip(targets, vals, weights, strict=True)
        if wt > 0 and v > 0
    ]


def main(argv=None) -> None:
    """Build and write the plan folder, then verify it."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "hunchun2020")
    out = ap.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    cat = read_catalogue()
    QTY.update({r["code"]: r["qty"] for r in cat})
    UNITS.update({r["code"]: r["unit"] for r in cat})
    rng = np.random.default_rng(SEED)
    x0, y0 = town_centre()
    comms = make_communities(rng, x0, y0)
    b = make_buildings(rng, comms)
    p = make_pipes(rng, comms, b)
    s = hg.make_structures(rng, comms, b)
    f = make_facilities(rng, comms, b, p, s)
    q = make_quantities(rng, comms, b, f)
    keys = ("community_id", "name", "street", "renovation_type", "geometry")
    cdf = pd.DataFrame(
        [
            dict(
                zip(
                    keys,
                    (d["code"], d["name"], STREETS[d["code"][:9]], d["type"], d["geom"]),
                    strict=True,
                )
            )
            for d in comms
        ]
    )
    hio.write_layer(cdf, out / "communities.geojson")
    hio.write_layer(b[BUILDING_COLUMNS], out / "buildings.geojson")
    hio.write_layer(p, out / "pipes.geojson")
    hio.write_layer(f, out / "facilities.geojson")
    hio.write_layer(s, out / "structures.geojson")
    hio.write_layer(hg.make_barriers(x0, y0, S), out / "barriers.geojson")
    roads, services, sites = hac.make_access_layers(SEED, comms, b, s, f, x0, y0, S)
    for name, frame in (("roads", roads), ("services", services), ("sites", sites)):
        hio.write_layer(frame, out / f"{name}.geojson")
    (out / "plan.toml").write_text(hio.PLAN_TOML, encoding="utf-8")
    hio.write_csv(out / "quantities.csv", ["target_id", "item", "quantity"], q)
    hio.write_csv(
        out / "stated.csv",
        ["item", "quantity", "source_text"],
        [(k, hio.fmt(v), t) for k, v, t in hio.STATED]
        + [(r["code"], hio.fmt(r["qty"]), r["source_text"]) for r in cat],
    )
    hprog.write_programme(out, comms)
    hio.check(out, cat, TOTALS)
    print(hac.check_access(out), "(generated walking-access layers)")


if __name__ == "__main__":
    main()
