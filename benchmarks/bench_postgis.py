"""Benchmark: gisplan against PostGIS on the same per-community aggregation.

The aggregation: per community (and ``unassigned``) the number of buildings
and households, a building counting whole in the community holding the
largest share of its footprint (ties: the community listed first), and the
length of scope pipes (``action`` not ``keep``) per network and diameter, each
pipe cut exactly at community boundaries (``ST_Intersection`` lengths; a pipe
wholly covered by a community is not cut, as gisplan does).

The script starts a throwaway PostgreSQL cluster (``initdb`` / ``pg_ctl``, run
as the ``postgres`` user when started as root) in a temporary folder,
listening on 127.0.0.1 only with trust authentication; loads the synthetic
city (:mod:`gisplan.inputs.synthetic`, N buildings) through ``psql``'s ``COPY`` of
hex EWKB; builds GiST indexes and ANALYZEs; runs the SQL ``--repeat`` times;
times gisplan's own code for the same aggregation on the same data (its
largest-share and pipe-split primitives plus pandas group-bys, i.e. what
``compute_scope`` runs for these items); checks the two results equal
(1e-9 relative) and against gisplan's ``scope.csv`` figures; prints the ratio;
and stops and deletes the server.

Needs Debian's ``postgresql`` and ``postgis`` (``apt-get install -y postgresql
postgis``). Usage::

    python benchmarks/bench_postgis.py --n 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import glob
import io
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from statistics import median

import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

SRID = 4552
SETTINGS = {  # a throwaway benchmark server: durability off, JIT off (it only added time here)
    "listen_addresses": "127.0.0.1", "fsync": "off", "synchronous_commit": "off",
    "full_page_writes": "off", "shared_buffers": "1GB", "work_mem": "256MB",
    "maintenance_work_mem": "512MB", "jit": "off", "max_wal_size": "4GB",
}

# Communities drive both joins (they are the outer loop, each meeting its buildings or
# pipes in a row), so PostGIS reuses its prepared-geometry cache for ST_Intersects and
# ST_Covers: 1.4x (buildings) and 2.3x (pipes) faster at 10^5 than pipes or buildings outer.
BUILDINGS_SQL = """
WITH cand AS MATERIALIZED (
  SELECT b.building_id, c.ord,
         CASE WHEN ST_Covers(c.geom, b.geom) THEN ST_Area(b.geom)
              ELSE ST_Area(ST_Intersection(c.geom, b.geom)) END AS share
  FROM communities c JOIN buildings b ON ST_Intersects(c.geom, b.geom)
), best AS (
  SELECT DISTINCT ON (building_id) building_id, ord
  FROM cand WHERE share > 0 ORDER BY building_id, share DESC, ord
)
SELECT coalesce(c.community_id, 'unassigned') AS community_id,
       count(*)::float8 AS buildings, sum(b.households)::float8 AS households
FROM buildings b LEFT JOIN best USING (building_id) LEFT JOIN communities c USING (ord)
GROUP BY 1
"""

PIPES_SQL = """
WITH pieces AS MATERIALIZED (
  SELECT p.pipe_id, p.network, p.diameter_mm, c.community_id,
         CASE WHEN ST_Covers(c.geom, p.geom) THEN ST_Length(p.geom)
              ELSE ST_Length(ST_Intersection(c.geom, p.geom)) END AS len
  FROM communities c JOIN pipes p ON ST_Intersects(c.geom, p.geom)
  WHERE p.action <> 'keep'
), inside AS (
  SELECT pipe_id, sum(len) AS len FROM pieces GROUP BY pipe_id
)
SELECT community_id, network, diameter_mm, sum(len) AS length_m
FROM pieces GROUP BY 1, 2, 3
UNION ALL
SELECT 'unassigned', s.network, s.diameter_mm, sum(ST_Length(s.geom) - coalesce(i.len, 0))
FROM pipes s LEFT JOIN inside i USING (pipe_id)
WHERE s.action <> 'keep'
  AND ST_Length(s.geom) - coalesce(i.len, 0) > 1e-9 * greatest(ST_Length(s.geom), 1)
GROUP BY 1, 2, 3
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bindir() -> Path:
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                             check=True).stdout.strip()
        if (Path(out) / "initdb").exists():
            return Path(out)
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        sys.exit("PostgreSQL server binaries not found: apt-get install -y postgresql postgis")
    return Path(found[-1]).parent


@contextmanager
def postgres_server():
    """A throwaway PostgreSQL cluster on 127.0.0.1; yields the psql command prefix."""
    bindir, port = _bindir(), _free_port()
    root = Path(tempfile.mkdtemp(prefix="gisplan_pg_"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        pg = pwd.getpwnam("postgres")
        os.chown(root, pg.pw_uid, pg.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, log = root / "data", root / "server.log"
    opts = " ".join(f"-c {k}={v}" for k, v in SETTINGS.items())
    try:
        subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                        "--auth", "trust", "-E", "UTF8", "--no-sync"], check=True,
                       capture_output=True)
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
                        "-o", f"-p {port} -k {root} {opts}", "start"], check=True,
                       capture_output=True)
        psql = ["psql", "-A", "-t", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        subprocess.run([*psql, "-d", "postgres", "-c", "CREATE DATABASE bench"], check=True)
        yield [*psql, "-d", "bench"]
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                        "stop"], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


def sql(psql: list[str], *texts: str, stdin: str | None = None) -> str:
    """Run ``texts`` in one psql session (one ``-c`` each); return what it printed."""
    args = [a for t in texts for a in ("-c", t)]
    return subprocess.run([*psql, *args], input=stdin, capture_output=True, text=True,
                          check=True).stdout


def copy_in(psql: list[str], table: str, frame: pd.DataFrame) -> None:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False)
    sql(psql, f"\\copy {table} FROM STDIN WITH (FORMAT csv)", stdin=buf.getvalue())


def query(psql: list[str], text: str, *, setup: tuple[str, ...] = ()) -> pd.DataFrame:
    out = sql(psql, *setup, f"COPY ({text}) TO STDOUT WITH (FORMAT csv, HEADER)")
    return pd.read_csv(io.StringIO(out), dtype={"community_id": str, "network": str})


def ewkb(geoms: np.ndarray) -> np.ndarray:
    return shapely.to_wkb(shapely.set_srid(geoms, SRID), hex=True, include_srid=True)


def load(psql: list[str], city: dict) -> float:
    t0 = time.perf_counter()
    sql(psql, "CREATE EXTENSION postgis")
    sql(psql, f"""
        CREATE TABLE communities (ord int, community_id text, geom geometry(Polygon, {SRID}));
        CREATE TABLE buildings (building_id text, households int,
                                geom geometry(Polygon, {SRID}));
        CREATE TABLE pipes (pipe_id text, network text, diameter_mm int, action text,
                            geom geometry(LineString, {SRID}));""")
    com, b, p = city["communities"], city["buildings"], city["pipes"]
    copy_in(psql, "communities", pd.DataFrame({
        "ord": np.arange(len(com)), "id": com["community_id"],
        "g": ewkb(np.asarray(com.geometry.array))}))
    copy_in(psql, "buildings", pd.DataFrame({
        "id": b["building_id"], "hh": b["households"], "g": ewkb(np.asarray(b.geometry.array))}))
    copy_in(psql, "pipes", pd.DataFrame({
        "id": p["pipe_id"], "net": p["network"], "dia": p["diameter_mm"], "act": p["action"],
        "g": ewkb(np.asarray(p.geometry.array))}))
    sql(psql, """
        CREATE INDEX ON communities USING gist (geom); CREATE INDEX ON buildings USING gist (geom);
        CREATE INDEX ON pipes USING gist (geom); CREATE INDEX ON buildings (building_id);
        CREATE INDEX ON pipes (pipe_id); ANALYZE""")
    return time.perf_counter() - t0


def postgis_facts(psql: list[str], *, seqscan: bool) -> pd.Series:
    setup = () if seqscan else ("SET enable_seqscan = off",)
    return _long(query(psql, BUILDINGS_SQL, setup=setup), query(psql, PIPES_SQL, setup=setup))


def _long(b: pd.DataFrame, p: pd.DataFrame) -> pd.Series:
    from gisplan.plan.catalogue import pipe_item

    items = pipe_item(p["network"], p["diameter_mm"]).to_numpy(dtype=object)
    pipes = pd.DataFrame({"community_id": p["community_id"], "item": items,
                          "value": p["length_m"]}).groupby(["community_id", "item"]).sum()
    blds = b.melt(id_vars="community_id", var_name="item", value_name="value")
    return pd.concat([blds.set_index(["community_id", "item"]), pipes])["value"].sort_index()


def gisplan_facts(layers) -> pd.Series:
    """The same aggregation with gisplan's own primitives (as compute_scope runs them)."""
    from gisplan.inputs.spatial import largest_share, split_lengths
    from gisplan.plan.catalogue import pipe_item

    com = layers.communities
    areas = np.asarray(com.geometry.array)
    ids = np.append(com["community_id"].to_numpy(dtype=object), "unassigned")
    b = layers.buildings
    home = ids[largest_share(np.asarray(b.geometry.array), areas)]
    blds = b["households"].astype(float).groupby(home).agg(["size", "sum"])
    blds.columns = ["buildings", "households"]
    blds = blds.astype(float).rename_axis("community_id").reset_index().melt(
        id_vars="community_id", var_name="item", value_name="value")
    pipes = layers.pipes[layers.pipes["action"] != "keep"]
    li, ai, length = split_lengths(np.asarray(pipes.geometry.array), areas)
    rows = pipes.iloc[li]
    pieces = pd.DataFrame({"community_id": ids[ai],
                           "item": pipe_item(rows["network"], rows["diameter_mm"]).to_numpy(
                               dtype=object), "value": length})
    out = pd.concat([blds, pieces]).groupby(["community_id", "item"])["value"].sum()
    return out.sort_index()


def scope_facts(layers) -> pd.Series:
    """The same figures from gisplan's scope table (community and unassigned rows)."""
    from gisplan.analysis.scope import compute_scope

    t = compute_scope(layers).table
    t = t[t["level"].isin(["community", "unassigned"]) & (t["item"].isin(
        ["buildings", "households"]) | t["item"].str.startswith("pipe:"))]
    t = t[(t["quantity"] != 0) | t["item"].str.startswith("pipe:")]
    return t.set_index(["area_id", "item"])["quantity"].rename_axis(
        ["community_id", "item"]).astype(float).sort_index()


def compare(a: pd.Series, b: pd.Series) -> dict:
    a, b = a[a != 0], b[b != 0]
    keys = a.index.union(b.index)
    x, y = a.reindex(keys).to_numpy(float), b.reindex(keys).to_numpy(float)
    both = ~np.isnan(x) & ~np.isnan(y)
    rel = np.abs(x[both] - y[both]) / np.maximum(np.abs(x[both]), 1e-300)
    return {"rows": len(keys), "missing": int((~both).sum()),
            "max_rel_diff": float(rel.max()) if len(rel) else 0.0,
            "equal": bool(both.all() and (rel <= 1e-9).all())}


def _timed(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return median(times), times, result


def run(n: int, repeat: int, seed: int, seqscan: bool) -> dict:
    from gisplan.inputs.synthetic import make_city
    from gisplan.inputs.validation import load_layers
    from gisplan.outputs.plan_folder import write_plan_folder

    city = make_city(n, seed=seed)
    out: dict = {"n": n, "repeat": repeat, "seqscan": seqscan,
                 "rows": {k: len(city[k]) for k in ("communities", "buildings", "pipes")}}
    with tempfile.TemporaryDirectory(prefix="bench_pg_") as tmp:
        t0 = time.perf_counter()
        layers = load_layers(write_plan_folder(city, Path(tmp) / "plan"))
        out["gisplan_load_s"] = time.perf_counter() - t0
    s, ts, mine = _timed(lambda: gisplan_facts(layers), repeat)
    out["gisplan"] = {"seconds": s, "all": ts}
    print(f"gisplan {s:.2f} s", file=sys.stderr, flush=True)
    out["gisplan_vs_scope_table"] = compare(mine, scope_facts(layers))
    with postgres_server() as psql:
        out["postgis_load_s"] = load(psql, city)
        out["postgres"] = "PostgreSQL " + sql(psql, "SHOW server_version").split()[0]
        out["postgis"] = sql(psql, "SELECT postgis_lib_version()").strip()
        s, ts, theirs = _timed(lambda: postgis_facts(psql, seqscan=seqscan), repeat)
        out["postgis_query"] = {"seconds": s, "all": ts}
        print(f"PostGIS {s:.2f} s", file=sys.stderr, flush=True)
    out["check"] = compare(mine, theirs)
    out["ratio"] = out["gisplan"]["seconds"] / out["postgis_query"]["seconds"]
    return out


def markdown(r: dict) -> str:
    rows = r["rows"]
    return "\n".join([
        f"N = {r['n']:,} buildings, {rows['communities']:,} communities, {rows['pipes']:,} pipes; "
        f"{r['postgres']}, PostGIS {r['postgis']}; "
        f"enable_seqscan {'on' if r['seqscan'] else 'off'}; median of {r['repeat']}", "",
        "| step | gisplan s | PostGIS s | gisplan / PostGIS |", "|---|---:|---:|---:|",
        f"| per-community aggregation (buildings, households, pipe length per network and "
        f"diameter, split at borders) | {r['gisplan']['seconds']:.2f} | "
        f"{r['postgis_query']['seconds']:.2f} | {r['ratio']:.2f} |",
        f"| getting the data in (gisplan: read + validate GeoParquet; PostGIS: COPY + GiST "
        f"+ ANALYZE) | {r['gisplan_load_s']:.2f} | {r['postgis_load_s']:.2f} | "
        f"{r['gisplan_load_s'] / r['postgis_load_s']:.2f} |", "",
        f"Results: {r['check']['rows']:,} (community, item) figures, "
        f"{'equal' if r['check']['equal'] else 'NOT equal'} (max relative difference "
        f"{r['check']['max_rel_diff']:.1e}, {r['check']['missing']} missing); gisplan's "
        f"primitives vs its scope table: "
        f"{'equal' if r['gisplan_vs_scope_table']['equal'] else 'NOT equal'}."])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seqscan", choices=("auto", "on", "off"), default="auto",
                    help="enable_seqscan (auto: off from N = 500,000, where the planner "
                         "otherwise picks a 5-9x slower plan)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    seqscan = args.seqscan == "on" or (args.seqscan == "auto" and args.n < 500_000)
    result = run(args.n, args.repeat, args.seed, seqscan)
    print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0 if result["check"]["equal"] and result["gisplan_vs_scope_table"]["equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
