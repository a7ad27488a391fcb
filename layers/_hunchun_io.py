"""Writers and the read-back self-check of the bundled Hunchun plan folder.

Used by ``make_hunchun2020.py``: every exact figure of the 2020 plan is asserted
on the files as written, read back through GDAL.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import pandas as pd
from _hunchun_geometry import pipe_code

#: The plan folder's plan.toml.
PLAN_TOML = """[plan]
name = "2020年珲春市老旧小区改造"
crs = "EPSG:4552"

[layers]
communities = "communities.geojson"
buildings   = "buildings.geojson"
pipes       = "pipes.geojson"
facilities  = "facilities.geojson"
structures  = "structures.geojson"
barriers    = "barriers.geojson"
roads       = "roads.geojson"
services    = "services.geojson"
sites       = "sites.geojson"

[quantities]
declared = "quantities.csv"
stated   = "stated.csv"

[zones]
max_gap_m = 50

[scope]
storey_height_m = 2.9
pitched_roof_factor = 1.15

# Section 六: three projects, about 1.8亿元 in all; 建安工程费用 about 14000万元; the
# projects' 前期费用 together 3300万元, of which 基本预备费 about 1500万元. The other costs
# (工程建设其他费用) are therefore 3300 - 1500 = 1800万元, and the rates below follow from the
# stated parts: other = 1800 / 14000, contingency = 1500 / (14000 + 1800). The parts add up
# to 17300万元, not 18000万元: the investment table shows that 700万元.
[programme]
projects   = "projects.csv"
milestones = "milestones.csv"
progress   = "progress.csv"

[investment]
other_rate = 0.128571
contingency_rate = 0.094937
stated_total_cny = 180_000_000
stated_construction_cny = 140_000_000
stated_other_cny = 18_000_000
stated_contingency_cny = 15_000_000

[access]
snap_max_m = 200

[sheets]
paper = "A3"
note = "图形为示意：依据方案数字生成，非测绘成果 (generated geometry, not a survey)"

# A three-year programme (三年改造计划) for gisplan select; the budgets are illustrative,
# not the plan's (the 2020 plan funds its 14000万 in one year); 13000万 in all, so not every
# zone fits and the choice matters.
[selection]
budgets = { "2021" = 60000000, "2022" = 50000000, "2023" = 20000000 }
objective = "households"
keep_zones_together = true
"""
#: The headline figures the plan states (section 三（一）).
STATED = [
    ("communities", 17, "17个社区"),
    ("buildings", 96, "96栋老旧住宅楼"),
    ("households", 5054, "共计居民5054户"),
    ("floor_area_m2", 386400, "总建筑面积约38.64万平方米"),
]


def write_csv(path: Path, header, rows) -> None:
    """UTF-8 CSV with LF line ends."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_layer(df: pd.DataFrame, path: Path) -> None:
    """Write one GeoJSON layer in EPSG:4552."""
    path.unlink(missing_ok=True)
    gpd.GeoDataFrame(df, geometry="geometry", crs="EPSG:4552").to_file(
        path, driver="GeoJSON", engine="pyogrio"
    )


def fmt(v: float) -> str:
    """Number without a trailing '.0'."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def check(out: Path, cat: list[dict], totals: dict) -> None:
    """Read the written folder back and assert every exact figure of the plan."""
    qty = {r["code"]: r["qty"] for r in cat}
    c, b, p, f, s, x = (
        gpd.read_file(out / f"{n}.geojson", engine="pyogrio")
        for n in ("communities", "buildings", "pipes", "facilities", "structures", "barriers")
    )
    assert all(g.crs.to_epsg() == 4552 for g in (c, b, p, f, s, x))
    assert len(c) == 17 and c.community_id.is_unique and (c.geom_type == "MultiPolygon").sum() == 1
    assert c.renovation_type.value_counts().to_dict() == {"basic": 11, "upgrade": 6}
    i, j = c.sindex.query(c.geometry, predicate="intersects")
    pairs = [(a, e) for a, e in zip(i, j, strict=True) if a < e]
    assert (
        all(c.geometry[a].intersection(c.geometry[e]).area < 1e-6 for a, e in pairs)
        and len(pairs) == 3
    )
    assert len(b) == 96 and b.building_id.is_unique and b.floors.between(4, 7).all()
    for col, tot in totals.items():
        assert round(float(b[col].sum()), 6) == tot, col
    fp, flat = b.area, b.roof == "flat"
    assert abs(fp[flat].sum() - qty["roof_flat_waterproof"]) < 0.01
    assert abs(fp[~flat].sum() * 1.15 - qty["roof_pitched_repair"]) < 0.01
    assert abs((b.length * b.floors * 2.9).sum() - qty["facade_paint"]) < 0.01
    assert (b.floor_area_m2 / (fp * b.floors)).between(0.85, 1.15).all()
    home = c.set_index("community_id").geometry
    assert all(home[k].contains(g) for k, g in zip(b.community_id, b.geometry, strict=True))
    i, j = b.sindex.query(b.geometry, predicate="intersects")
    assert (i == j).all() and int(b.units.sum()) == qty["unit_door"] == qty["unit_door_plate"]
    assert not s.sindex.query(b.geometry, predicate="intersects")[1].size
    live = p[p.action != "keep"]
    got = live.groupby(
        [pipe_code(n, d) for n, d in zip(live.network, live.diameter_mm, strict=True)]
    ).apply(lambda g: g.length.sum())
    pipes = {k: v for k, v in qty.items() if k.startswith("pipe:")}
    assert set(got.index) == set(pipes) and all(abs(got[k] - v) < 0.01 for k, v in pipes.items())
    hits = p.geometry.map(lambda g: int(c.intersects(g).sum()))
    outside = p.geometry.map(lambda g: g.difference(c.union_all()).length > 1)
    assert (hits >= 2).sum() >= 5 and outside.sum() >= 4 and (p.action == "keep").sum() >= 10
    fsum = f.groupby("item").quantity.sum()
    assert all(round(fsum[k], 6) == qty[k] for k in fsum.index)
    poly = f[f.geom_type == "Polygon"]
    assert ((poly.area - poly.quantity).abs() < 1e-3).all()
    assert not f.sindex.query(b.geometry, predicate="intersects")[1].size
    q = pd.read_csv(out / "quantities.csv", dtype={"target_id": str})
    qsum = q.groupby("item").quantity.sum()
    assert all(round(qsum[k], 6) == qty[k] for k in qsum.index) and (q.quantity >= 0).all()
    derived = {r["code"] for r in cat if r["derived_from"]}
    carried = [derived, set(fsum.index), set(qsum.index)]
    assert sum(len(k) for k in carried) == len(set().union(*carried)) == len(cat) == 73
    st = pd.read_csv(out / "stated.csv")
    assert len(st) == 77 and st.item.is_unique
    print(
        f"communities {len(c)} ({(c.geom_type == 'MultiPolygon').sum()} multipart), "
        f"buildings {len(b)}, "
        f"pipes {len(p)} ({(p.action == 'keep').sum()} keep, {(hits >= 2).sum()} crossing, "
        f"{outside.sum()} partly outside), facilities {len(f)} ({(~f.within(c.union_all())).sum()} "
        f"outside communities), structures {len(s)}, barriers {len(x)}, quantity rows {len(q)}"
    )
    print(
        f"flat roof {fp[flat].sum():.4f} m2, pitched x1.15 {fp[~flat].sum() * 1.15:.4f} m2, "
        f"facade {(b.length * b.floors * 2.9).sum():.4f} m2, all checks passed -> {out}"
    )
