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

from gisplan.assign import UNASSIGNED, Assignment, assign_to_areas
from gisplan.catalogue import describe_items, load_metrics
from gisplan.costing import allocate_by_factors, funding_table, reconcile, scenario_table
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
    return pd.DataFrame(out, index=buildings.index)


def _sum_by(frame: pd.DataFrame, keys: list[str], value: str, name: str) -> pd.DataFrame:
    return frame.groupby(keys, sort=False)[value].sum().rename(name).reset_index()


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
    wide = building_quantities(b, catalogue, settings=settings)
    wide.index = pd.Index(b["building_id"].to_numpy(dtype=object), name="building_id")
    home = pd.Series(b["community_id"].to_numpy(dtype=object), index=wide.index)
    parts = [wide.groupby(home.to_numpy()).sum().rename_axis("community_id")
             .melt(ignore_index=False, var_name="item", value_name="quantity_derived")
             .reset_index()]
    pieces = assignment.pipe_pieces
    parts.append(_sum_by(pieces, ["community_id", "item"], "length_m", "quantity_derived"))
    parts.append(_sum_by(assignment.facilities, ["community_id", "item"], "quantity",
                         "quantity_derived"))
    st = assignment.structures
    standing = st[st["status"] != "demolished"]
    parts.append(pd.DataFrame({"community_id": standing["community_id"].to_numpy(dtype=object),
                               "item": "structures_area_m2",
                               "quantity_derived": standing.geometry.area.to_numpy()}))

    # The index's hash table is built once and reused by the lookups below (isin would
    # hash all building ids again).
    by_building = declared[wide.index.get_indexer(declared["target_id"]) >= 0]
    by_building = by_building.groupby(["target_id", "item"], sort=False)["quantity"].sum()
    by_building = by_building.reset_index()
    by_building["community_id"] = home.reindex(by_building["target_id"]).to_numpy()
    parts.append(by_building.rename(columns={"quantity": "declared_b"}))
    # A surveyed figure for a building replaces that building's derived figure.
    over = by_building[by_building["item"].isin(wide.columns)]
    if len(over):
        shadow = wide.to_numpy()[wide.index.get_indexer(over["target_id"]),
                                 wide.columns.get_indexer(over["item"])]
        parts.append(pd.DataFrame({"community_id": over["community_id"].to_numpy(),
                                   "item": over["item"].to_numpy(),
                                   "quantity_derived": -shadow, "derived_overridden": shadow}))
    return pd.concat(parts, ignore_index=True).reindex(
        columns=["community_id", "item", *PARTIAL_COLUMNS])


def sum_facts(facts: pd.DataFrame) -> pd.DataFrame:
    """Partial facts summed per (community, item); they can be summed again."""
    return facts.groupby(["community_id", "item"], sort=False)[PARTIAL_COLUMNS].sum().reset_index()


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
    by_community = declared.rename(columns={"target_id": "community_id", "quantity": "declared_c"})
    facts = pd.concat([partial, by_community[["community_id", "item", "declared_c"]]],
                      ignore_index=True)
    cols = ["quantity_derived", "declared_b", "declared_c", "derived_overridden"]
    facts = facts.reindex(columns=["community_id", "item", *cols])
    has_c = facts.groupby(["community_id", "item"], sort=False)["declared_c"].count() > 0
    facts = facts.groupby(["community_id", "item"], sort=False)[cols].sum().reset_index()
    # A surveyed figure for a community is that community's total for the item.
    c = has_c.to_numpy()
    facts["derived_overridden"] += np.where(c, facts["quantity_derived"], 0.0)
    facts["quantity_derived"] = np.where(c, 0.0, facts["quantity_derived"])
    facts["quantity_declared"] = np.where(c, facts["declared_c"], facts["declared_b"])
    facts["quantity"] = facts["quantity_derived"] + facts["quantity_declared"]
    return facts[["community_id", "item", "quantity", "quantity_derived", "quantity_declared",
                  "derived_overridden"]]


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


def roll_up(facts: pd.DataFrame, communities: pd.DataFrame, *, city_name: str,
            zones: pd.Series | None = None) -> pd.DataFrame:
    """Sum community facts to streets, zones and the city.

    Parameters
    ----------
    facts : DataFrame
        Output of :func:`community_quantities`.
    communities : DataFrame
        ``community_id``, ``name``, ``street``.
    city_name : str, keyword-only
        Name of the city-level area (the plan's name).
    zones : Series, optional, keyword-only
        ``zone_id`` by ``community_id``; adds the ``zone`` level.
    """
    value_cols = ["quantity", "quantity_derived", "quantity_declared", "derived_overridden"]
    com = communities[["community_id", "name", "street"]].assign(zone=_zone_of(communities, zones))
    ones = pd.DataFrame({"community_id": com["community_id"], "item": "communities",
                         "quantity": 1.0, "quantity_derived": 1.0, "quantity_declared": 0.0,
                         "derived_overridden": 0.0})
    f = pd.concat([ones, facts], ignore_index=True).merge(com, on="community_id", how="left")
    inside = f["community_id"] != UNASSIGNED
    frames = [
        f[inside].assign(level="community", area_id=f["community_id"], area_name=f["name"]),
        f[~inside].assign(level="unassigned", area_id=UNASSIGNED, area_name="未归属"),
    ]
    for level, key in (("street", "street"), ("zone", "zone")):
        sub = f[inside & f[key].notna()]
        if len(sub):
            g = sub.groupby([key, "item"], sort=False)[value_cols].sum().reset_index()
            frames.append(g.assign(level=level, area_id=g[key], area_name=g[key]))
    g = f.groupby("item", sort=False)[value_cols].sum().reset_index()
    frames.append(g.assign(level="city", area_id="city", area_name=city_name))
    out = pd.concat(frames, ignore_index=True)[["level", "area_id", "area_name", "item",
                                                *value_cols]]
    keep = (out[value_cols].abs().sum(axis=1) > 0) | out["item"].isin(load_metrics().index)
    keep &= (out["level"] != "unassigned") | (out["quantity"] != 0)
    return out[keep]


def _order(table: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    """Rows by level, area id, then item in catalogue order (metrics first; other codes,
    such as pipe sizes the catalogue lacks, after it in text order)."""
    known = pd.Index(list(load_metrics().index) + list(catalogue.index))
    rank = known.get_indexer(table["item"])
    # Sorting the few distinct texts, then integer keys, is much faster than sorting rows.
    items = pd.factorize(table["item"], sort=True)[0]
    areas = pd.factorize(table["area_id"], sort=True)[0]
    levels = pd.Categorical(table["level"], categories=LEVELS).codes
    rank = np.where(rank < 0, len(known), rank)
    return table.iloc[np.lexsort((items, rank, areas, levels))]


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
    table = roll_up(facts, layers.communities, city_name=layers.plan.name, zones=zones)
    # Order the slim table first; item texts repeat, so they join as categories (cheap to
    # take and concatenate; written to CSV and Excel as the same text).
    table = _order(table, layers.catalogue).reset_index(drop=True)
    items = describe_items(table["item"].unique(), layers.catalogue)
    texts = [c for c in items.columns if c != "unit_price_cny"]
    table = table.join(items.astype(dict.fromkeys(texts, "category")), on="item")
    declared = (table["quantity_declared"] != 0).to_numpy()
    mixed = declared & (table["quantity_derived"] != 0).to_numpy()
    table["source"] = pd.Categorical.from_codes(
        np.where(mixed, 2, np.where(declared, 1, 0)),
        categories=["derived", "declared", "derived+declared"])
    table["cost_cny"] = table["quantity"] * table["unit_price_cny"]
    table = table[TABLE_COLUMNS]
    if zones is not None:
        is_com = table["level"] == "community"
        table["zone_id"] = table["area_id"].where(table["level"] == "zone").fillna(
            table["area_id"].where(is_com).map(zones))
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
