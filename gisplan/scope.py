"""Per-area scope: what is to be done where, and how much.

:func:`compute_scope` assigns features to communities, derives quantities
from geometry, lets surveyed (declared) quantities stand over derived ones,
rolls everything up community -> street -> zone -> city, and prices it.

The long table has one row per (area, item). For every item, the
communities plus the ``unassigned`` area add up to the city; streets plus
``unassigned`` do too, and so do zones when every community is in a zone.

Examples
--------
>>> from gisplan.layers import load_layers
>>> from gisplan.scope import compute_scope
>>> scope = compute_scope(load_layers("layers/hunchun2020"))      # doctest: +SKIP
>>> city = scope.table.query("level == 'city'").set_index("item")  # doctest: +SKIP
>>> city.loc["households", "quantity"]                             # doctest: +SKIP
5054.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from gisplan.assign import UNASSIGNED, Assignment, assign_to_areas
from gisplan.catalogue import describe_items, load_metrics
from gisplan.costing import allocate_by_factors, funding_table, reconcile, scenario_table
from gisplan.grouping import as_frame, sum_by, sum_in_groups
from gisplan.layers import Layers
from gisplan.plan import ScopeSettings

LEVELS = ("community", "unassigned", "street", "zone", "city")
BUILDING_KINDS = ("roof_area:flat", "roof_area:pitched", "facade_area", "units")
TABLE_COLUMNS = ["level", "area_id", "item", "unit", "quantity", "name_zh", "source",
                 "cost_cny", "area_name", "unit_price_cny", "quantity_derived",
                 "quantity_declared", "derived_overridden", "tier", "funding", "group",
                 "name_en"]


@dataclass(frozen=True)
class Scope:
    """Everything :func:`compute_scope` computes.

    Attributes
    ----------
    table : DataFrame
        Long table, one row per (area, item); see ``TABLE_COLUMNS``.
    reconciliation : DataFrame or None
        Stated vs computed city totals, when the plan states totals.
    funding : DataFrame
        Cost per area and funding source.
    scenarios : DataFrame
        Cost of basic-tier items alone and of both tiers, per area.
    allocation : DataFrame
        The factor-method share of a central allocation per community.
    assignment : Assignment
        Features with their communities, for maps and exports.
    """

    table: pd.DataFrame
    reconciliation: pd.DataFrame | None
    funding: pd.DataFrame
    scenarios: pd.DataFrame
    allocation: pd.DataFrame
    assignment: Assignment


def building_quantities(buildings: pd.DataFrame, catalogue: pd.DataFrame, *,
                        settings: ScopeSettings) -> pd.DataFrame:
    """Headline metrics and geometry-derived items per building (wide, float).

    Roof area is the footprint for flat roofs and the footprint times
    ``pitched_roof_factor`` for pitched ones; façade area is perimeter x
    floors x ``storey_height_m``; unit doors and door plates are ``units``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from gisplan.catalogue import load_catalogue
    >>> from gisplan.plan import ScopeSettings
    >>> b = gpd.GeoDataFrame({"floors": [5], "households": [30], "units": [3],
    ...                       "roof": ["flat"]}, geometry=[shapely.box(0, 0, 60, 12)])
    >>> q = building_quantities(b, load_catalogue(), settings=ScopeSettings())
    >>> q.loc[0, ["floor_area_m2", "roof_flat_waterproof", "facade_paint", "unit_door"]].tolist()
    [3600.0, 720.0, 2088.0, 3.0]
    """
    return pd.DataFrame(_building_columns(buildings, catalogue, settings=settings),
                        index=buildings.index)


def _building_columns(buildings: pd.DataFrame, catalogue: pd.DataFrame, *,
                      settings: ScopeSettings) -> dict[str, NDArray]:
    """The columns of :func:`building_quantities`, as arrays."""
    area = buildings.geometry.area.to_numpy()
    floors = buildings["floors"].to_numpy(dtype=float)
    units = buildings["units"].to_numpy(dtype=float)
    roof = buildings["roof"].to_numpy(dtype=object)
    kinds = {
        "roof_area:flat": np.where(roof == "flat", area, 0.0),
        "roof_area:pitched": np.where(roof == "pitched", area * settings.pitched_roof_factor, 0.0),
        "facade_area": buildings.geometry.length.to_numpy() * floors * settings.storey_height_m,
        "units": units,
    }
    registered = (pd.to_numeric(buildings["floor_area_m2"]).to_numpy(dtype=float)
                  if "floor_area_m2" in buildings else np.full(len(buildings), np.nan))
    out = {
        "buildings": np.ones(len(buildings)),
        "households": buildings["households"].to_numpy(dtype=float),
        "floor_area_m2": np.where(np.isnan(registered), area * floors, registered),
        "footprint_area_m2": area,
        "units": units,
    }
    derived = catalogue[catalogue["derived_from"].isin(BUILDING_KINDS)]
    for code, kind in derived["derived_from"].items():
        out[code] = kinds[kind]
    return out


def _facts(community_id: ArrayLike, item: ArrayLike, **values: ArrayLike) -> dict[str, NDArray]:
    """One block of partial facts as equal-length arrays (absent columns are NaN)."""
    community_id = np.asarray(community_id, dtype=object)
    n = len(community_id)
    out = {"community_id": community_id,
           "item": np.broadcast_to(np.asarray(item, dtype=object), (n,))}
    for col in PARTIAL_COLUMNS:
        out[col] = np.asarray(values[col], dtype=float) if col in values else np.full(n, np.nan)
    return out


def _summed(frame: pd.DataFrame, value: str) -> dict[str, NDArray]:
    """``value`` summed per (community_id, item) of ``frame``, as derived facts."""
    first, sums = sum_by([frame["community_id"], frame["item"]], {"v": frame[value]})
    return _facts(frame["community_id"].to_numpy(dtype=object)[first],
                  frame["item"].to_numpy(dtype=object)[first], quantity_derived=sums["v"])


#: The additive columns of :func:`partial_facts` (summable over any split of the features).
PARTIAL_COLUMNS = ["quantity_derived", "declared_b", "derived_overridden"]


def partial_facts(assignment: Assignment, catalogue: pd.DataFrame, *, settings: ScopeSettings,
                  declared: pd.DataFrame) -> pd.DataFrame:
    """Additive facts per (community, item) of some of the features, before community overrides.

    Every fact is a sum over features, so the facts of any split of the
    buildings, pipe pieces, facilities and structures (each assigned against
    *all* communities) can be concatenated and summed: that is how the dask
    engine (:mod:`gisplan.distributed`) runs this per partition. A surveyed
    figure for a building replaces that building's derived figure here, as the
    building is in the same subset as its declared rows.

    Parameters
    ----------
    assignment : Assignment
        Features (all or a subset) with their communities.
    catalogue : DataFrame
    settings : ScopeSettings, keyword-only
    declared : DataFrame, keyword-only
        Declared quantities (``target_id``, ``item``, ``quantity``) for
        buildings; rows whose building is not among ``assignment.buildings``
        are ignored.

    Returns
    -------
    DataFrame
        ``community_id``, ``item`` and ``PARTIAL_COLUMNS``, one row per fact
        (not yet summed; missing values count as 0). See :func:`sum_facts`.
    """
    b = assignment.buildings
    columns = _building_columns(b, catalogue, settings=settings)
    # Per community, sorted by id: one bincount per column, item after item.
    code, coms = pd.factorize(b["community_id"], sort=True)
    coms = np.asarray(coms, dtype=object)  # each has buildings: factorize saw it
    sums = sum_in_groups(code, columns)
    parts = [_facts(np.tile(coms, len(columns)),
                    np.repeat(np.array(list(columns), dtype=object), len(coms)),
                    quantity_derived=np.concatenate(list(sums.values())) if sums else [])]
    parts.append(_summed(assignment.pipe_pieces, "length_m"))
    parts.append(_summed(assignment.facilities, "quantity"))
    st = assignment.structures
    standing = st[st["status"] != "demolished"]
    parts.append(_facts(standing["community_id"], "structures_area_m2",
                        quantity_derived=standing.geometry.area.to_numpy()))
    if len(declared):
        home = b["community_id"].to_numpy(dtype=object)
        parts += _declared_for_buildings(b, columns, home, declared)
    return as_frame({col: np.concatenate([part[col] for part in parts])
                         for col in ["community_id", "item", *PARTIAL_COLUMNS]})


def _declared_for_buildings(buildings: pd.DataFrame, columns: dict[str, NDArray],
                            home: NDArray, declared: pd.DataFrame) -> list[dict[str, NDArray]]:
    """Surveyed building figures, and the derived figures they replace (negated)."""
    index = pd.Index(buildings["building_id"].to_numpy(dtype=object))
    # The index's hash table is built once and reused by the lookups below.
    mine = declared[index.get_indexer(declared["target_id"]) >= 0]
    first, sums = sum_by([mine["target_id"], mine["item"]], {"q": mine["quantity"]})
    target = mine["target_id"].to_numpy(dtype=object)[first]
    item = mine["item"].to_numpy(dtype=object)[first]
    where = index.get_indexer(target)
    parts = [_facts(home[where], item, declared_b=sums["q"])]
    # A surveyed figure for a building replaces that building's derived figure.
    shadow = np.full(len(item), np.nan)
    for code in set(item) & set(columns):
        hit = item == code
        shadow[hit] = columns[code][where[hit]]
    over = ~np.isnan(shadow)
    if over.any():
        parts.append(_facts(home[where[over]], item[over], quantity_derived=-shadow[over],
                            derived_overridden=shadow[over]))
    return parts


def sum_facts(facts: pd.DataFrame) -> pd.DataFrame:
    """Partial facts summed per (community, item); they can be summed again."""
    first, sums = sum_by([facts["community_id"], facts["item"]],
                         {col: facts[col] for col in PARTIAL_COLUMNS})
    return as_frame({"community_id": facts["community_id"].to_numpy(dtype=object)[first],
                         "item": facts["item"].to_numpy(dtype=object)[first], **sums})


def finish_facts(partial: pd.DataFrame, declared: pd.DataFrame) -> pd.DataFrame:
    """Community facts from the partial facts of all features and the community-level surveys.

    Parameters
    ----------
    partial : DataFrame
        Concatenated :func:`partial_facts` (or :func:`sum_facts`) of every feature.
    declared : DataFrame
        Declared quantities for communities (``target_id`` is a ``community_id``).

    Returns
    -------
    DataFrame
        As :func:`community_quantities`.
    """
    cid = np.concatenate([partial["community_id"].to_numpy(dtype=object),
                          declared["target_id"].to_numpy(dtype=object)])
    item = np.concatenate([partial["item"].to_numpy(dtype=object),
                           declared["item"].to_numpy(dtype=object)])
    n_p, n_c = len(partial), len(declared)
    values = {col: np.concatenate([partial[col].to_numpy(dtype=float), np.zeros(n_c)])
              for col in PARTIAL_COLUMNS}
    values["declared_c"] = np.concatenate([np.zeros(n_p),
                                           declared["quantity"].to_numpy(dtype=float)])
    values["has_c"] = np.concatenate([np.zeros(n_p), declared["quantity"].notna().to_numpy()])
    first, sums = sum_by([cid, item], values)
    # A surveyed figure for a community is that community's total for the item.
    c = sums["has_c"] > 0
    derived = np.where(c, 0.0, sums["quantity_derived"])
    declared_q = np.where(c, sums["declared_c"], sums["declared_b"])
    return as_frame({
        "community_id": cid[first], "item": item[first],
        "quantity": derived + declared_q, "quantity_derived": derived,
        "quantity_declared": declared_q,
        "derived_overridden": sums["derived_overridden"]
        + np.where(c, sums["quantity_derived"], 0.0),
    })


def community_quantities(layers: Layers, assignment: Assignment) -> pd.DataFrame:
    """Quantities per (community, item), declared figures standing over derived ones.

    The additive part is :func:`partial_facts`, the community-level surveys
    are applied by :func:`finish_facts`.

    Returns
    -------
    DataFrame
        ``community_id`` (or ``unassigned``), ``item``, ``quantity_derived``,
        ``quantity_declared``, ``derived_overridden`` (the derived figure a
        declared one replaced) and ``quantity`` (derived + declared).
    """
    decl = layers.declared
    partial = partial_facts(assignment, layers.catalogue, settings=layers.plan.scope,
                            declared=decl[decl["target_kind"] == "building"])
    return finish_facts(partial, decl[decl["target_kind"] == "community"])


def _zone_of(communities: pd.DataFrame, zones: pd.Series | None) -> pd.Series:
    if zones is None:
        return pd.Series(None, index=communities.index, dtype=object)
    return communities["community_id"].map(zones).astype(object)


def _places(order: NDArray) -> NDArray[np.int64]:
    """Each element's place in ``order`` (a permutation, e.g. from ``argsort``)."""
    place = np.empty(len(order), dtype=np.int64)
    place[order] = np.arange(len(order))
    return place


def _text_rank(texts: NDArray) -> NDArray[np.int64]:
    """Each text's place in text order (the texts are distinct)."""
    return _places(np.argsort(texts, kind="stable"))


def _item_rank(items: NDArray, catalogue: pd.DataFrame) -> NDArray[np.int64]:
    """Place of each item code in catalogue order: metrics first, then the catalogue, then
    other codes (pipe sizes the catalogue lacks) in text order."""
    known = pd.Index(list(load_metrics().index) + list(catalogue.index))
    rank = known.get_indexer(items)
    return _places(np.lexsort((_text_rank(items), np.where(rank < 0, len(known), rank))))


def roll_up(facts: pd.DataFrame, communities: pd.DataFrame, *, city_name: str,
            catalogue: pd.DataFrame, zones: pd.Series | None = None) -> pd.DataFrame:
    """Sum community facts to streets, zones and the city.

    Parameters
    ----------
    facts : DataFrame
        Output of :func:`community_quantities`.
    communities : DataFrame
        ``community_id``, ``name``, ``street``.
    city_name : str, keyword-only
        Name of the city-level area (the plan's name).
    catalogue : DataFrame, keyword-only
        Orders the items of each area.
    zones : Series, optional, keyword-only
        ``zone_id`` by ``community_id``; adds the ``zone`` level and a ``zone_id`` column.

    Returns
    -------
    DataFrame
        ``level``, ``area_id``, ``area_name``, ``item`` and the quantities, ordered by
        level (``LEVELS``), area id, then item in catalogue order.
    """
    value_cols = ["quantity", "quantity_derived", "quantity_declared", "derived_overridden"]
    ids = communities["community_id"].to_numpy(dtype=object)
    n = len(ids)
    # One "communities" row per community, then the facts; community and item as codes
    # once, so every level below groups and sorts integers, not texts.
    cid = np.concatenate([ids, facts["community_id"].to_numpy(dtype=object)])
    item_code, items = pd.factorize(np.concatenate(
        [np.full(n, "communities", dtype=object), facts["item"].to_numpy(dtype=object)]))
    items = np.asarray(items, dtype=object)
    values = {c: np.concatenate([np.full(n, 1.0 if c in ("quantity", "quantity_derived")
                                         else 0.0), facts[c].to_numpy(dtype=float)])
              for c in value_cols}
    pos = pd.Index(ids).get_indexer(cid)
    inside = cid != UNASSIGNED
    zone_of = _zone_of(communities, zones).to_numpy(dtype=object)
    # level, area ids, names, area rank (text order within the level), item codes, values,
    # zone ids
    rest = ~inside
    parts = [
        (0, cid[inside], np.append(communities["name"].to_numpy(dtype=object), None)[pos][inside],
         np.append(_text_rank(ids), n)[pos][inside], item_code[inside],
         {c: v[inside] for c, v in values.items()}, np.append(zone_of, None)[pos][inside]),
        (1, np.full(rest.sum(), UNASSIGNED, dtype=object),
         np.full(rest.sum(), "未归属", dtype=object), np.zeros(rest.sum(), dtype=np.int64),
         item_code[rest], {c: v[rest] for c, v in values.items()},
         np.full(rest.sum(), None, dtype=object)),
    ]
    for level, per_community in ((2, communities["street"]), (3, pd.Series(zone_of))):
        code, labels = pd.factorize(per_community)
        labels = np.asarray(labels, dtype=object)
        area = np.where(inside & (pos >= 0), np.append(code, -1)[pos], -1)
        first, sums = sum_by([area, item_code], values)
        label = labels[area[first]]
        parts.append((level, label, label, _text_rank(labels)[area[first]], item_code[first],
                      sums, label if level == 3 else np.full(len(first), None, dtype=object)))
    first, sums = sum_by([item_code], values)
    k = len(first)
    parts.append((4, np.full(k, "city", dtype=object), np.full(k, city_name, dtype=object),
                  np.zeros(k, dtype=np.int64), item_code[first], sums,
                  np.full(k, None, dtype=object)))

    def stacked(i: int) -> NDArray:
        return np.concatenate([p[i] for p in parts])

    level = np.repeat(np.array([p[0] for p in parts]), [len(p[1]) for p in parts])
    code = stacked(4)
    quantities = {c: np.concatenate([p[5][c] for p in parts]) for c in value_cols}
    metric = pd.Index(items).isin(load_metrics().index)[code]
    keep = (np.abs(np.column_stack(list(quantities.values()))).sum(axis=1) > 0) | metric
    keep &= (level != 1) | (quantities["quantity"] != 0)
    order = np.flatnonzero(keep)
    order = order[np.lexsort((_item_rank(items, catalogue)[code[order]],
                              stacked(3)[order], level[order]))]
    out = {"level": np.array(LEVELS, dtype=object)[level[order]],
           "area_id": stacked(1)[order], "area_name": stacked(2)[order],
           "item": items[code[order]], **{c: v[order] for c, v in quantities.items()}}
    if zones is not None:
        out["zone_id"] = stacked(6)[order]
    return as_frame(out)


def compute_scope(layers: Layers, *, zones: pd.Series | None = None) -> Scope:
    """Quantities, costs and funding per community, street, zone and city.

    Parameters
    ----------
    layers : Layers
        Validated layers.
    zones : Series, optional, keyword-only
        ``zone_id`` indexed by ``community_id`` (from :mod:`gisplan.zones`).

    Returns
    -------
    Scope
    """
    assignment = assign_to_areas(layers)
    facts = community_quantities(layers, assignment)
    return scope_from_facts(facts, layers, zones=zones, assignment=assignment)


def scope_from_facts(facts: pd.DataFrame, layers: Layers, *, zones: pd.Series | None = None,
                     assignment: Assignment) -> Scope:
    """Roll-up, pricing, funding and reconciliation of finished community facts.

    Reads only the plan, catalogue, communities and stated table of ``layers``
    (feature layers may be empty, as in the dask engine).
    """
    table = roll_up(facts, layers.communities, city_name=layers.plan.name,
                    catalogue=layers.catalogue, zones=zones)
    # Item texts repeat, so they join as categories (cheap to take and concatenate;
    # written to CSV and Excel as the same text).
    items = describe_items(table["item"].unique(), layers.catalogue)
    texts = [c for c in items.columns if c != "unit_price_cny"]
    table = table.join(items.astype(dict.fromkeys(texts, "category")), on="item")
    declared = (table["quantity_declared"] != 0).to_numpy()
    mixed = declared & (table["quantity_derived"] != 0).to_numpy()
    table["source"] = pd.Categorical.from_codes(
        np.where(mixed, 2, np.where(declared, 1, 0)),
        categories=["derived", "declared", "derived+declared"])
    table["cost_cny"] = table["quantity"] * table["unit_price_cny"]
    # Finished: the texts become strings, as pandas reads and compares them.
    table = table[TABLE_COLUMNS + (["zone_id"] if zones is not None else [])].astype(
        {"level": str, "item": str})
    reconciliation = None
    if layers.stated is not None:
        reconciliation = reconcile(table, layers.stated, layers.catalogue)
    return Scope(
        table=table,
        reconciliation=reconciliation,
        funding=funding_table(table),
        scenarios=scenario_table(table),
        allocation=allocate_by_factors(table, weights=layers.plan.scope.factor_weights,
                                       total_cny=layers.plan.scope.central_allocation_cny),
        assignment=assignment,
    )
