"""The mixed-integer program behind :mod:`gisplan.analysis.selection`.

Candidates are grouped into units (:func:`units`); a unit fixed to a year is
placed and its cost taken from that year's budget; the other units get one
binary ``x[u, y]`` per year whose budget left can hold them.

Before HiGHS runs, the program is reduced exactly. Summing the yearly budgets
gives a one-row knapsack whose linear relaxation (Dantzig's bound) ``U`` bounds
every choice; with ``λ`` its critical weight per yuan, a choice that leaves out
a unit of ``r = w - λ·cost > 0``, or takes one of ``r < 0``, weighs at most
``U - |r|`` (Lagrangian bound). The hand rule's choice (:func:`greedy_years`) is
feasible, of weight ``L``; every unit with ``U - |r| < L`` is therefore in
(or out of) *every* optimal choice, and is fixed so. Optimal choices are all
kept, so the tie-break among them is unchanged. ``U`` is also the bound reported
when HiGHS stops before it has one, and ``L``'s choice is kept when HiGHS finds
nothing better within the time limit.

Examples
--------
>>> u = units(pd.DataFrame({"cost_cny": [6.0, 5, 5], "weight": [7.0, 5, 5]},
...                        index=["A", "B", "C"]), {"2021": 10.0})
>>> greedy_years(u).tolist()
[0, -1, -1]
>>> r = reduce(u, greedy_years(u))  # A whole and 4/5 of B: 7 + 4
>>> float(r.bound), r.free.tolist()
(11.0, [True, True, True])
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, linear_sum_assignment, milp

from gisplan.errors import ValidationError
from gisplan.inputs.problems import Report
from gisplan.inputs.schema import as_text

#: Relative gap at which HiGHS stops: below one unit of weight for any whole total < 10^9.
MIP_REL_GAP = 1e-9


#: Each year's pick while packing needs to be feasible, not the heaviest: HiGHS stops
#: within this relative gap (presolve off: HiGHS's presolve of one long knapsack row takes
#: time that grows with the square of its length).
PACK_GAP = 1e-3


@dataclass(frozen=True)
class Units:
    """Candidates grouped into units, and the free pairs ``(unit, year)`` of the program."""

    code: np.ndarray  # unit of each candidate
    key: np.ndarray  # "zone Z001" or "community C1", by unit
    cost: np.ndarray
    weight: np.ndarray
    fixed: np.ndarray  # year position by unit, -1 when free
    left: np.ndarray  # budget left per year after the fixed units
    pu: np.ndarray  # unit of each variable
    py: np.ndarray  # year position of each variable


@dataclass(frozen=True)
class Reduction:
    """What the reduction proved: ``bound`` on the free units' weight, and per unit
    whether it is still ``free`` or forced ``into`` every optimal choice."""

    bound: float
    free: np.ndarray
    into: np.ndarray


def units(candidates: pd.DataFrame, budgets: Mapping[str, float], *,
          layer: str = "communities", field: str = "year") -> Units:
    """Group candidates by ``unit`` (missing: alone), place fixed years, list free pairs.

    Raises
    ------
    ValidationError
        A fixed year without a budget, a unit fixed to two years, fixed years over budget.
    """
    ids = candidates.index.astype(str).to_numpy(dtype=object)
    zone = (as_text(candidates["unit"], blank_is_missing=True).to_numpy(dtype=object)
            if "unit" in candidates else np.full(len(ids), None, dtype=object))
    label = np.where(pd.isna(zone), "community " + ids, "zone " + zone.astype(str))
    code, key = pd.factorize(label, sort=True)
    key = np.asarray(key, dtype=object)
    n = len(key)
    cost = np.bincount(code, candidates["cost_cny"].to_numpy(float), minlength=n)
    weight = np.bincount(code, candidates["weight"].to_numpy(float), minlength=n)
    years = list(budgets)
    fixed = _fixed_years(candidates, years, code, key, layer, field)
    budget = np.array([budgets[y] for y in years], dtype=float)
    used = np.bincount(fixed[fixed >= 0], cost[fixed >= 0], minlength=len(years))
    over = np.flatnonzero(used > budget * (1 + 1e-12))
    if len(over):
        report = Report()
        for y in over:
            members = candidates.index[fixed[code] == y].astype(str)
            report.add("error", layer, "fixed_over_budget",
                       f"communities fixed to {years[y]} cost {used[y]:,.0f} CNY, over that "
                       f"year's budget of {budget[y]:,.0f} CNY: {', '.join(members[:20])}"
                       + (" ..." if len(members) > 20 else ""),
                       feature_id=str(members[0]), field=field)
        raise ValidationError(report)
    left = np.maximum(budget - used, 0.0)
    free = np.flatnonzero(fixed < 0)
    pu, py = np.nonzero(cost[free, None] <= left[None, :])
    return Units(code=code, key=key, cost=cost, weight=weight, fixed=fixed, left=left,
                 pu=free[pu], py=py)


def _fixed_years(candidates: pd.DataFrame, years: list[str], code: np.ndarray,
                 key: np.ndarray, layer: str, field: str) -> np.ndarray:
    """Year position per unit (-1: free); located errors for unknown or conflicting years."""
    unit_year = np.full(len(key), -1)
    if "year" not in candidates:
        return unit_year
    report = Report()
    text = as_text(candidates["year"], blank_is_missing=True).to_numpy(dtype=object)
    lookup = {y: i for i, y in enumerate(years)}
    pos = np.array([-1 if v is None else lookup.get(v, -2) for v in text], dtype=int)
    for cid, v in zip(candidates.index[pos == -2], text[pos == -2], strict=True):
        report.add("error", layer, "year_without_budget",
                   f"fixed to year {v}, which has no budget (budget years: "
                   f"{', '.join(years)})", feature_id=str(cid), field=field)
    given = pos >= 0
    frame = pd.DataFrame({"unit": code[given], "year": pos[given],
                          "id": candidates.index[given].astype(str)})
    for u, group in frame.groupby("unit", sort=True):
        if group["year"].nunique() > 1:
            listed = ", ".join(f"{i} ({years[y]})" for i, y in zip(group["id"], group["year"],
                                                                   strict=True))
            report.add("error", layer, "zone_years_differ",
                       f"{key[u]} is kept together but its communities are fixed to "
                       f"different years: {listed}", feature_id=str(group["id"].iloc[0]),
                       field=field)
        unit_year[u] = group["year"].iloc[0]
    if report.errors:
        raise ValidationError(report)
    return unit_year


def greedy_years(u: Units) -> np.ndarray:
    """The hand rule: free units by weight per yuan (best first), each in the earliest year
    whose budget left holds it; fixed units in their years. Year position per unit, -1: out."""
    left = u.left.copy()
    year = u.fixed.copy()
    free = np.unique(u.pu)
    cost = u.cost[free]
    ratio = np.divide(u.weight[free], cost, out=np.full(len(free), np.inf), where=cost > 0)
    for i in free[np.argsort(-ratio, kind="stable")]:  # sequential by nature
        fits = np.flatnonzero(left >= u.cost[i])
        if len(fits) and u.weight[i] > 0:
            left[fits[0]] -= u.cost[i]
            year[i] = fits[0]
    return year


def reduce(u: Units, incumbent: np.ndarray) -> Reduction:
    """Dantzig's bound on the free units and the units it fixes against ``incumbent``
    (year position per unit, a feasible choice); see the module's description."""
    n = len(u.key)
    free = np.zeros(n, dtype=bool)
    free[u.pu] = True
    idx = np.flatnonzero(free)
    w, c = u.weight[idx], u.cost[idx]
    capacity = float(u.left.sum())
    ratio = np.divide(w, c, out=np.full(len(idx), np.inf), where=c > 0)
    order = np.argsort(-ratio, kind="stable")
    filled = np.cumsum(c[order])
    k = int(np.searchsorted(filled, capacity, side="right"))
    lam = 0.0 if k >= len(order) else float(ratio[order[k]])
    r = w - lam * c
    bound = lam * capacity + float(np.maximum(r, 0).sum())
    chosen = incumbent[idx] >= 0
    low = float(w[chosen].sum())
    settled = bound - np.abs(r) < low - 1e-7 * max(1.0, abs(low))
    into = np.zeros(n, dtype=bool)
    into[idx[settled & (r > 0)]] = True
    free[idx[settled & (r < 0)]] = False
    return Reduction(bound=bound, free=free, into=into)


@contextmanager
def _native_stdout_silenced() -> Iterator[None]:
    """HiGHS as bundled by scipy prints debugging lines on the process's stdout (fd 1)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no fd 1 (embedded interpreters)
        yield
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _options(time_limit: float | None, *, gap: float = MIP_REL_GAP,
             presolve: bool = True) -> dict[str, object]:
    options: dict[str, object] = {"mip_rel_gap": gap, "disp": False, "presolve": presolve}
    if time_limit is not None:
        options["time_limit"] = max(float(time_limit), 0.01)
    return options


def aggregate(u: Units, red: Reduction, *, time_limit: float | None = None) -> OptimizeResult:
    """HiGHS on the one-row knapsack of the free units (every year's budget left summed):
    its optimum bounds every multi-year choice; ``x`` per unit of ``np.flatnonzero(red.free)``."""
    idx = np.flatnonzero(red.free)
    capacity = max(float(u.left.sum()), 1.0)
    row = LinearConstraint(sparse.csr_array((u.cost[idx] / capacity)[None, :]), -np.inf,
                           float(u.left.sum()) / capacity)
    with _native_stdout_silenced():
        return milp(-u.weight[idx], constraints=[row], integrality=np.ones(len(idx)),
                    bounds=Bounds(red.into[idx].astype(float), 1.0),
                    options=_options(time_limit))


def solve(u: Units, keep: np.ndarray, into: np.ndarray, c: np.ndarray, *,
          floor: float | None = None, time_limit: float | None = None) -> OptimizeResult:
    """HiGHS on the pairs ``keep``: minimise ``c @ x`` (``c`` per kept pair), units ``into``
    placed in some year (all kept units when ``into`` is True everywhere: a packing), and
    with ``floor`` the total weight at least that."""
    pu, py = u.pu[keep], u.py[keep]
    n = len(pu)
    cols = np.arange(n)
    rows, first = pd.factorize(pu)
    one = LinearConstraint(sparse.csr_array((np.ones(n), (rows, cols))),
                           np.where(into[first], 1.0, 0.0), 1.0)
    scale = np.where(u.left > 0, u.left, 1.0)  # budget rows scaled to 1 (numerics)
    money = LinearConstraint(sparse.csr_array((u.cost[pu] / scale[py], (py, cols)),
                                              shape=(len(u.left), n)), -np.inf, u.left / scale)
    constraints = [one, money]
    if floor is not None:
        constraints.append(LinearConstraint(sparse.csr_array(u.weight[pu][None, :]), floor,
                                            np.inf))
    with _native_stdout_silenced():
        return milp(c, constraints=constraints, integrality=np.ones(n), bounds=Bounds(0, 1),
                    options=_options(time_limit))


def pack_by_year(u: Units, chosen: np.ndarray, *, deadline: float | None = None
                 ) -> np.ndarray | None:
    """The units ``chosen`` put into years, or None when HiGHS finds no way in time.

    Year by year, HiGHS takes the heaviest subset of what is left whose cost fits the
    year's budget left and leaves no more than the later years can hold together;
    a unit no later year could hold is taken now. Year position per unit (fixed units
    in their years, units not chosen -1).
    """
    year = u.fixed.copy()
    rest = np.flatnonzero(chosen & (u.fixed < 0))
    n_years = len(u.left)
    for y in range(n_years):
        later = u.left[y + 1:]
        if y == n_years - 1 or not len(rest):
            if u.cost[rest].sum() > u.left[y] * (1 + 1e-12):
                return None
            year[rest] = y
            break
        cost = u.cost[rest]
        must = cost > later.max() * (1 + 1e-12)
        can = cost <= u.left[y] * (1 + 1e-12)
        if (must & ~can).any():
            return None
        idx, cost = rest[can], cost[can]
        scale = max(float(u.left[y]), 1.0)
        # what later years cannot hold, plus HiGHS's row tolerance so that they surely can
        low = (float(u.cost[rest].sum()) - float(later.sum())) / scale + 2e-7
        row = LinearConstraint(sparse.csr_array((cost / scale)[None, :]), low,
                               float(u.left[y]) / scale)
        if not len(idx):  # nothing fits this year: the later years must hold it all
            if low > 1e-12:
                return None
            continue
        limit = None if deadline is None else deadline - time.perf_counter()
        if limit is not None and limit <= 0:
            return None
        with _native_stdout_silenced():
            res = milp(-u.weight[idx], constraints=[row], integrality=np.ones(len(idx)),
                       bounds=Bounds(must[can].astype(float), 1.0),
                       options=_options(limit, gap=PACK_GAP, presolve=False))
        if res.x is None:
            return None
        take = idx[res.x > 0.5]
        if u.cost[take].sum() > u.left[y] or u.cost[rest].sum() - u.cost[take].sum() > (
                later.sum()):  # HiGHS's tolerances, not the budgets: no packing here
            return None
        year[take] = y
        rest = np.setdiff1d(rest, take)
    return year


def within_budgets(u: Units, year: np.ndarray) -> bool:
    """Every year's free units cost at most the budget left, summed exactly (HiGHS accepts
    rows a tolerance over their bound; such a choice is not taken)."""
    placed = (year >= 0) & (u.fixed < 0)
    spent = np.bincount(year[placed], u.cost[placed], minlength=len(u.left))
    return bool(np.all(spent <= u.left))


def order_years(u: Units, year: np.ndarray) -> np.ndarray:
    """The same yearly lists, each moved to the year (whose budget left holds it) that gives
    the most weight-years: an assignment problem (Hungarian method)."""
    n_years = len(u.left)
    placed = (year >= 0) & (u.fixed < 0)
    cost = np.bincount(year[placed], u.cost[placed], minlength=n_years)
    weight = np.bincount(year[placed], u.weight[placed], minlength=n_years)
    late = n_years - 1 - np.arange(n_years)
    fits = cost[:, None] <= u.left[None, :] * (1 + 1e-12)
    gain = np.where(fits, weight[:, None] * late[None, :], -1e18)
    rows, cols = linear_sum_assignment(gain, maximize=True)
    if not fits[rows, cols].all():
        return year
    move = np.empty(n_years, dtype=int)
    move[rows] = cols
    out = year.copy()
    out[placed] = move[year[placed]]
    return out
