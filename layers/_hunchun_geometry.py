"""Geometry helpers and read-back checks for the illustrative Hunchun 2020 plan generator.

Everything here is deterministic given the ``numpy.random.Generator`` passed
in.  Coordinates are metres in EPSG:4552; "local" coordinates are the world
coordinates rotated by ``-theta`` around the community centroid so that the
building rows of a community are axis-aligned.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from shapely import affinity, unary_union
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box
from shapely.ops import substring

WMAX = 14.5  # deepest possible slab (m); rows are laid out for it
BUILD_INSET = 14.0  # buildings keep this far inside the community boundary
RING = 7.0  # inset of the internal ring road centre line


def split_int(total: int, weights) -> list[int]:
    """Split the integer ``total`` by largest remainder over ``weights``."""
    w = np.asarray(weights, dtype=float)
    raw = w / w.sum() * total
    out = np.floor(raw).astype(int)
    rest = total - int(out.sum())
    order = sorted(range(len(w)), key=lambda i: (-(raw[i] - out[i]), i))
    for i in order[:rest]:
        out[i] += 1
    return [int(v) for v in out]


def split_exact(total: float, weights, decimals: int) -> list[float]:
    """Split ``total`` over ``weights`` into values with ``decimals`` places."""
    scale = 10**decimals
    return [v / scale for v in split_int(round(total * scale), weights)]


def _corner_jitter(rng, x0, y0, x1, y1, jit):
    """Return SW, SE, NE, NW corners of a cell, each moved inwards."""
    u = rng.uniform(0, jit, size=8)
    return [
        (x0 + u[0], y0 + u[1]),
        (x1 - u[2], y0 + u[3]),
        (x1 - u[4], y1 - u[5]),
        (x0 + u[6], y1 - u[7]),
    ]


def block(rng, cell, chamfer: str = "", jit: float = 8.0) -> Polygon:
    """A jittered quadrilateral inside ``cell``; ``chamfer`` cuts one corner."""
    pts = _corner_jitter(rng, *cell, jit)
    if chamfer:
        i = ["sw", "se", "ne", "nw"].index(chamfer)
        c = rng.uniform(40, 80)
        p, prev, nxt = np.array(pts[i]), np.array(pts[i - 1]), np.array(pts[(i + 1) % 4])
        a = p + (prev - p) / np.linalg.norm(prev - p) * c
        b = p + (nxt - p) / np.linalg.norm(nxt - p) * c
        pts = [*pts[:i], tuple(a), tuple(b), *pts[i + 1 :]]
    return Polygon(pts)


def split_block(rng, cell, xs: float, jit: float = 8.0) -> tuple[Polygon, Polygon]:
    """Two communities sharing a kinked boundary near ``x = xs`` (they touch)."""
    x0, y0, x1, y1 = cell
    sw, se, ne, nw = _corner_jitter(rng, x0, y0, x1, y1, jit)
    b = (xs + rng.uniform(-20, 20), y0 + rng.uniform(0, jit))
    m = (xs + rng.uniform(-15, 15), (y0 + y1) / 2 + rng.uniform(-30, 30))
    t = (xs + rng.uniform(-20, 20), y1 - rng.uniform(0, jit))
    return Polygon([sw, b, m, t, nw]), Polygon([b, se, ne, t, m])


def solve_dims(rng, floors, pitched, flat_area, pitched_fp, facade_pf):
    """Random slab sizes rescaled so the three roof/facade totals are exact.

    Pitched slabs are scaled uniformly to ``pitched_fp``; flat slabs get
    ``L *= a``, ``W *= b`` with ``a*b`` fixing the flat roof area and ``a``
    the root of the facade quadratic nearest to a uniform scale.
    """
    n = len(floors)
    L = rng.uniform(44, 78, n)
    W = rng.uniform(10.5, 13.2, n)
    L[pitched] = rng.uniform(36, 58, int(pitched.sum()))
    f = np.asarray(floors, dtype=float)
    s = math.sqrt(pitched_fp / float((L * W)[pitched].sum()))
    L[pitched] *= s
    W[pitched] *= s
    flat = ~pitched
    rest = facade_pf - float((2 * (L + W) * f)[pitched].sum())
    pl, pw = float((2 * L * f)[flat].sum()), float((2 * W * f)[flat].sum())
    k = flat_area / float((L * W)[flat].sum())
    disc = rest * rest - 4 * pl * k * pw
    if disc < 0:
        raise ValueError("facade total unreachable with these slab shapes")
    roots = [(rest + sg * math.sqrt(disc)) / (2 * pl) for sg in (1, -1)]
    a = min(roots, key=lambda r: abs(math.log(r * r / k)))
    L[flat] *= a
    W[flat] *= k / a
    return L, W


@dataclass
class Site:
    """One community laid out in its own rotated frame."""

    geom: Polygon | MultiPolygon
    theta: float
    origin: tuple[float, float]
    parts: list[Polygon] = field(default_factory=list)  # local frame
    corridors: list[tuple[int, float]] = field(default_factory=list)  # (part, y)
    rects: list[tuple[float, float, float, float]] = field(default_factory=list)

    def world(self, g):
        """Rotate a local-frame geometry back to EPSG:4552."""
        return affinity.rotate(g, self.theta, origin=self.origin)

    def corridor_lines(self, offset: float) -> list[LineString]:
        """Internal road centre lines between building rows, shifted by ``offset``."""
        out = []
        for pi, y in self.corridors:
            part = self.parts[pi].buffer(-2.0, join_style="mitre")
            x0, _, x1, _ = part.bounds
            clip = part.intersection(LineString([(x0 - 5, y + offset), (x1 + 5, y + offset)]))
            out += [self.world(g) for g in getattr(clip, "geoms", [clip]) if g.length > 5]
        return out

    def ring_edges(self, inset: float) -> list[LineString]:
        """Edges of the ring road ``inset`` metres inside the boundary."""
        out = []
        for part in getattr(self.geom, "geoms", [self.geom]):
            ring = part.buffer(-inset, join_style="mitre").exterior.coords
            out += [LineString([a, b]) for a, b in itertools.pairwise(ring) if math.dist(a, b) > 1]
        return out

    def collectors(self, side: int) -> list[LineString]:
        """House-connection sewer lines 3.5 m north (+1) or south (-1) of each slab."""
        out = []
        for x, y, L, W in self.rects:
            yy = y + W + 3.5 if side > 0 else y - 3.5
            out.append(self.world(LineString([(x, yy), (x + L, yy)])))
        return out


def layout_site(rng, geom, dims) -> tuple[Site, list[Polygon]]:
    """Place slabs of ``dims`` [(L, W), ...] in rows; return site and footprints."""
    theta = float(rng.uniform(-6, 6))
    c = geom.centroid
    site = Site(geom, theta, (c.x, c.y))
    local = affinity.rotate(geom, -theta, origin=site.origin)
    site.parts = list(getattr(local, "geoms", [local]))
    rows, inners = [], []
    for pi, part in enumerate(site.parts):
        inner = part.buffer(-BUILD_INSET, join_style="mitre")
        inners.append(inner)
        minx, miny, maxx, maxy = inner.bounds
        pitch = rng.uniform(42, 52)
        ys = list(np.arange(miny + 0.5, maxy - 0.5 - WMAX, pitch))
        for y in ys:
            lo = inner.intersection(LineString([(minx - 1, y), (maxx + 1, y)]))
            hi = inner.intersection(LineString([(minx - 1, y + WMAX), (maxx + 1, y + WMAX)]))
            if lo.is_empty or hi.is_empty:
                continue
            xl, xr = max(lo.bounds[0], hi.bounds[0]), min(lo.bounds[2], hi.bounds[2])
            rows.append([pi, float(y), xl, xr, xl + rng.uniform(0, 12)])
        site.corridors += [(pi, float(a + WMAX + b) / 2) for a, b in itertools.pairwise(ys)]
    footprints = []
    for L, W in dims:
        for r in rng.permutation(len(rows)):
            pi, y, _, xr, cur = rows[r]
            rect = box(cur, y, cur + L, y + W)
            if cur + L <= xr and inners[pi].contains(rect):
                rows[r][4] = cur + L + rng.uniform(14, 26)
                site.rects.append((cur, y, L, W))
                footprints.append(site.world(rect))
                break
        else:
            raise RuntimeError("community too small for its buildings")
    return site, footprints


def fill(sources: list[LineString], quota: float) -> list[LineString]:
    """Take whole lines from ``sources`` and cut the last one so lengths sum to ``quota``."""
    out, acc = [], 0.0
    for line in sources:
        rem = quota - acc
        if rem <= 1e-9:
            break
        if 0 < rem - line.length < 5:  # would leave a stub shorter than 5 m
            continue
        if line.length <= rem:
            out.append(line)
            acc += line.length
        else:
            out.append(substring(line, 0.0, rem))
            acc = quota
    if quota - acc > 1e-6:
        raise RuntimeError(f"not enough pipe corridor for {quota:.2f} m")
    return out


def axis_line(a, b, avoid, inset: float = 12.0) -> LineString:
    """Axis-aligned pipe from ``inset`` m inside ``a`` to ``inset`` m inside ``b``."""
    ca, cb = a.centroid, b.centroid
    horizontal = abs(cb.x - ca.x) >= abs(cb.y - ca.y)
    k = 0 if horizontal else 1
    lo = max(a.bounds[1 - k], b.bounds[1 - k])
    hi = min(a.bounds[3 - k], b.bounds[3 - k])
    mid = (lo + hi) / 2
    sign = 1 if (cb.x - ca.x if horizontal else cb.y - ca.y) > 0 else -1
    for shift in [0, 15, -15, 30, -30, 45, -45, 60, -60]:
        v = mid + shift
        far = LineString([(-1e7, v), (1e7, v)] if horizontal else [(v, -1e7), (v, 1e7)])
        ea, eb = a.intersection(far).bounds, b.intersection(far).bounds
        ta = (ea[2] if sign > 0 else ea[0]) if horizontal else (ea[3] if sign > 0 else ea[1])
        tb = (eb[0] if sign > 0 else eb[2]) if horizontal else (eb[1] if sign > 0 else eb[3])
        p, q = ta - sign * inset, tb + sign * inset
        line = LineString([(p, v), (q, v)] if horizontal else [(v, p), (v, q)])
        ends = shapely.get_point(line, 0), shapely.get_point(line, -1)
        if a.contains(ends[0]) and b.contains(ends[1]) and not line.intersects(avoid):
            return line
    raise RuntimeError("no clear crossing found")


def outlet_line(poly, direction, length: float, avoid, inset: float = 12.0) -> LineString:
    """Pipe of exactly ``length`` m leaving ``poly`` towards ``direction`` (unit axis)."""
    dx, dy = direction
    c = poly.centroid
    for shift in [0, 20, -20, 40, -40, 60, -60]:
        ox, oy = c.x + shift * -dy, c.y + shift * dx
        ray = LineString([(ox, oy), (ox + dx * 5000, oy + dy * 5000)])
        hit = poly.intersection(ray)
        t = max(math.hypot(x - ox, y - oy) for x, y in shapely.get_coordinates(hit))
        sx, sy = ox + dx * (t - inset), oy + dy * (t - inset)
        line = LineString([(sx, sy), (sx + dx * length, sy + dy * length)])
        if not line.intersects(avoid):
            return line
    raise RuntimeError("no clear outlet found")


def points_along(lines, n: int, lateral: float = 0.0) -> list[Point]:
    """``n`` points evenly spaced along ``lines`` (alternately offset sideways)."""
    lens = np.array([g.length for g in lines])
    cum = np.concatenate([[0.0], np.cumsum(lens)])
    out = []
    for i, pos in enumerate((np.arange(n) + 0.5) * cum[-1] / n):
        j = min(int(np.searchsorted(cum, pos, side="right")) - 1, len(lines) - 1)
        g, d = lines[j], pos - cum[j]
        p = g.interpolate(d)
        if lateral:
            a, b = g.interpolate(max(d - 0.5, 0)), g.interpolate(min(d + 0.5, g.length))
            nx, ny = -(b.y - a.y), b.x - a.x
            s = lateral * (1 if i % 2 else -1) / math.hypot(nx, ny)
            p = Point(p.x + nx * s, p.y + ny * s)
        out.append(p)
    return out


def random_points(rng, poly, n: int, forbidden, inset: float = 1.5) -> list[Point]:
    """``n`` random points inside ``poly`` (shrunk by ``inset``) avoiding ``forbidden``."""
    area = poly.buffer(-inset)
    minx, miny, maxx, maxy = area.bounds
    out: list[Point] = []
    while len(out) < n:
        xs, ys = rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)
        ok = shapely.contains_xy(area, xs, ys) & ~shapely.intersects_xy(forbidden, xs, ys)
        out += [Point(x, y) for x, y in zip(xs[ok], ys[ok], strict=True)][: n - len(out)]
    return out


def random_rect(rng, poly, w: float, h: float, theta: float, forbidden, tries: int = 4000):
    """A ``w`` x ``h`` rectangle rotated by ``theta`` inside ``poly``, clear of ``forbidden``."""
    area = poly.buffer(-2.0)
    minx, miny, maxx, maxy = area.bounds
    for _ in range(tries):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        rect = affinity.rotate(
            box(x - w / 2, y - h / 2, x + w / 2, y + h / 2), theta, origin=(x, y)
        )
        if area.contains(rect) and not rect.intersects(forbidden):
            return rect
    raise RuntimeError("no room for rectangle")


def pipe_code(network: str, diameter) -> str:
    """Catalogue code of a pipe class."""
    return (
        f"pipe:{network}"
        if diameter is None or pd.isna(diameter)
        else f"pipe:{network}:{int(diameter)}"
    )


def street_points(rng, comms, n):
    """Points 4 m outside communities that have no touching neighbour."""
    allc = unary_union([d["geom"] for d in comms])
    out = []
    names = ("长城社区", "康平社区", "永盛社区", "长安社区")
    for d in [c for c in comms if c["name"] in names][:n]:
        ring = d["geom"].geoms[0] if d["geom"].geom_type == "MultiPolygon" else d["geom"]
        ring = ring.buffer(4.0).exterior
        while True:
            q = ring.interpolate(rng.uniform(0, ring.length))
            if not allc.intersects(q.buffer(1.0)):
                out.append(q)
                break
    return out


def make_barriers(x0, y0, S) -> pd.DataFrame:
    """The 珲春河 as a polygon strip and two trunk roads that split near neighbours."""
    xs = np.linspace(-1300, 1300, 53)
    north = [(x0 + S * x, y0 - S * 622 + 3 * math.sin(x / 170)) for x in xs]
    sb = np.interp(xs, [-1300, -800, -620, -560, 400, 1300], [-700, -698, -702, -785, -792, -788])
    south = [(x0 + S * x, y0 + S * y + 3 * math.cos(x / 130)) for x, y in zip(xs, sb, strict=True)]
    river = Polygon(north + south[::-1])
    roads = [
        LineString([(x0, y0 - S * 618), (x0, y0 + S * 120)]),
        LineString([(x0 + S * 415, y0 - S * 798), (x0 + S * 415, y0 - S * 1160)]),
    ]
    return pd.DataFrame(
        [
            dict(barrier_id="HC-X01", kind="river", geometry=river),
            dict(barrier_id="HC-X02", kind="trunk_road", geometry=roads[0]),
            dict(barrier_id="HC-X03", kind="trunk_road", geometry=roads[1]),
        ]
    )


def make_structures(rng, comms, b) -> pd.DataFrame:
    """About 30 sheds (仓房) and illegal extensions (违建) between the slabs."""
    forbidden = unary_union(list(b.geometry.map(lambda g: g.buffer(3.0))))
    picks = rng.choice(len(comms), 30, p=np.array([d["n"] for d in comms]) / len(b))
    rows = []
    for i, ci in enumerate(sorted(picks)):
        d = comms[ci]
        rect = random_rect(
            rng, d["geom"], rng.uniform(3, 6), rng.uniform(4, 9), d["site"].theta, forbidden
        )
        forbidden = forbidden.union(rect.buffer(1.0))
        rows.append(
            dict(
                structure_id=f"HC-S{i + 1:03d}",
                kind="违建" if i % 3 == 0 else "仓房",
                status=["identified", "confirmed", "demolished"][int(rng.integers(3))],
                geometry=rect,
            )
        )
    return pd.DataFrame(rows)
