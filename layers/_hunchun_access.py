"""Generated walking-access layers of the illustrative Hunchun plan: roads, services, sites.

Used by ``make_hunchun2020.py`` after the other layers are made. None of it
is surveyed: the streets run in the gaps between the generated community
blocks, every community gets an internal ring road and the lanes between its
building rows, joined to the nearest streets by gates; services and candidate
sites are placed on free ground. A generator of its own
(``numpy.random.default_rng(SEED_OFFSET + seed)``), so the other layers are
byte for byte what they were before these were added.
"""

from __future__ import annotations

import math

import _hunchun_geometry as hg
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, Polygon, box

SEED_OFFSET = 15  # issue #15
GATE_MAX_M = 40.0  # a gate joins a ring road to a street at most this far away
# fmt: off
# Streets in the layout's relative coordinates (times S around the town centre), x or y
# constant: ("x", x, y_from, y_to) or ("y", y, x_from, x_to); bridges cross the river.
STREETS = [
    ("y", 95, -985, 1000),                     # north edge of the north row
    ("y", -315, -985, 1000),                   # between the north and middle rows
    ("y", -800, -620, 1000),                   # south bank
    ("y", -1135, -985, 850),                   # south edge
    ("x", -985, 95, -612), ("x", 1000, 95, -612),          # west and east edges (north bank)
    ("x", -545, 95, -315), ("x", -228, 95, -315),          # north row
    ("x", 345, 95, -315), ("x", 715, 95, -315),
    ("x", 0, 95, -800),                        # trunk road and its bridge
    ("x", -620, -315, -1135),                  # west bridge, 沿河|新兴 and 沿南|矿泉
    ("x", 660, -315, -800),                    # east bridge, 迎新|长城
    ("x", 25, -800, -1135), ("x", 415, -800, -1135), ("x", 850, -800, -1135),  # south row
]
BYPASS = ("y", 330, -1300, 1300)  # a fenced bypass: no pavement, not walkable
# kind -> communities (by name) holding one, "street:<x>,<y>" for a lot beside a street
SERVICES = {
    "kindergarten": ["永新社区", "迎春社区", "文化社区", "居安社区"],
    "nursery": ["龙源社区", "阳光社区"],
    "elderly_care": ["龙盛社区", "团结社区", "永盛社区"],
    "community_service": ["永新社区", "康平社区", "迎新社区", "矿泉社区", "沿河社区"],
    "health_station": ["龙盛社区", "迎新社区", "居安社区"],
    "fitness": ["永新社区", "文化社区", "团结社区", "迎春社区", "阳光社区", "居安社区"],
    "property_office": ["永新社区", "文化社区", "龙盛社区", "康平社区", "沿河社区", "新兴社区",
                        "团结社区", "迎新社区", "龙源社区", "迎春社区", "阳光社区", "居安社区"],
    "refuse_station": ["street:-545,-315", "street:345,-315", "street:-620,-800",
                       "street:415,-1135"],
    "market": ["street:-120,95", "street:200,-800"],
    "primary_school": ["lot:-420,110,-300,200", "lot:100,-1150,220,-1240"],
    "middle_school": ["lot:380,110,560,230"],
    "health_centre": ["lot:120,110,220,180"],
}
# candidate sites: (site id suffix, lot in relative coordinates or community, kinds)
SITES = [
    ("L1", "lot:-200,110,-120,170", "kindergarten;nursery;elderly_care"),
    ("L2", "lot:700,-1150,780,-1210", ""),
    ("L3", "lot:-960,-1150,-880,-1200", "market;refuse_station"),
    ("C1", "沿南社区", "elderly_care;community_service;kindergarten"),
    ("C2", "长城社区", ""),
    ("C3", "长安社区", "kindergarten;nursery"),
    ("C4", "永盛社区", "kindergarten;fitness"),
    ("C5", "迎新社区", "kindergarten"),
]
SIZES = {"kindergarten": (32, 24), "nursery": (20, 16), "elderly_care": (24, 16),
         "community_service": (22, 14), "health_station": (16, 12), "fitness": (30, 20),
         "property_office": (10, 8)}
# fmt: on


def _street(spec, x0, y0, S) -> LineString:
    axis, at, a, b = spec
    if axis == "y":
        return LineString([(x0 + S * a, y0 + S * at), (x0 + S * b, y0 + S * at)])
    return LineString([(x0 + S * at, y0 + S * a), (x0 + S * at, y0 + S * b)])


def _lot(spec: str, x0, y0, S) -> Polygon:
    ax, ay, bx, by = (float(v) for v in spec.split(":", 1)[1].split(","))
    return box(x0 + S * min(ax, bx), y0 + S * min(ay, by), x0 + S * max(ax, bx),
               y0 + S * max(ay, by))


def make_roads(comms, x0, y0, S) -> pd.DataFrame:
    """Streets, each community's ring road and lanes, gates, and the bypass."""
    streets = [_street(s, x0, y0, S) for s in STREETS]
    net = shapely.union_all(streets)
    rows = [dict(kind="street", geometry=g) for g in streets]
    for d in comms:
        site = d["site"]
        for part in getattr(d["geom"], "geoms", [d["geom"]]):
            ring = part.buffer(-hg.RING, join_style="mitre").exterior
            rows.append(dict(kind="estate_ring", geometry=LineString(ring.coords)))
            mids = [LineString([a, b]).interpolate(0.5, normalized=True)
                    for a, b in zip(ring.coords[:-1], ring.coords[1:], strict=True)
                    if math.dist(a, b) > 20]
            gates = [shapely.shortest_line(m, net) for m in mids]
            near = [g for g in gates if g.length <= GATE_MAX_M] or [min(gates, key=len_of)]
            rows += [dict(kind="gate", geometry=g) for g in near]
        rows += [dict(kind="estate_lane", geometry=g) for g in site.corridor_lines(0.0)]
    rows.append(dict(kind="bypass", geometry=_street(BYPASS, x0, y0, S)))
    r = pd.DataFrame(rows)
    r.insert(0, "road_id", [f"HC-R{i:03d}" for i in range(1, len(r) + 1)])
    r.insert(2, "walkable", r["kind"] != "bypass")
    return r


def len_of(g) -> float:
    return g.length


def _free(d, b, s, taken):
    """What a new service in community ``d`` must keep clear of."""
    return shapely.union_all([*b.geometry.map(lambda g: g.buffer(4.0)),
                              *s.geometry.map(lambda g: g.buffer(2.0)), *taken,
                              d["geom"].boundary.buffer(hg.RING + 3.0)])


def make_services(rng, comms, b, s, f, x0, y0, S) -> pd.DataFrame:
    """Services by kind: small lots inside communities, beside streets, or separate lots;
    the public toilets are the plan's four public_toilet facilities."""
    by_name = {d["name"]: d for d in comms}
    rows, taken = [], []
    for kind, places in SERVICES.items():
        for place in places:
            if place.startswith("lot:"):
                geom = _lot(place, x0, y0, S)
            elif place.startswith("street:"):
                px, py = (float(v) for v in place.split(":", 1)[1].split(","))
                side = rng.choice([-1.0, 1.0])
                geom = Point(x0 + S * px + side * rng.uniform(8, 12),
                             y0 + S * py + side * rng.uniform(8, 12))
            else:
                d = by_name[place]
                w, h = SIZES[kind]
                part = max(getattr(d["geom"], "geoms", [d["geom"]]), key=lambda g: g.area)
                geom = hg.random_rect(rng, part, w, h, d["site"].theta,
                                      _free(d, b, s, taken))
                if kind == "property_office":
                    geom = geom.centroid
            taken.append(geom.buffer(3.0))
            rows.append(dict(kind=kind, geometry=geom))
    toilets = f[f["item"] == "public_toilet"]
    rows += [dict(kind="public_toilet", geometry=g) for g in toilets.geometry]
    out = pd.DataFrame(rows)
    out.insert(0, "service_id", [f"HC-V{i:03d}" for i in range(1, len(out) + 1)])
    return out


def make_sites(rng, comms, b, s, services, x0, y0, S) -> pd.DataFrame:
    """Candidate sites: vacant lots, free ground in communities, demolished structures."""
    by_name = {d["name"]: d for d in comms}
    taken = [g.buffer(3.0) for g in services.geometry]
    rows = []
    for suffix, place, kinds in SITES:
        if place.startswith("lot:"):
            geom = _lot(place, x0, y0, S)
        else:
            d = by_name[place]
            part = max(getattr(d["geom"], "geoms", [d["geom"]]), key=lambda g: g.area)
            geom = hg.random_rect(rng, part, 30, 22, d["site"].theta, _free(d, b, s, taken))
        taken.append(geom.buffer(3.0))
        rows.append(dict(site_id=f"HC-T{suffix}", kinds=kinds, geometry=geom))
    gone = s[s["status"] == "demolished"]
    rows += [dict(site_id=f"HC-TS{sid[4:]}", kinds="", geometry=g)  # HC-S007 -> HC-TS007
             for sid, g in zip(gone["structure_id"], gone.geometry, strict=True)]
    return pd.DataFrame(rows)


def make_access_layers(seed, comms, b, s, f, x0, y0, S):
    """(roads, services, sites) frames, deterministic for ``seed``."""
    rng = np.random.default_rng(seed + SEED_OFFSET)
    roads = make_roads(comms, x0, y0, S)
    services = make_services(rng, comms, b, s, f, x0, y0, S)
    sites = make_sites(rng, comms, b, s, services, x0, y0, S)
    return roads, services, sites


def check_access(out, snap_max_m: float = 200.0) -> str:
    """Read the written layers back: ids unique, everything near a walkable road."""
    r, v, t, b = (gpd.read_file(out / f"{n}.geojson", engine="pyogrio")
                  for n in ("roads", "services", "sites", "buildings"))
    assert r.road_id.is_unique and v.service_id.is_unique and t.site_id.is_unique
    walk = shapely.union_all(r[r.walkable].geometry.to_numpy())
    for layer in (b, v, t):
        assert (layer.geometry.centroid.distance(walk) <= snap_max_m).all()
    assert not v.sindex.query(b.geometry, predicate="intersects")[1].size
    assert not t.sindex.query(b.geometry, predicate="intersects")[1].size
    return (f"roads {len(r)} ({int((~r.walkable).sum())} not walkable), services {len(v)} "
            f"({v.kind.nunique()} kinds), candidate sites {len(t)}")
