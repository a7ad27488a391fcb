"""Cost, funding, scenarios, reconciliation and the factor method.

Every function takes the long scope table (see :mod:`gisplan.analysis.scope`) and
returns a new DataFrame.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from gisplan.inputs.grouping import group_of, sum_by, sum_in_groups
from gisplan.plan.catalogue import load_funding_sources

AREA_KEYS = ["level", "area_id", "area_name"]


def funding_table(table: pd.DataFrame) -> pd.DataFrame:
    """Cost per area and funding source, with each source's share of the area's cost.

    Follows the catalogue's ``funding`` column (the seed's 资金使用 rules).
    """
    # Take the few columns needed before filtering: the table has 18.
    priced = table[[*AREA_KEYS, "funding", "cost_cny"]]
    priced = priced[priced["cost_cny"].notna() & priced["funding"].notna()]
    first, sums = sum_by([priced["level"], priced["area_id"], priced["funding"]],
                         {"cost_cny": priced["cost_cny"]})
    out = priced.iloc[first][[*AREA_KEYS, "funding"]].reset_index(drop=True)
    out["cost_cny"] = sums["cost_cny"]
    names = load_funding_sources()["name_zh"]
    out.insert(4, "funding_name_zh", out["funding"].map(names))
    total = out.groupby(["level", "area_id"], sort=False)["cost_cny"].transform("sum")
    out["share"] = np.where(total > 0, out["cost_cny"] / total.where(total > 0, 1), 0.0)
    return out


def scenario_table(table: pd.DataFrame) -> pd.DataFrame:
    """Basic (基本型) renovation alone and basic + upgrade (提升型), per area.

    Returns
    -------
    DataFrame
        ``cost_basic_cny``, ``cost_upgrade_cny``, ``cost_basic_and_upgrade_cny`` and
        the number of items of each tier, per area.
    """
    priced = table[[*AREA_KEYS, "tier", "quantity", "cost_cny"]]
    priced = priced[priced["tier"].isin(["basic", "upgrade"]) & (priced["quantity"] != 0)]
    area, first = group_of([priced["level"], priced["area_id"]])
    upgrade = (priced["tier"] == "upgrade").to_numpy()
    cell = area * 2 + upgrade  # (area, tier) as one integer
    size = 2 * len(first)
    count = np.bincount(cell, minlength=size)
    cost = np.zeros(size)
    # The sums come in cell order, one per cell that has rows.
    cost[np.flatnonzero(count)] = sum_in_groups(cell, {"cost": priced["cost_cny"]})["cost"]
    cost, count = cost.reshape(-1, 2), count.reshape(-1, 2)
    out = priced.iloc[first][AREA_KEYS].reset_index(drop=True)
    out["cost_basic_cny"] = cost[:, 0]
    out["cost_upgrade_cny"] = cost[:, 1]
    out["cost_basic_and_upgrade_cny"] = cost[:, 0] + cost[:, 1]
    out["items_basic"] = count[:, 0]
    out["items_upgrade"] = count[:, 1]
    return out


def allocate_by_factors(table: pd.DataFrame, *, weights: Mapping[str, float],
                        total_cny: float) -> pd.DataFrame:
    """Share a central allocation among communities by the seed's factor method (因素法).

    Each community's share is the weighted sum of its shares of floor area,
    households, buildings and community count: ``sum_f w_f * x_cf / sum_c x_cf``,
    divided by the sum of weights. Shares add up to 1.

    Examples
    --------
    >>> t = pd.DataFrame({"level": "community", "area_id": ["a", "a", "b", "b"],
    ...                   "area_name": ["A", "A", "B", "B"],
    ...                   "item": ["households", "communities"] * 2,
    ...                   "quantity": [30.0, 1.0, 10.0, 1.0]})
    >>> r = allocate_by_factors(t, weights={"households": 1, "communities": 1}, total_cny=100)
    >>> r["allocation_cny"].tolist()
    [62.5, 37.5]
    """
    factors = [f for f, w in weights.items() if w > 0]
    com = table[["level", "area_id", "area_name", "item", "quantity"]]
    com = com[(com["level"] == "community") & com["item"].isin(factors)]
    x = com.groupby(["area_id", "area_name", "item"], sort=False)["quantity"].sum().unstack(
        "item")
    x = x.reindex(columns=factors).fillna(0.0)
    w = pd.Series({f: float(weights[f]) for f in factors})
    col_total = x.sum()
    parts = x.div(col_total.where(col_total > 0, 1.0)).mul(w)
    share = parts.sum(axis=1) / w.sum() if w.sum() > 0 else parts.sum(axis=1) * 0
    out = x.add_prefix("factor_").reset_index()
    out["share"] = share.to_numpy()
    out["allocation_cny"] = out["share"] * float(total_cny)
    return out


def reconcile(table: pd.DataFrame, stated: pd.DataFrame, catalogue: pd.DataFrame, *,
              obtained: pd.Series | None = None) -> pd.DataFrame:
    """Stated plan totals against computed city totals, item by item.

    ``derived_geometry`` is what geometry alone gives for the item (before
    surveyed figures replaced it), so a reviewer sees both. ``obtained`` (by
    item, see :mod:`gisplan.analysis.provenance`) says how each computed figure
    came about.
    """
    city = table[table["level"] == "city"].set_index("item")
    st = stated.groupby("item", sort=False)["quantity"].sum()
    items = list(st.index) + [i for i in city.index if i not in st.index]
    out = pd.DataFrame({"item": items})
    # texts as objects: the city's are categories that lack the catalogue's other items
    out["name_zh"] = out["item"].map(city["name_zh"].astype(object)).fillna(
        out["item"].map(catalogue["name_zh"].astype(object)))
    out["unit"] = out["item"].map(city["unit"].astype(object)).fillna(
        out["item"].map(catalogue["unit"].astype(object)))
    out["stated"] = out["item"].map(st)
    out["computed"] = out["item"].map(city["quantity"]).fillna(0.0)
    out["difference"] = out["computed"] - out["stated"]
    out["relative_difference"] = out["difference"] / out["stated"].where(out["stated"] != 0)
    geo = city["quantity_derived"] + city["derived_overridden"]
    out["derived_geometry"] = out["item"].map(geo.where(geo != 0))
    out["source"] = out["item"].map(city["source"].astype(object))
    if obtained is not None:
        out["obtained"] = out["item"].map(obtained)
    if "source_text" in stated:
        out["source_text"] = out["item"].map(
            stated.drop_duplicates("item").set_index("item")["source_text"])
    return out
