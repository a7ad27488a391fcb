"""Selection checks shared by the tests: small candidate tables, the optimum by brute force,
feasibility of a choice and the greedy rule's total."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from gisplan.analysis.selection import greedy
from gisplan.analysis.selection_candidates import candidates


def frame(rows: list[tuple], columns=("cost_cny", "weight", "unit", "year")) -> pd.DataFrame:
    ids = [f"c{i}" for i in range(len(rows))]
    data = {c: [r[k] if k < len(r) else None for r in rows] for k, c in enumerate(columns)}
    out = pd.DataFrame({c: pd.Series(v, index=ids, dtype=float if c in ("cost_cny", "weight")
                                     else object) for c, v in data.items()}, index=ids)
    out.index.name = "community_id"
    return out


def brute_force(c: pd.DataFrame, budgets: dict[str, float]) -> tuple[float, float] | None:
    """(best total weight, most weight-years among choices of that total) by enumerating
    every year (or none) for every unit; None when the fixed years do not fit."""
    years = list(budgets)
    key = [u if isinstance(u, str) else f"own {i}" for i, u in zip(c.index, c["unit"],
                                                                   strict=True)]
    units = list(dict.fromkeys(key))
    cost = {u: c["cost_cny"][[k == u for k in key]].sum() for u in units}
    weight = {u: c["weight"][[k == u for k in key]].sum() for u in units}
    fixed = {}
    for k, y in zip(key, c["year"], strict=True):
        if isinstance(y, str):
            fixed[k] = years.index(y)
    best: tuple[float, float] | None = None
    options = [[fixed[u]] if u in fixed else [-1, *range(len(years))] for u in units]
    for choice in itertools.product(*options):
        spent = np.zeros(len(years))
        for u, y in zip(units, choice, strict=True):
            if y >= 0:
                spent[y] += cost[u]
        if (spent > np.array(list(budgets.values())) + 1e-9).any():
            continue
        total = sum(weight[u] for u, y in zip(units, choice, strict=True) if y >= 0)
        wy = sum(weight[u] * (len(years) - 1 - y) for u, y in zip(units, choice, strict=True)
                 if y >= 0)
        if best is None or (total, wy) > best:
            best = (total, wy)
    return best


def check_feasible(c: pd.DataFrame, budgets: dict[str, float], chosen: pd.DataFrame) -> None:
    spent = c["cost_cny"].groupby(chosen["year"]).sum()
    for year, value in spent.items():
        assert value <= budgets[year] + 1e-9
    zoned = chosen[c["unit"].notna()]
    assert (zoned.groupby(c["unit"][c["unit"].notna()])["year"].nunique(dropna=False) == 1).all()
    fixed = c["year"].notna()
    assert (chosen["year"][fixed] == c["year"][fixed]).all()


def greedy_weight(c: pd.DataFrame, budgets: dict[str, float]) -> float:
    return float(c["weight"][greedy(c, budgets)["year"].notna()].sum())


def mini_costs(folder) -> pd.Series:
    """Each community's cost in the mini plan (``plans.mini_layers``), computed the way
    ``gisplan select`` does, so the tests follow the catalogue's prices."""
    from plans import load_scoped, mini_layers

    loaded, scope, zones = load_scoped(folder, mini_layers())
    return candidates(loaded, scope, zones)["cost_cny"]


def mini_budgets(folder) -> dict[str, float]:
    """Budgets for the mini plan: 2021 holds community C (zone Z002) but not zone Z001
    (A and B together), 2022 holds Z001."""
    cost = mini_costs(folder)
    zone = cost["A"] + cost["B"]
    assert cost["C"] * 1.1 < zone  # the instance needs the zone to be the dearer unit
    return {"2021": round(cost["C"] * 1.1), "2022": round(zone * 1.05)}
