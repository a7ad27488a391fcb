"""A deterministic synthetic city for tests and benchmarks.

:func:`make_city` builds every layer of the contract (see
:mod:`gisplan.inputs.schema`) for a city of ``n_buildings`` walk-up slabs, fully
vectorised (coordinate arrays, :func:`shapely.polygons`), so a million
buildings take seconds. :func:`~gisplan.outputs.plan_folder.write_plan_folder` writes them
as a plan folder that
:func:`gisplan.inputs.validation.load_layers` accepts.

The city is a grid of communities (about 50 buildings each, 10-30 m street
gaps between them, jittered 8-vertex borders) grouped 5x4 into streets; a
river runs through a wider gap across the middle and trunk roads follow the
street boundaries. About a quarter of the buildings reach over a community
border or into the street, as in real surveys.

A real city is shaped otherwise: the communities being renovated are a
minority of its blocks, scattered among the rest, and most buildings and
pipes lie outside them. ``outside=0.8, scattered=True`` generates that: the
same number of communities, in a grid of as many more blocks as hold the
outside share of the buildings and pipes (at the same density), the
communities a random choice of the blocks.

Examples
--------
>>> from gisplan.inputs.synthetic import make_city
>>> city = make_city(500, seed=1)
>>> len(city["buildings"]), len(city["communities"])
(500, 10)
>>> sorted(city["pipes"]["network"].unique())[:3]
['gas', 'heating', 'power']
>>> real = make_city(5000, seed=1, outside=0.8, scattered=True)
>>> len(real["communities"]), len(real["buildings"]), len(real["pipes"])
(100, 5000, 2500)
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.plan.catalogue import load_catalogue

X0, Y0 = 611000.0, 4748000.0
CRS = "EPSG:4552"
COLS, COL_PITCH, ROW_PITCH = 6, 70.0, 28.0   # building slots inside one community cell
SPREAD = 1.015                                # slot layout / cell size
RIVER_GAP = 90.0                              # extra street width for the river
STREET_SHAPE = (5, 4)                         # communities per street, x by y
NETWORKS = {"water": 0.25, "sewer": 0.2, "storm": 0.15, "heating": 0.13, "gas": 0.1,
            "power": 0.09, "telecom": 0.08}


def _ids(prefix: str, n: int) -> np.ndarray:
    width = max(len(str(n)), 1)
    return (prefix + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)).to_numpy(
        dtype=object)


def _rotated(cx, cy, half_w, half_h, angle) -> np.ndarray:
    """Closed rings (n, 5, 2) of rectangles centred on (cx, cy), rotated by ``angle``."""
    ux = np.array([-1.0, 1.0, 1.0, -1.0, -1.0])[None, :] * half_w[:, None]
    uy = np.array([-1.0, -1.0, 1.0, 1.0, -1.0])[None, :] * half_h[:, None]
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    return np.stack([cx[:, None] + ux * c - uy * s, cy[:, None] + ux * s + uy * c], axis=-1)


def _point_items() -> tuple[np.ndarray, np.ndarray]:
    cat = load_catalogue()
    items = cat.index[(cat["group"] == "outdoor") & ~cat["unit"].isin(["㎡", "m"])].to_numpy()
    common = {"bench": 6.0, "litter_bin": 8.0, "courtyard_lamp": 8.0, "sewer_manhole": 6.0,
              "storm_inlet": 5.0, "ev_charger": 1.0, "fitness_equipment": 3.0}
    weight = np.array([common.get(i, 1.0) for i in items])
    return items, weight / weight.sum()


def _diameters() -> dict[str, np.ndarray]:
    codes = load_catalogue().index.to_series().str.split(":", expand=True)
    codes = codes[(codes[0] == "pipe") & codes[2].notna()]
    return {net: codes.loc[codes[1] == net, 2].astype(int).to_numpy() for net in NETWORKS}


def _blocks(n: int, n_com: int, outside: float) -> tuple[int, int, int]:
    """Blocks of the grid, buildings outside the communities, and buildings per block."""
    n_out = round(n * outside)
    n_other = 0 if outside == 0 else max(int(n_out > 0), round(n_com * outside / (1 - outside)))
    per_block = int(np.ceil((n - n_out) / n_com))
    if n_other:
        per_block = max(per_block, int(np.ceil(n_out / n_other)))
    return n_com + n_other, n_out, per_block


def make_city(n_buildings: int, *, seed: int = 0, outside: float = 0.0,
              scattered: bool = False) -> dict[str, gpd.GeoDataFrame]:
    """Generate a synthetic city of ``n_buildings`` buildings.

    Parameters
    ----------
    n_buildings : int
        Number of buildings; communities are about ``n_buildings / 50``,
        pipe segments ``n_buildings / 2``, facilities ``n_buildings / 5``.
    seed : int, keyword-only
        Seed of the random generator; the same seed gives the same city.
    outside : float, keyword-only
        Share of the buildings, and of the pipe segments, in city blocks that are
        not communities (0 <= outside < 1; 0: every block is a community). The
        number of communities stays about ``n_buildings / 50``.
    scattered : bool, keyword-only
        Communities are a random choice of the blocks, rather than the first
        blocks row by row. Facilities and structures are always in communities.

    Returns
    -------
    dict of str to GeoDataFrame
        ``communities``, ``buildings``, ``pipes``, ``facilities``,
        ``structures`` and ``barriers`` in EPSG:4552, with contract columns.

    Examples
    --------
    >>> city = make_city(2000, seed=7)
    >>> int(city["buildings"]["households"].min()) > 0
    True
    >>> city["pipes"].crs.to_epsg()
    4552
    """
    if not (0.0 <= outside < 1.0):
        raise ValueError(f"outside must be >= 0 and < 1, got {outside!r}")
    rng = np.random.default_rng(seed)
    n = int(n_buildings)
    n_com = max(1, round(n / 50))
    n_blocks, n_out, per_block = _blocks(n, n_com, outside)
    # cb: the blocks that are communities; ob: the others.
    cb = (np.sort(rng.choice(n_blocks, n_com, replace=False)) if scattered
          else np.arange(n_com))
    ob = np.setdiff1d(np.arange(n_blocks), cb)
    rows = max(4, int(np.ceil(1.4 * per_block / COLS)))
    cw, ch = COLS * COL_PITCH, rows * ROW_PITCH
    ncx = int(np.ceil(np.sqrt(n_blocks * ch / cw)))
    ncy = int(np.ceil(n_blocks / ncx))
    ix, iy = np.arange(n_blocks) % ncx, np.arange(n_blocks) // ncx
    river_row = ncy // 2 if ncy > 1 else None
    ox = X0 + ix * cw
    oy = Y0 + iy * ch + (RIVER_GAP if river_row is not None else 0.0) * (iy >= (river_row or 0))

    # Communities: corners and edge midpoints of the cell, each pulled in by 5-15 m,
    # so neighbours are 10-30 m apart and never overlap.
    fx = np.array([0, 0.5, 1, 1, 1, 0.5, 0, 0])
    fy = np.array([0, 0, 0, 0.5, 1, 1, 1, 0.5])
    inset = rng.uniform(5.0, 15.0, (n_com, 8))
    slide = rng.uniform(-0.15, 0.15, (n_com, 8)) * np.array([0, 1, 0, 1, 0, 1, 0, 1])
    ring = np.stack([ox[cb, None] + (fx + slide * (fy % 1 == 0)) * cw
                     + np.sign(0.5 - fx) * inset * (fx != 0.5),
                     oy[cb, None] + (fy + slide * (fx % 1 == 0)) * ch
                     + np.sign(0.5 - fy) * inset * (fy != 0.5)], axis=-1)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    street = (ix[cb] // STREET_SHAPE[0]) + (iy[cb] // STREET_SHAPE[1]) * int(
        np.ceil(ncx / STREET_SHAPE[0]))
    com_ids = _ids("C", n_com)
    communities = gpd.GeoDataFrame({
        "community_id": com_ids,
        "name": np.char.add(np.char.add("第", np.arange(1, n_com + 1).astype(str)), "社区"),
        "street": np.char.add("街道", (street + 1).astype(str)),
        "renovation_type": np.where(rng.random(n_com) < 0.7, "basic", "upgrade"),
    }, geometry=shapely.polygons(ring), crs=CRS)

    # Buildings: N of the block slots (n - n_out of the communities', n_out of the
    # other blocks'), walk-up slabs facing south (+-8 deg).
    per = COLS * rows
    slot = rng.permutation(n_com * per)[:n - n_out]
    slot = cb[slot // per] * per + slot % per
    if n_out:
        other = rng.permutation(len(ob) * per)[:n_out]
        slot = np.concatenate([slot, ob[other // per] * per + other % per])
    slot = np.sort(slot)
    com, col, row = slot // per, slot % COLS, (slot // COLS) % rows
    length, depth = rng.uniform(24.0, 62.0, n), rng.uniform(10.0, 13.5, n)
    # The slots spread a little beyond the cell: outer rows reach the border and street.
    cx = ox[com] + cw / 2 + SPREAD * ((col + 0.5) * COL_PITCH - cw / 2) + rng.uniform(-6, 6, n)
    cy = oy[com] + ch / 2 + SPREAD * ((row + 0.5) * ROW_PITCH - ch / 2) + rng.uniform(-7, 7, n)
    angle = np.deg2rad(np.clip(rng.normal(0.0, 4.0, n), -8.0, 8.0))
    floors = rng.choice([4, 5, 6, 7], n, p=[0.15, 0.3, 0.45, 0.1])
    units = np.clip(np.round(length / 13.0), 1, 6).astype(np.int64)
    area = length * depth
    registered = np.where(rng.random(n) < 0.2, np.round(area * floors * rng.uniform(
        0.95, 1.05, n), 1), np.nan)
    buildings = gpd.GeoDataFrame({
        "building_id": _ids("B", n),
        "floors": floors.astype(np.int64),
        "households": (units * floors * 2).astype(np.int64),
        "units": units,
        "roof": np.where(rng.random(n) < 0.85, "flat", "pitched"),
        "floor_area_m2": registered,
    }, geometry=shapely.polygons(_rotated(cx, cy, length / 2, depth / 2, angle)), crs=CRS)

    # Pipes: 3-vertex segments (straight or L-shaped) from a random point of a cell;
    # most lie inside a community, longer ones cross borders and streets.
    m = max(1, n // 2)
    m_out = round(m * outside) if len(ob) else 0
    pc = cb[rng.integers(0, n_com, m - m_out)]
    if m_out:
        pc = np.concatenate([pc, ob[rng.integers(0, len(ob), m_out)]])
    sx, sy = ox[pc] + rng.uniform(0, cw, m), oy[pc] + rng.uniform(0, ch, m)
    seg = np.where(rng.random(m) < 0.85, rng.uniform(10.0, 80.0, m), rng.uniform(80.0, 400.0, m))
    horizontal = rng.random(m) < 0.5
    bend = rng.random(m) < 0.3
    a = np.where(bend, rng.uniform(0.3, 0.7, m), 0.5) * seg
    b = np.where(bend, seg - a, 0.0)
    sign = np.where(rng.random((m, 2)) < 0.5, -1.0, 1.0)
    mx = sx + np.where(horizontal, a, 0) * sign[:, 0]
    my = sy + np.where(horizontal, 0, a) * sign[:, 1]
    bx = np.where(bend, np.where(horizontal, 0, b), np.where(horizontal, a, 0)) * sign[:, 0]
    by = np.where(bend, np.where(horizontal, b, 0), np.where(horizontal, 0, a)) * sign[:, 1]
    line = np.stack([np.stack([sx, mx, mx + bx]), np.stack([sy, my, my + by])], axis=-1)
    nets = np.array(list(NETWORKS))
    network = rng.choice(nets, m, p=list(NETWORKS.values()))
    diameter = pd.array(np.full(m, pd.NA), dtype="Int64")
    for net, sizes in _diameters().items():
        hit = np.flatnonzero(network == net)
        if len(sizes) and len(hit):
            diameter[hit] = rng.choice(sizes, len(hit))
    pipes = gpd.GeoDataFrame({
        "pipe_id": _ids("P", m),
        "network": network,
        "diameter_mm": diameter,
        "action": rng.choice(["replace", "new", "keep"], m, p=[0.6, 0.3, 0.1]),
    }, geometry=shapely.linestrings(np.ascontiguousarray(line.transpose(1, 0, 2))), crs=CRS)

    # Facilities: points mostly well inside a community, a few in the street.
    k = max(1, n // 5)
    fc = cb[rng.integers(0, n_com, k)]
    margin = np.where(rng.random(k) < 0.97, 16.0, 0.0)
    items, weight = _point_items()
    facilities = gpd.GeoDataFrame({
        "facility_id": _ids("F", k),
        "item": rng.choice(items, k, p=weight),
        "quantity": np.where(rng.random(k) < 0.1, rng.integers(2, 6, k), np.nan),
    }, geometry=shapely.points(ox[fc] + margin + rng.uniform(0, 1, k) * (cw - 2 * margin),
                               oy[fc] + margin + rng.uniform(0, 1, k) * (ch - 2 * margin)),
        crs=CRS)

    # Structures: sheds and illegal additions in community corners.
    s = max(1, n // 200)
    sc = cb[rng.integers(0, n_com, s)]
    half = rng.uniform(2.0, 6.0, (2, s))
    structures = gpd.GeoDataFrame({
        "structure_id": _ids("S", s),
        "kind": rng.choice(["违建", "仓房", "车库"], s),
        "status": rng.choice(["identified", "confirmed", "demolished"], s, p=[0.5, 0.3, 0.2]),
    }, geometry=shapely.polygons(_rotated(
        ox[sc] + rng.choice([22.0, cw - 22.0], s), oy[sc] + rng.choice([22.0, ch - 22.0], s),
        half[0], half[1], np.zeros(s))), crs=CRS)

    # Barriers: trunk roads along street boundaries, and the river.
    x1, y1 = X0 + ncx * cw, Y0 + ncy * ch + (RIVER_GAP if river_row is not None else 0.0)
    vx = X0 + np.arange(0, ncx + 1, STREET_SHAPE[0]) * cw
    hy = Y0 + np.arange(0, ncy + 1, STREET_SHAPE[1]) * ch
    hy = hy + RIVER_GAP * (river_row is not None and hy >= Y0 + (river_row or 0) * ch)
    ends = np.concatenate([np.stack([vx, np.full_like(vx, Y0), vx, np.full_like(vx, y1)], 1),
                           np.stack([np.full_like(hy, X0), hy, np.full_like(hy, x1), hy], 1)])
    roads = list(shapely.linestrings(ends.reshape(-1, 2, 2)))
    geoms, kinds = roads, ["主干道"] * len(roads)
    if river_row is not None:
        xs = np.linspace(X0 - 200.0, x1 + 200.0, 200)
        ys = Y0 + river_row * ch + RIVER_GAP / 2 + 12.0 * np.sin((xs - X0) / 300.0)
        geoms = [*geoms, shapely.buffer(shapely.linestrings(xs, ys), 15.0, cap_style="flat")]
        kinds = [*kinds, "河流"]
    barriers = gpd.GeoDataFrame({"barrier_id": _ids("R", len(geoms)), "kind": kinds},
                                geometry=geoms, crs=CRS)
    return {"communities": communities, "buildings": buildings, "pipes": pipes,
            "facilities": facilities, "structures": structures, "barriers": barriers}
