"""Beyond one machine: scope on dask-geopandas over spatially partitioned GeoParquet.

:func:`partition_plan` writes a plan folder whose large layers (buildings,
pipes, facilities, structures) are *partitioned GeoParquet*: a folder
``<layer>.parquet/`` of ``part.NNNNN.parquet`` files, rows sorted by
``hilbert_distance()`` and cut into ``npartitions`` runs, so each file covers
one compact patch of the city. Communities and barriers stay single files:
there are few of them (N/50), and every partition needs all of them.

:func:`run_scope_dask` reads such a plan with ``dask_geopandas.read_parquet``
(one partition per file; a layer in any other format is one partition) and
runs, in one task per partition on a ``dask.distributed`` cluster:
validation of the partition (columns, geometry, CRS, and the checks against
the communities, which are broadcast to every worker), assignment against
*all* communities and :func:`gisplan.analysis.quantities.partial_facts`. A building or pipe
lives in exactly one partition and is split against every community there,
so a feature crossing a partition or community border is counted once. The
partial facts are additive: a tree of tasks sums them on the cluster, and the
driver applies the community-level surveys, zones, roll-up and pricing (all of
size N/50). Ids are checked for duplicates across partitions by hash buckets,
so no task holds every id. The result is the same ``Scope`` table as
:func:`gisplan.analysis.scope.compute_scope` (tested to 1e-9 relative).

This module imports dask only when it runs; the rest of gisplan never imports it.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gisplan.analysis.provenance import add_kinds, feature_kinds
from gisplan.analysis.quantities import PARTIAL_COLUMNS, finish_facts, partial_facts
from gisplan.analysis.quantities import sum_facts as _sum_facts
from gisplan.analysis.scope import Scope, scope_from_facts
from gisplan.analysis.zones import Zones, check_max_gap, detect_zones
from gisplan.engines.partition import PARTITIONED_LAYERS
from gisplan.errors import GisplanError, LayerReadError, ValidationError
from gisplan.inputs.assign import Assignment, assign_to_areas
from gisplan.inputs.io import PARQUET_SUFFIXES, Engine, read_vector
from gisplan.inputs.problems import Problem, Report
from gisplan.inputs.schema import SCHEMAS, check_columns, duplicate_ids
from gisplan.inputs.validation import (
    Layers,
    check_geometry,
    cross_check,
    empty_layer,
    file_column,
    plan_catalogue,
    read_layer,
    read_tables,
    rename_columns,
)
from gisplan.plan.settings import LAYER_NAMES, LayerSource, Plan, read_plan

FAN_IN = 8  # partial-fact frames summed per reduction task
#: The modules of gisplan's ``dask`` extra (``pip install "gisplan[dask]"``).
DASK_MODULES = ("dask", "distributed", "dask_geopandas")


def require_dask() -> None:
    """Raise a :class:`GisplanError` naming the extra to install if a module of the
    ``dask`` extra cannot be imported (instead of a bare ModuleNotFoundError)."""
    missing = []
    for name in DASK_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise GisplanError(f"the dask engine (--engine dask) needs gisplan's dask extra "
                           f"(not installed: {', '.join(missing)}): pip install \"gisplan[dask]\"")


# --------------------------------------------------------------------------- the engine

@dataclass(frozen=True)
class _Context:
    """What every partition task needs (broadcast once to each worker)."""

    plan: Plan
    catalogue: pd.DataFrame
    communities: gpd.GeoDataFrame
    declared: pd.DataFrame  # target_kind is "community" or still unknown (None)
    repair: bool
    buckets: int


@dataclass(frozen=True)
class DaskScope:
    """What :func:`run_scope_dask` computes.

    Attributes
    ----------
    scope : Scope
        As :func:`gisplan.analysis.scope.compute_scope` gives; ``scope.assignment`` has
        empty frames (the features stay in their partitions).
    zones : Zones
        Zones of the plan; ``shared_pipes`` is empty (it needs every pipe).
    layers : Layers
        Plan, catalogue, communities, barriers and tables, and the validation
        report of every layer; feature layers are empty.
    partitions : dict of str to int
        Partitions read per layer.
    seconds : dict of str to float
        Wall time of ``driver_before`` (small layers, graph), ``cluster`` (from
        submitting the graph to having its results) and ``driver_after``
        (community overrides, zones if they need households, roll-up, pricing).
    """

    scope: Scope
    zones: Zones
    layers: Layers
    partitions: dict[str, int]
    seconds: dict[str, float]


def _no_facts() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object if c in ("community_id", "item") else float)
                         for c in ["community_id", "item", *PARTIAL_COLUMNS]})


@functools.cache
def _empty_layer(name: str, crs: str) -> gpd.GeoDataFrame:
    """An empty layer, made once per worker (assignment copies, never changes, its input)."""
    return empty_layer(name, crs)


def _combine(*parts: pd.DataFrame) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    return _sum_facts(pd.concat(parts, ignore_index=True)) if parts else _no_facts()


def _check_partition(raw: gpd.GeoDataFrame, layer: str, ctx: _Context) -> tuple:
    """Validate, assign and sum one partition.

    Returns ``(facts, (rows, problems, matched_targets), id_buckets, kinds)``, ``kinds``
    being :func:`~gisplan.analysis.provenance.feature_kinds` of the partition.
    """
    facts, info, buckets, part, assignment = _partition_facts(raw, layer, ctx)
    kinds = add_kinds() if part is None else feature_kinds(part, assignment)
    return facts, info, buckets, kinds


def _partition_facts(raw: gpd.GeoDataFrame, layer: str, ctx: _Context) -> tuple:
    """:func:`_check_partition` but the kinds, with the partition's layers and assignment
    (None where it has errors)."""
    plan, report = ctx.plan, Report()
    rows = len(raw)
    mapping = plan.fields.get(layer, {})
    id_col = SCHEMAS[layer].id
    buckets = [pd.Series(dtype=object)] * ctx.buckets
    raw = rename_columns(raw, layer, mapping, report)
    if raw is None:
        return _no_facts(), (rows, report.problems, []), buckets, None, None
    raw = raw.reset_index(drop=True)
    typed = check_columns(raw, layer, file_names=mapping, report=report)
    if id_col in typed:
        ids = typed[id_col].dropna().astype("str")  # Arrow-backed: cheap to send
        slot = pd.util.hash_pandas_object(ids, index=False).to_numpy() % ctx.buckets
        buckets = [ids[slot == b] for b in range(ctx.buckets)]
    gdf = check_geometry(gpd.GeoDataFrame(typed, geometry=raw.geometry.name, crs=raw.crs),
                          layer, plan, repair=ctx.repair, report=report)
    if any(p.severity == "error" and p.check != "duplicate_id" for p in report.problems):
        return _no_facts(), (rows, report.problems, []), buckets, None, None
    geo, split, homes = cross_check({"communities": ctx.communities, layer: gdf}, plan,
                                    ctx.catalogue, report)
    report.problems[:] = [p for p in report.problems if p.check != "overlapping_communities"]
    decl = ctx.declared.iloc[:0]
    if layer == "buildings":
        decl = ctx.declared[ctx.declared["target_kind"].isna()
                            & ctx.declared["target_id"].isin(gdf["building_id"])]
    info = (rows, report.problems, decl["target_id"].unique().tolist())
    if any(p.severity == "error" for p in report.problems):
        return _no_facts(), info, buckets, None, None
    frames = {name: _empty_layer(name, plan.crs) for name in LAYER_NAMES}
    frames.update({layer: gdf, "communities": ctx.communities})
    part = Layers(plan=plan, catalogue=ctx.catalogue, **frames,
                  geo_community=geo if geo is not None else pd.Series(dtype=object),
                  declared=decl, stated=None, report=report, pipe_split=split,
                  point_homes=homes)
    assignment = assign_to_areas(part)
    facts = partial_facts(assignment, ctx.catalogue, settings=plan.scope, declared=decl)
    return _sum_facts(facts), info, buckets, part, assignment


def _duplicates(layer: str, field: str, *buckets: pd.Series) -> list[Problem]:
    """duplicate_id problems among the ids of one hash bucket of every partition."""
    parts = [b for b in buckets if len(b)]
    if not parts:
        return []
    return [Problem("error", layer, "duplicate_id",
                    f"id '{value}' is used by {n} features; ids must be unique",
                    str(value), field)
            for value, n in duplicate_ids(pd.concat(parts)).items()]


def _read_whole(source: LayerSource, engine: Engine) -> gpd.GeoDataFrame:
    return read_vector(source, engine=engine)


def _partitions(source: LayerSource, engine: Engine) -> list:
    """Delayed partitions of one layer: GeoParquet parts, else the whole file."""
    import dask
    import dask_geopandas

    if source.path.suffix.lower() in PARQUET_SUFFIXES and source.path.exists():
        try:
            return list(dask_geopandas.read_parquet(str(source.path)).to_delayed())
        except Exception as exc:  # arrow, fsspec and dask raise their own families
            raise LayerReadError(f"layer '{source.name}' ({source.describe()}): cannot read it "
                                 f"as GeoParquet: {exc}") from None
    return [dask.delayed(_read_whole)(source, engine)]


def _fused(outputs: object) -> object:
    """One Delayed for ``outputs`` with each partition's read fused into the task using it,
    so a raw partition is never sent from the worker that read it to another."""
    import dask
    from dask.delayed import Delayed, optimize

    whole = dask.delayed(outputs)
    with dask.config.set({"optimization.fuse.delayed": True}):
        return Delayed(whole.key, dict(optimize(whole.__dask_graph__(), [whole.key])))


def _tree_sum(items: list, add=_combine) -> object:
    import dask

    combine = dask.delayed(add, pure=True)
    while len(items) > 1:
        items = [combine(*items[i:i + FAN_IN]) for i in range(0, len(items), FAN_IN)]
    return items[0]


_ROW = re.compile(r"row (\d+)")


def _offset_rows(problems: list[Problem], offset: int) -> list[Problem]:
    """``row N`` of a partition as ``row N`` of the whole layer (parts in file order)."""
    if not offset:
        return problems
    out = []
    for p in problems:
        m = _ROW.fullmatch(p.feature_id or "")
        out.append(dataclasses.replace(p, feature_id=f"row {int(m.group(1)) + offset}")
                   if m else p)
    return out


def _read_tables(plan: Plan, catalogue: pd.DataFrame, communities: gpd.GeoDataFrame,
                 report: Report) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """quantities.csv and stated.csv as :func:`gisplan.inputs.validation.load_layers` reads them;
    targets that are no community are resolved against buildings later."""
    return read_tables(plan, catalogue, report, community_ids=communities["community_id"],
                       building_ids=None)


@contextmanager
def dask_client(scheduler: str | None = None, *, n_workers: int | None = None,
                processes: bool = True) -> Iterator[object]:
    """A ``distributed.Client``: to ``scheduler`` if given, else to a new local cluster
    of ``n_workers`` single-threaded workers (default: one per core); closed on exit."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    import os

    n = n_workers or max(1, os.cpu_count() or 1)
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=processes,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        yield client


def _empty_assignment(crs: str) -> Assignment:
    with_home = {n: empty_layer(n, crs).assign(community_id=pd.Series(dtype=object))
                 for n in ("buildings", "facilities", "structures")}
    pieces = pd.DataFrame({c: pd.Series(dtype=float if c == "length_m" else object) for c in
                           ["pipe_id", "community_id", "network", "diameter_mm", "item",
                            "length_m"]})
    return Assignment(buildings=with_home["buildings"], pipe_pieces=pieces,
                      facilities=with_home["facilities"], structures=with_home["structures"])


def _zones(layers: Layers, facts: pd.DataFrame | None, max_gap_m: float | None) -> Zones:
    """Zones of ``layers``; their households (for ``min_households``) come from ``facts``."""
    households = None
    if facts is not None:
        hh = facts[facts["item"] == "households"]
        households = pd.Series((hh["quantity_derived"] + hh["derived_overridden"]).to_numpy(),
                               index=hh["community_id"].to_numpy(dtype=object))
    return detect_zones(layers, max_gap_m=max_gap_m, households=households)


def run_scope_dask(plan: Plan | str | Path, *, client=None, scheduler: str | None = None,
                   n_workers: int | None = None, processes: bool = True,
                   max_gap_m: float | None = None, engine: Engine = "pyogrio",
                   repair: bool = False) -> DaskScope:
    """Validate a plan and compute its scope and zones on a dask cluster.

    Parameters
    ----------
    plan : Plan, str or Path
        A plan folder; large layers are best partitioned GeoParquet (see
        :func:`partition_plan`), any other layer is read whole by one task.
    client : distributed.Client, optional, keyword-only
        Use this client (and leave it open).
    scheduler : str, optional, keyword-only
        Address of a running scheduler (``tcp://host:8786``); else a local
        cluster of ``n_workers`` workers (``processes=False``: threads) is started.
    max_gap_m : float, optional, keyword-only
        Zone gap, default ``[zones] max_gap_m``.
    engine, repair : keyword-only
        As :func:`gisplan.inputs.validation.load_layers`.

    Raises
    ------
    ValidationError
        Any layer has an error (communities are checked before anything else is read).
    GisplanError
        The ``dask`` extra is not installed (the message says how to install it).
    """
    check_max_gap(max_gap_m)
    require_dask()
    if client is None:
        with dask_client(scheduler, n_workers=n_workers, processes=processes) as own:
            return run_scope_dask(plan, client=own, max_gap_m=max_gap_m, engine=engine,
                                  repair=repair)
    import dask

    t0 = time.perf_counter()
    if not isinstance(plan, Plan):
        plan = read_plan(plan)
    report = Report()
    catalogue = plan_catalogue(plan, report)
    small = {name: read_layer(plan, name, engine=engine, repair=repair, report=report)
             for name in ("communities", "barriers")}
    communities = small["communities"]
    if communities is None or not report.ok:
        raise ValidationError(report)
    cross_check({"communities": communities}, plan, catalogue, report)
    declared, stated = _read_tables(plan, catalogue, communities, report)

    sources = {name: plan.layers[name] for name in PARTITIONED_LAYERS if name in plan.layers}
    parts = {name: _partitions(src, engine) for name, src in sources.items()}
    # One hash bucket of ids per worker: the duplicate check is spread, not centralised.
    n_buckets = max(1, min(len(client.scheduler_info()["workers"]),
                           max(len(p) for p in parts.values())))
    ctx = client.scatter(_Context(plan, catalogue, communities, declared, repair, n_buckets),
                         broadcast=True)
    check = dask.delayed(_check_partition, pure=True, nout=4)
    tasks = {name: [check(p, name, ctx) for p in ps] for name, ps in parts.items()}
    facts = _tree_sum([t[0] for ts in tasks.values() for t in ts])
    kinds = _tree_sum([t[3] for ts in tasks.values() for t in ts], add_kinds)
    infos = {name: [t[1] for t in ts] for name, ts in tasks.items()}
    dups = [dask.delayed(_duplicates, pure=True)(
        name, file_column(plan, name, SCHEMAS[name].id), *[t[2][b] for t in ts])
        for name, ts in tasks.items() for b in range(n_buckets)]
    # Fuse each partition's read into its task: the raw partition never travels.
    t1 = time.perf_counter()
    future = client.compute(_fused([facts, infos, dups, kinds]), optimize_graph=False)
    frames = {name: empty_layer(name, plan.crs) for name in LAYER_NAMES}
    frames.update({k: v for k, v in small.items() if v is not None})
    layers = Layers(plan=plan, catalogue=catalogue, **frames,
                    geo_community=pd.Series(dtype=object), declared=declared, stated=stated,
                    report=report)
    # Without a household threshold zones need no buildings: find them meanwhile.
    zones = _zones(layers, None, max_gap_m) if plan.zones.min_households == 0 else None
    facts, infos, dups, kinds = future.result()
    t2 = time.perf_counter()

    matched: set = set()
    for per_part in infos.values():
        offset = 0
        for rows, problems, targets in per_part:
            report.problems += _offset_rows([p for p in problems if p.check != "duplicate_id"],
                                            offset)
            matched.update(targets)
            offset += rows
    for problems in dups:
        report.problems += problems
    kind = declared["target_kind"].where(~declared["target_id"].isin(matched) |
                                         declared["target_kind"].notna(), "building")
    declared = declared.assign(target_kind=kind)
    field = file_column(plan, "quantities", "target_id")
    unknown = kind.isna() & declared["target_id"].notna()
    if any(p.layer == "buildings" and p.severity == "error" for p in report.problems):
        unknown[:] = False  # as load_layers: targets are checked once both layers are valid
    for pos in np.flatnonzero(unknown.to_numpy()):
        report.add("error", "quantities", "unknown_target",
                   f"target_id '{declared['target_id'].iat[pos]}' matches no community_id or "
                   "building_id", feature_id=f"line {pos + 2}", field=field)
    if not report.ok:
        raise ValidationError(report)

    facts = finish_facts(facts, declared[declared["target_kind"] == "community"])
    layers = dataclasses.replace(layers, declared=declared)
    if zones is None:
        zones = _zones(layers, facts, max_gap_m)
    scope = scope_from_facts(facts, layers, zones=zones.membership,
                             assignment=_empty_assignment(plan.crs), kinds=kinds)
    return DaskScope(scope=scope, zones=zones, layers=layers,
                     partitions={name: len(p) for name, p in parts.items()},
                     seconds={"driver_before": t1 - t0, "cluster": t2 - t1,
                              "driver_after": time.perf_counter() - t2})
