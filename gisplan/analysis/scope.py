"""Per-area scope: what is to be done where, and how much.

:func:`compute_scope` assigns features to communities, derives quantities
from geometry, lets surveyed (declared) quantities stand over derived ones,
rolls everything up community -> street -> zone -> city, and prices it.

The long table has one row per (area, item). For every item, the
communities plus the ``unassigned`` area add up to the city; streets plus
``unassigned`` do too, and so do zones when every community is in a zone.

Examples
--------
>>> from gisplan.inputs.validation import load_layers
>>> from gisplan.analysis.scope import compute_scope
>>> scope = compute_scope(load_layers("layers/hunchun2020"))
>>> city = scope.table.query("level == 'city'").set_index("item")
>>> float(city.loc["households", "quantity"])
5054.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gisplan.analysis.costing import allocate_by_factors, funding_table, reconcile, scenario_table
from gisplan.analysis.provenance import feature_kinds, obtained_by
from gisplan.analysis.quantities import community_quantities
from gisplan.inputs.assign import UNASSIGNED, Assignment, assign_to_areas
from gisplan.inputs.grouping import as_frame, sum_by, text_column
from gisplan.inputs.validation import Layers
from gisplan.plan.catalogue import describe_items, load_metrics

__all__ = ["LEVELS", "TABLE_COLUMNS", "Scope", "compute_scope",
           "level_figures", "roll_up", "scope_from_facts"]

LEVELS = ("community", "unassigned", "street", "zone", "city")
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
    out = {"level": text_column(level[order], LEVELS),
           "area_id": stacked(1)[order], "area_name": stacked(2)[order],
           "item": text_column(code[order], items), **{c: v[order] for c, v in quantities.items()}}
    if zones is not None:
        out["zone_id"] = stacked(6)[order]
    return as_frame(out)


def level_figures(table: pd.DataFrame, level: str, items: Sequence[str]) -> pd.DataFrame:
    """Per area of one level of a scope table: the quantity of each of ``items`` (0 where
    the area has none) and its total ``cost_cny``.

    Examples
    --------
    >>> t = pd.DataFrame({"level": "street", "area_id": ["S1", "S1", "S2"],
    ...                   "item": ["households", "roof", "households"],
    ...                   "quantity": [30.0, 5.0, 10.0], "cost_cny": [0.0, 500.0, 0.0]})
    >>> level_figures(t, "street", ["households", "buildings"]).to_dict("index")
    {'S1': {'households': 30.0, 'buildings': 0.0, 'cost_cny': 500.0}, \
'S2': {'households': 10.0, 'buildings': 0.0, 'cost_cny': 0.0}}
    """
    t = table[table["level"] == level]
    areas = pd.Index(t["area_id"].unique(), name="area_id")
    wide = t[t["item"].isin(items)].pivot_table(index="area_id", columns="item",
                                                values="quantity", aggfunc="sum")
    wide = wide.reindex(index=areas, columns=list(items)).fillna(0.0)
    wide.columns.name = None
    wide["cost_cny"] = t.groupby("area_id", sort=False)["cost_cny"].sum()
    return wide


def compute_scope(layers: Layers, *, zones: pd.Series | None = None) -> Scope:
    """Quantities, costs and funding per community, street, zone and city.

    Parameters
    ----------
    layers : Layers
        Validated layers.
    zones : Series, optional, keyword-only
        ``zone_id`` indexed by ``community_id`` (from :mod:`gisplan.analysis.zones`).

    Returns
    -------
    Scope
    """
    assignment = assign_to_areas(layers)
    facts = community_quantities(layers, assignment)
    return scope_from_facts(facts, layers, zones=zones, assignment=assignment)


def scope_from_facts(facts: pd.DataFrame, layers: Layers, *, zones: pd.Series | None = None,
                     assignment: Assignment, kinds: pd.DataFrame | None = None) -> Scope:
    """Roll-up, pricing, funding and reconciliation of finished community facts.

    Reads only the plan, catalogue, communities and stated table of ``layers``
    (feature layers may be empty, as in the dask engine, which then gives the
    summed :func:`~gisplan.analysis.provenance.feature_kinds` as ``kinds``).
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
    table = table[TABLE_COLUMNS + (["zone_id"] if zones is not None else [])]
    reconciliation = None
    if layers.stated is not None:
        kinds = feature_kinds(layers, assignment) if kinds is None else kinds
        reconciliation = reconcile(table, layers.stated, layers.catalogue, obtained=obtained_by(
            table, layers.catalogue, kinds)["obtained"])
    return Scope(
        table=table,
        reconciliation=reconciliation,
        funding=funding_table(table),
        scenarios=scenario_table(table),
        allocation=allocate_by_factors(table, weights=layers.plan.scope.factor_weights,
                                       total_cny=layers.plan.scope.central_allocation_cny),
        assignment=assignment,
    )
