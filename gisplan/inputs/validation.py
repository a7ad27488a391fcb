"""Validated layers: read every file of a plan, check it, bring it to the working CRS.

:func:`load_layers` is the one way into the rest of gisplan: it returns a
:class:`Layers` whose frames follow the contract (typed columns, valid
geometry in the plan's metric CRS), or raises :class:`ValidationError` with
every problem found. :func:`validate_plan` returns the report instead.

Examples
--------
>>> from gisplan.inputs.validation import load_layers
>>> layers = load_layers("layers/hunchun2020")  # the bundled plan, from the repository root
>>> int(layers.buildings["households"].sum())
5054
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.errors import GisplanError, LayerReadError, ValidationError
from gisplan.inputs.access_layers import site_kinds
from gisplan.inputs.geometry import check_geometry
from gisplan.inputs.io import Engine, read_table, read_vector
from gisplan.inputs.problems import Report
from gisplan.inputs.schema import SCHEMAS, check_columns, locate
from gisplan.inputs.spatial import area_index, keep_family, largest_share, split_lengths
from gisplan.plan.catalogue import load_catalogue, load_metrics
from gisplan.plan.settings import ACCESS_LAYERS, LAYER_NAMES, Plan, read_plan

#: Area id of everything that lies in no community.
UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class Layers:
    """A plan's validated layers, all in ``plan.crs``; absent optional layers are empty.

    ``geo_community`` holds, for each building (same index), the community with
    the largest share of its footprint by geometry alone, or ``unassigned``.
    ``pipe_split`` holds every pipe cut at community boundaries (``pipe`` and
    ``community`` positions into ``pipes`` and ``communities``, -1 for the
    part in none, and ``length_m``), made once while validating and reused by
    assignment and zones; None where not computed. ``point_homes`` holds, for
    facilities and structures, the community each lies in (as
    ``geo_community``), also measured while validating; empty where not.
    """

    plan: Plan
    catalogue: pd.DataFrame
    communities: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    pipes: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    structures: gpd.GeoDataFrame
    barriers: gpd.GeoDataFrame
    geo_community: pd.Series
    declared: pd.DataFrame
    stated: pd.DataFrame | None
    report: Report
    pipe_split: pd.DataFrame | None = None
    point_homes: dict[str, pd.Series] = field(default_factory=dict)
    roads: gpd.GeoDataFrame | None = None  # the walking-access layers (ACCESS_LAYERS)
    services: gpd.GeoDataFrame | None = None
    sites: gpd.GeoDataFrame | None = None

    def layer(self, name: str) -> gpd.GeoDataFrame:
        return getattr(self, name)


def empty_layer(layer: str, crs: str) -> gpd.GeoDataFrame:
    cols = [c.name for c in SCHEMAS[layer].columns]
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in cols}, geometry=[], crs=crs)


def rename_columns(frame: pd.DataFrame, layer: str, mapping: dict[str, str],
                   report: Report) -> pd.DataFrame | None:
    """``frame`` with the file's columns renamed to the contract's (``[fields.<layer>]``);
    None, with an error in ``report``, where a mapped column is not in the file."""
    missing = [f for f in mapping.values() if f not in frame.columns]
    for file_col in missing:
        contract = next(k for k, v in mapping.items() if v == file_col)
        report.add("error", layer, "missing_column",
                   f"column '{file_col}' (mapped to '{contract}' in [fields.{layer}]) is not in "
                   f"the file; its columns are: {', '.join(map(str, frame.columns))}",
                   field=file_col)
    return None if missing else frame.rename(columns={v: k for k, v in mapping.items()})


def _read_renamed(plan: Plan, name: str, read: Callable[[], pd.DataFrame],
                  report: Report) -> pd.DataFrame | None:
    """``read()`` with its columns renamed to the contract; None (reported) where it fails."""
    try:
        raw = read()
    except LayerReadError as exc:
        report.add("error", name, "unreadable", str(exc))
        return None
    return rename_columns(raw, name, plan.fields.get(name, {}), report)


def read_layer(plan: Plan, layer: str, *, engine: Engine, repair: bool,
                report: Report) -> gpd.GeoDataFrame | None:
    source = plan.layers.get(layer)
    if source is None:
        return empty_layer(layer, plan.crs)
    raw = _read_renamed(plan, layer, lambda: read_vector(source, engine=engine), report)
    if raw is None:
        return None
    raw = raw.reset_index(drop=True)
    before = len(report.errors)
    typed = check_columns(raw, layer, file_names=plan.fields.get(layer, {}), report=report)
    gdf = check_geometry(gpd.GeoDataFrame(typed, geometry=raw.geometry.name, crs=raw.crs),
                          layer, plan, repair=repair, report=report)
    return gdf if len(report.errors) == before else None


def read_csv_table(plan: Plan, name: str, path: Path | None, report: Report) -> pd.DataFrame | None:
    if path is None:
        return None
    raw = _read_renamed(plan, name, lambda: read_table(path, name=name), report)
    if raw is None:
        return None
    typed = check_columns(raw, name, file_names=plan.fields.get(name, {}), report=report)
    # A required column is missing (reported above): the table cannot be checked further.
    if any(c.required and c.name not in typed for c in SCHEMAS[name].columns):
        return None
    return typed


def file_column(plan: Plan, layer: str, column: str) -> str:
    """A contract column as the user's file names it ([fields.<layer>]), for messages."""
    return plan.fields.get(layer, {}).get(column, column)


def check_items(frame: pd.DataFrame, layer: str, id_column: str | None, known: pd.Index,
                 report: Report, *, field: str = "item") -> None:
    unknown = frame["item"].notna() & ~frame["item"].isin(known)
    where = locate(frame, id_column)
    for idx in frame.index[unknown]:
        report.add("error", layer, "unknown_item",
                   f"work item '{frame.at[idx, 'item']}' is not in the catalogue "
                   "(gisplan/plan/data/work_items.csv)", feature_id=where[idx], field=field)


class Measured(NamedTuple):
    """What :func:`cross_check` measured and later steps reuse (see :class:`Layers`)."""

    geo_community: pd.Series | None
    pipe_split: pd.DataFrame | None
    point_homes: dict[str, pd.Series]


def cross_check(got: dict[str, gpd.GeoDataFrame], plan: Plan, catalogue: pd.DataFrame,
                 report: Report) -> Measured:
    """Checks that need more than one layer: overlaps, membership, references.

    Returns what the checks measured and later steps reuse: the community
    holding the largest share of each building, facility and structure (by
    geometry alone, ``unassigned`` where none) and the pipes cut at community
    boundaries (see :class:`Layers`); None for a layer not given.
    """
    if got.get("facilities") is not None:
        check_items(got["facilities"], "facilities", "facility_id", catalogue.index, report,
                     field=file_column(plan, "facilities", "item"))
    com = got.get("communities")
    if com is None:
        return Measured(None, None, {})
    areas = np.asarray(com.geometry.array)
    index = area_index(areas)  # prepared once for every layer joined below
    left, right = index.tree.query(areas, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    overlap = shapely.area(keep_family(shapely.intersection(areas[left], areas[right]),
                                       "polygonal"))
    big = overlap > plan.scope.sliver_m2
    for a, b, area in zip(left[big], right[big], overlap[big], strict=True):
        report.add("error", "communities", "overlapping_communities",
                   f"overlaps community '{com['community_id'].iat[b]}' by {area:,.1f} m²; "
                   f"more than the {plan.scope.sliver_m2:g} m² sliver allowed, what lies in "
                   "it would count twice", feature_id=com["community_id"].iat[a])
    ids = pd.Index(com["community_id"])
    labels = np.append(ids.to_numpy(dtype=object), UNASSIGNED)  # position -1: none
    geo_community = pipe_split = None
    point_homes = {}
    for layer in ("buildings", "pipes", "facilities", "structures"):
        gdf = got.get(layer)
        if gdf is None or gdf.empty:
            continue
        where = locate(gdf, SCHEMAS[layer].id)
        geoms = np.asarray(gdf.geometry.array)
        if layer == "pipes":
            li, ai, length = split_lengths(geoms, index)
            pipe_split = pd.DataFrame({"pipe": li, "community": ai, "length_m": length})
            home = np.full(len(gdf), -1)
            home[li[ai >= 0]] = 0
        else:
            home = largest_share(geoms, index)
            homes = pd.Series(labels[home], index=gdf.index, dtype=object)
            if layer == "buildings":
                geo_community = homes
            else:
                point_homes[layer] = homes
        report.add_many("warning", layer, "outside_communities",
                        "lies in no community; it is counted in the 'unassigned' area",
                        where.labels(np.flatnonzero(home == -1)))
        if layer == "buildings" and "community_id" in gdf:
            field = file_column(plan, layer, "community_id")
            given = gdf["community_id"]
            unknown = given.notna() & ~given.isin(ids)
            for idx in np.flatnonzero(unknown):
                report.add("error", layer, "unknown_community",
                           f"community_id '{given.iat[idx]}' is not in the communities layer",
                           feature_id=where.iloc[idx], field=field)
            contra = given.notna() & ~unknown & (home >= 0) & (geo_community != given)
            for idx in np.flatnonzero(contra):
                report.add("warning", layer, "community_mismatch",
                           f"community_id is '{given.iat[idx]}' but most of its footprint lies "
                           f"in '{geo_community.iat[idx]}'; the given community_id is used",
                           feature_id=where.iloc[idx], field=field)
    return Measured(geo_community, pipe_split, point_homes)


def plan_catalogue(plan: Plan, report: Report) -> pd.DataFrame:
    """The catalogue with the plan's [prices]; an unknown code is an error in ``report``."""
    try:
        return load_catalogue(prices=plan.prices)
    except GisplanError as exc:
        report.add("error", "plan.toml", "unknown_item", str(exc))
        return load_catalogue()


def read_tables(plan: Plan, catalogue: pd.DataFrame, report: Report, *,
                community_ids: pd.Series | None,
                building_ids: pd.Series | None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """quantities.csv and stated.csv, checked.

    Declared quantities are an empty table where the plan has none (or where the
    file could not be checked: then ``report`` has the error). Each declared row
    gets ``target_kind`` "community" or "building". A target
    that matches neither is an error only when both id sets are given; with
    ``building_ids=None`` (features not at hand, as in the dask engine) such
    rows keep ``target_kind`` None for the caller to resolve.
    """
    declared = read_csv_table(plan, "quantities", plan.declared, report)
    if declared is not None:
        check_items(declared, "quantities", None, catalogue.index, report,
                    field=file_column(plan, "quantities", "item"))
        kind = pd.Series(None, index=declared.index, dtype=object)
        for name, ids in (("community", community_ids), ("building", building_ids)):
            if ids is not None:
                kind = kind.where(~(declared["target_id"].isin(ids) & kind.isna()), name)
        if community_ids is not None and building_ids is not None:
            rows = locate(declared, None)
            both = declared["target_id"].isin(community_ids) & declared["target_id"].isin(
                building_ids)
            for idx in declared.index[both]:
                report.add("error", "quantities", "ambiguous_target",
                           f"target_id '{declared.at[idx, 'target_id']}' is both a community_id "
                           "and a building_id, so the figure could go to either; give the "
                           "buildings or the communities distinct ids (e.g. a prefix)",
                           feature_id=rows[idx],
                           field=file_column(plan, "quantities", "target_id"))
            for idx in declared.index[kind.isna() & declared["target_id"].notna()]:
                report.add("error", "quantities", "unknown_target",
                           f"target_id '{declared.at[idx, 'target_id']}' matches no community_id "
                           "or building_id", feature_id=rows[idx],
                           field=file_column(plan, "quantities", "target_id"))
        declared = declared.assign(target_kind=kind)
    stated = read_csv_table(plan, "stated", plan.stated, report)
    if stated is not None:
        known = catalogue.index.union(load_metrics().index)
        odd = stated["item"].notna() & ~stated["item"].isin(known) & ~stated[
            "item"].str.startswith("pipe:")
        lines = locate(stated, None)
        for idx in stated.index[odd]:
            report.add("warning", "stated", "unknown_item",
                       f"stated item '{stated.at[idx, 'item']}' is neither a work item nor a "
                       "metric; it is shown but cannot be reconciled", feature_id=lines[idx],
                       field=file_column(plan, "stated", "item"))
    if declared is None:
        declared = pd.DataFrame({"target_id": pd.Series(dtype=object),
                                 "item": pd.Series(dtype=object),
                                 "quantity": pd.Series(dtype=float),
                                 "target_kind": pd.Series(dtype=object)})
    return declared, stated


def load_layers(plan: Plan | str | Path, *, engine: Engine = "pyogrio",
                repair: bool = False) -> Layers:
    """Read, check and reproject every layer and table of a plan.

    Parameters
    ----------
    plan : Plan, str or Path
        A parsed plan, or a plan folder.
    engine : {"pyogrio", "fiona"}, keyword-only
        GDAL binding used to read vector files.
    repair : bool, keyword-only
        Repair invalid geometries with ``shapely.make_valid`` (reported as
        warnings) instead of failing on them.

    Returns
    -------
    Layers

    Raises
    ------
    PlanError
        plan.toml is missing or malformed.
    ValidationError
        Any layer has an error; the exception's ``report`` lists all problems.
    """
    if not isinstance(plan, Plan):
        plan = read_plan(plan)
    report = Report()
    catalogue = plan_catalogue(plan, report)
    got = {name: read_layer(plan, name, engine=engine, repair=repair, report=report)
           for name in LAYER_NAMES + ACCESS_LAYERS}
    if got["sites"] is not None:
        site_kinds(got["sites"], report=report, field=file_column(plan, "sites", "kinds"))
    geo_community, pipe_split, point_homes = cross_check(got, plan, catalogue, report)
    if geo_community is None and got.get("buildings") is not None:
        geo_community = pd.Series(UNASSIGNED, index=got["buildings"].index, dtype=object)

    declared, stated = read_tables(
        plan, catalogue, report,
        community_ids=None if got.get("communities") is None else got["communities"][
            "community_id"],
        building_ids=None if got.get("buildings") is None else got["buildings"]["building_id"])

    if not report.ok:
        raise ValidationError(report)
    return Layers(plan=plan, catalogue=catalogue,
                  **{n: got[n] for n in LAYER_NAMES + ACCESS_LAYERS},
                  geo_community=geo_community, pipe_split=pipe_split, point_homes=point_homes,
                  declared=declared, stated=stated, report=report)


def validate_plan(plan: Plan | str | Path, *, engine: Engine = "pyogrio",
                  repair: bool = False) -> Report:
    """Every problem in a plan, errors and warnings, without raising for them."""
    try:
        return load_layers(plan, engine=engine, repair=repair).report
    except ValidationError as exc:
        return exc.report
