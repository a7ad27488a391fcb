"""Which communities in which year: the multi-year programme chosen optimally under budget.

The choice is a mixed-integer program solved by HiGHS through
:func:`scipy.optimize.milp`. Candidates are grouped into *units* (a contiguous
zone when zones are kept together, else each community alone); ``x[u, y] = 1``
when unit ``u`` is renovated in year ``y``::

    maximise    Σ w[u] x[u, y]                       total weight (households or priority)
    subject to  Σ_y x[u, y] <= 1                     every unit at most once
                Σ_u cost[u] x[u, y] <= budget[y]     each year within its budget
                x[u, y] = 1 for a unit fixed to y    the ``year`` column
                x binary; pairs with cost[u] > budget[y] left out

Among choices with the optimal total, heavier units come earlier: a second
program keeps the total at the first one's optimum (``Σ w x >= W*``, exactly
``W* - 0.5`` when every weight is whole, so the total cannot drop by one) and
maximises the *weight-years* ``Σ w[u] (Y - 1 - y) x[u, y]`` (weight delivered
before the programme's last year, i.e. the cumulative weight summed over the
years). Its answer is kept only if its total is not below the first's, so the
tie-break can never lower the primary optimum. When the time limit stops the
first program, the best choice found is returned with HiGHS's bound and the gap,
and no tie-break is attempted.

Examples
--------
Greedy by weight per yuan takes A (7/6 a yuan) and has no room left; the optimum
takes B and C:

>>> c = pd.DataFrame({"cost_cny": [6.0, 5, 5], "weight": [7.0, 5, 5]},
...                  index=pd.Index(["A", "B", "C"], name="community_id"))
>>> s = select(c, {"2021": 10.0})
>>> s.status, s.objective, s.chosen["year"].tolist()
('optimal', 10.0, [None, '2021', '2021'])
>>> greedy(c, {"2021": 10.0})["year"].tolist()
['2021', None, None]
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from gisplan.errors import GisplanError, ValidationError
from gisplan.inputs.problems import Report
from gisplan.inputs.schema import as_text

#: Relative gap at which HiGHS stops: below one unit of weight for any whole total < 10^9.
MIP_REL_GAP = 1e-9
STATUS_ZH = {"optimal": "最优 optimal", "time_limit": "时限内最优未证实 stopped by the time limit",
             "trivial": "无可选 nothing to choose"}


@dataclass(frozen=True)
class Selection:
    """The chosen programme.

    Attributes
    ----------
    chosen : DataFrame
        One row per candidate (same index): ``unit`` (its zone, or its own id),
        ``year`` (text; None when not chosen), ``fixed`` (its year came from the
        ``year`` column) and ``note`` (why it cannot be chosen, else empty).
    years : DataFrame
        One row per budget year, in order: ``year``, ``budget_cny``, ``cost_cny``,
        ``candidates``, ``weight``.
    status : str
        ``optimal`` (proven), ``time_limit`` (best found when time ran out) or
        ``trivial`` (no candidate could be chosen or left out: nothing to solve).
    objective, bound, gap : float
        Total weight chosen, the best bound on it and ``(bound - objective) / bound``.
    weight_years : float
        The tie-break's value: ``Σ weight × (years after the candidate's year)``.
    tie_break : str
        ``applied``, or why not (``time limit``, ``no spare time``).
    seconds : float
        Solver wall time, both programs.
    units, variables : int
        Units (zones or communities) and ``x[u, y]`` variables of the program.
    """

    chosen: pd.DataFrame
    years: pd.DataFrame
    status: str
    objective: float
    bound: float
    gap: float
    weight_years: float
    tie_break: str
    seconds: float
    units: int
    variables: int


@dataclass(frozen=True)
class _Units:
    """Candidates grouped into units, with the free pairs of the program."""

    code: np.ndarray  # unit code of each candidate
    key: np.ndarray  # unit label by code
    cost: np.ndarray
    weight: np.ndarray
    fixed: np.ndarray  # year position by code, -1 when free
    left: np.ndarray  # budget left per year after the fixed units
    pu: np.ndarray  # unit of each variable
    py: np.ndarray  # year position of each variable


def _check(candidates: pd.DataFrame, budgets: Mapping[str, float], layer: str) -> None:
    if not budgets:
        raise GisplanError("selection needs at least one year's budget")
    for year, value in budgets.items():
        if not (math.isfinite(value) and value >= 0):
            raise GisplanError(f"budget of {year} must be a finite number >= 0, got {value!r}")
    for col in ("cost_cny", "weight"):
        values = candidates[col].to_numpy(dtype=float)
        bad = ~(np.isfinite(values) & (values >= 0))
        if bad.any():
            report = Report()
            for cid, v in zip(candidates.index[bad][:20], values[bad][:20], strict=True):
                report.add("error", layer, "bad_value", f"{col} {v!r} is not a finite number "
                           ">= 0", feature_id=str(cid), field=col)
            raise ValidationError(report)


def _fixed_years(candidates: pd.DataFrame, years: list[str], code: np.ndarray, n_units: int,
                 key: np.ndarray, layer: str, field: str) -> np.ndarray:
    """Year position per unit (-1: free); located errors for unknown or conflicting years."""
    pos = np.full(len(candidates), -1)
    report = Report()
    if "year" in candidates:
        text = as_text(candidates["year"], blank_is_missing=True).to_numpy(dtype=object)
        lookup = {y: i for i, y in enumerate(years)}
        pos = np.array([-1 if v is None else lookup.get(v, -2) for v in text], dtype=int)
        for cid, v in zip(candidates.index[pos == -2], text[pos == -2], strict=True):
            report.add("error", layer, "year_without_budget",
                       f"fixed to year {v}, which has no budget (budget years: "
                       f"{', '.join(years)})", feature_id=str(cid), field=field)
    unit_year = np.full(n_units, -1)
    set_ = pos >= 0
    frame = pd.DataFrame({"unit": code[set_], "year": pos[set_],
                          "id": candidates.index[set_].astype(str)})
    for u, group in frame.groupby("unit", sort=True):
        if group["year"].nunique() > 1:
            listed = ", ".join(f"{i} ({years[y]})" for i, y in zip(group["id"], group["year"],
                                                                   strict=True))
            report.add("error", layer, "zone_years_differ",
                       f"zone {key[u]} is kept together but its communities are fixed to "
                       f"different years: {listed}", feature_id=str(group["id"].iloc[0]),
                       field=field)
        unit_year[u] = group["year"].iloc[0]
    if report.errors:
        raise ValidationError(report)
    return unit_year


def _units(candidates: pd.DataFrame, budgets: Mapping[str, float], *, layer: str,
           field: str) -> _Units:
    ids = candidates.index.astype(str).to_numpy(dtype=object)
    zone = (as_text(candidates["unit"], blank_is_missing=True).to_numpy(dtype=object)
            if "unit" in candidates else np.full(len(ids), None))
    label = np.where(pd.isna(zone), "community " + ids, "zone " + zone.astype(str))
    code, key = pd.factorize(label, sort=True)
    n = len(key)
    cost = np.bincount(code, candidates["cost_cny"].to_numpy(float), minlength=n)
    weight = np.bincount(code, candidates["weight"].to_numpy(float), minlength=n)
    years = list(budgets)
    fixed = _fixed_years(candidates, years, code, n, np.asarray([k.split(" ", 1)[1] for k in key]),
                         layer, field)
    budget = np.array([budgets[y] for y in years], dtype=float)
    used = np.bincount(fixed[fixed >= 0], cost[fixed >= 0], minlength=len(years))
    over = used > budget * (1 + 1e-12)
    if over.any():
        report = Report()
        for y in np.flatnonzero(over):
            members = candidates.index[(fixed[code] == y)].astype(str)
            report.add("error", layer, "fixed_over_budget",
                       f"communities fixed to {years[y]} cost {used[y]:,.0f} CNY, over that "
                       f"year's budget of {budget[y]:,.0f} CNY: {', '.join(members[:20])}"
                       + (" ..." if len(members) > 20 else ""),
                       feature_id=str(members[0]), field=field)
        raise ValidationError(report)
    left = np.maximum(budget - used, 0.0)
    free = np.flatnonzero(fixed < 0)
    fits = cost[free, None] <= left[None, :]
    pu, py = np.nonzero(fits)
    return _Units(code=code, key=key, cost=cost, weight=weight, fixed=fixed, left=left,
                  pu=free[pu], py=py)


def _solve(u: _Units, c: np.ndarray, extra: list[LinearConstraint], time_limit: float | None):
    """One MILP over the free pairs: minimise ``c @ x``."""
    n = len(u.pu)
    cols = np.arange(n)
    rows_u = pd.factorize(u.pu)[0]
    one = LinearConstraint(sparse.csr_array((np.ones(n), (rows_u, cols))), -np.inf, 1.0)
    scale = np.where(u.left > 0, u.left, 1.0)  # budget rows scaled to 1 (numerics)
    money = LinearConstraint(sparse.csr_array((u.cost[u.pu] / scale[u.py], (u.py, cols)),
                                              shape=(len(u.left), n)),
                             -np.inf, u.left / scale)
    options = {"mip_rel_gap": MIP_REL_GAP, "disp": False}
    if time_limit is not None:
        options["time_limit"] = max(float(time_limit), 0.01)
    return milp(c, constraints=[one, money, *extra], integrality=np.ones(n),
                bounds=Bounds(0, 1), options=options)


def select(candidates: pd.DataFrame, budgets: Mapping[str, float], *,
           time_limit: float | None = None, layer: str = "communities",
           year_field: str = "year") -> Selection:
    """Choose the candidates and their years: the greatest total weight within budget.

    Parameters
    ----------
    candidates : DataFrame
        Indexed by candidate id: ``cost_cny`` and ``weight`` (finite, >= 0), optional
        ``unit`` (candidates sharing a unit are chosen together, in one year; missing:
        alone) and ``year`` (a fixed year, a key of ``budgets``; missing: free).
    budgets : mapping of str to float
        CNY per year, in programme order.
    time_limit : float, optional, keyword-only
        Seconds for the solver (both programs); None: until proven optimal.
    layer, year_field : str, keyword-only
        Where errors are located (the layer and the file's name of ``year``).

    Returns
    -------
    Selection

    Raises
    ------
    ValidationError
        A fixed year without a budget, a zone fixed to two years, fixed years over
        budget, or a cost or weight that is not a finite number >= 0.

    Examples
    --------
    >>> c = pd.DataFrame({"cost_cny": [4.0, 4, 3], "weight": [5.0, 9, 2],
    ...                   "year": [None, None, "2022"]}, index=["a", "b", "c"])
    >>> select(c, {"2021": 5.0, "2022": 7.0}).chosen["year"].tolist()
    ['2022', '2021', '2022']
    """
    _check(candidates, budgets, layer)
    years = list(budgets)
    u = _units(candidates, budgets, layer=layer, field=year_field)
    t0 = time.perf_counter()
    integral = bool(np.all(u.weight == np.round(u.weight)))
    x = np.zeros(len(u.pu), dtype=bool)
    status, tie, bound_free = "trivial", "applied", 0.0
    if len(u.pu):
        res = _solve(u, -u.weight[u.pu], [], time_limit)
        if res.x is None:  # HiGHS always finds x = 0 feasible; this is a failure
            raise GisplanError(f"the selection solver failed: {res.message}")
        x = res.x > 0.5
        status = "optimal" if res.status == 0 else "time_limit"
        bound_free = -float(res.mip_dual_bound)
        first = float(u.weight[u.pu] @ x)
        spent = time.perf_counter() - t0
        if status != "optimal":
            tie = "not attempted: the time limit stopped the first program"
        elif time_limit is not None and time_limit - spent <= 0.01:
            tie = "not attempted: no time left"
        else:
            floor = first - 0.5 if integral else first - 1e-9 * max(1.0, abs(first))
            keep = LinearConstraint(sparse.csr_array(u.weight[u.pu][None, :]), floor, np.inf)
            late = len(years) - 1 - u.py
            res2 = _solve(u, -(u.weight[u.pu] * late), [keep],
                          None if time_limit is None else time_limit - spent)
            x2 = None if res2.x is None else res2.x > 0.5
            if x2 is not None and float(u.weight[u.pu] @ x2) >= first - 1e-9 * max(1, first):
                x = x2
                tie = "applied" if res2.status == 0 else "best found within the time limit"
            else:
                tie = "not applied: the second program found nothing within the time limit"
    unit_year = u.fixed.copy()
    unit_year[u.pu[x]] = u.py[x]
    return _result(candidates, u, unit_year, years, budgets, status, bound_free, tie,
                   time.perf_counter() - t0, integral)


def _result(candidates: pd.DataFrame, u: _Units, unit_year: np.ndarray, years: list[str],
            budgets: Mapping[str, float], status: str, bound_free: float, tie: str,
            seconds: float, integral: bool) -> Selection:
    chosen_unit = unit_year >= 0
    fixed_w = float(u.weight[u.fixed >= 0].sum())
    objective = float(u.weight[chosen_unit].sum())
    if status != "time_limit":
        bound = objective
    else:
        bound = max(fixed_w + bound_free, objective)
        if integral:
            bound = max(math.floor(bound + 1e-6), objective)
    gap = 0.0 if bound <= objective else (bound - objective) / bound
    cost_year = np.bincount(unit_year[chosen_unit], u.cost[chosen_unit], minlength=len(years))
    budget = np.array([budgets[y] for y in years], dtype=float)
    if np.any(cost_year > budget * (1 + 1e-9) + 1e-6):
        raise AssertionError(f"selection over budget: {cost_year} > {budget}")  # a bug
    year_of = unit_year[u.code]
    unit = np.array([k.split(" ", 1)[1] for k in u.key], dtype=object)[u.code]
    chosen = pd.DataFrame({"unit": _texts(unit, candidates.index),
                           "year": _texts(_year_labels(year_of, years), candidates.index),
                           "fixed": u.fixed[u.code] >= 0,
                           "note": _texts(_notes(u, unit_year)[u.code], candidates.index)},
                          index=candidates.index)
    w = candidates["weight"].to_numpy(float)
    years_frame = pd.DataFrame({
        "year": years, "budget_cny": budget, "cost_cny": cost_year,
        "candidates": np.bincount(year_of[year_of >= 0], minlength=len(years)),
        "weight": np.bincount(year_of[year_of >= 0], w[year_of >= 0], minlength=len(years))})
    late = len(years) - 1 - unit_year[chosen_unit]
    return Selection(chosen=chosen, years=years_frame, status=status, objective=objective,
                     bound=float(bound), gap=float(gap),
                     weight_years=float(u.weight[chosen_unit] @ late), tie_break=tie,
                     seconds=seconds, units=len(u.key), variables=len(u.pu))


def _notes(u: _Units, unit_year: np.ndarray) -> np.ndarray:
    """Per unit: why it cannot be chosen (cost over every year's budget), else ''."""
    out = np.full(len(u.key), "", dtype=object)
    free = u.fixed < 0
    never = free & ~np.isin(np.arange(len(u.key)), u.pu)
    if len(u.left):
        most = float(u.left.max())
        for i in np.flatnonzero(never):
            whose = "该连片片区 the zone's" if u.key[i].startswith("zone ") else "其 its"
            out[i] = (f"费用超出每年可用预算 too expensive for every year: {whose} cost "
                      f"{u.cost[i]:,.0f} CNY > {most:,.0f} CNY, the most any year has left")
    return out


def greedy(candidates: pd.DataFrame, budgets: Mapping[str, float]) -> pd.DataFrame:
    """The hand rule, for comparison only: best weight per yuan first, earliest year it fits.

    Units and fixed years as in :func:`select` (fixed units are placed first).

    Returns
    -------
    DataFrame
        ``unit`` and ``year`` (None when not chosen), indexed like ``candidates``.
    """
    _check(candidates, budgets, "communities")
    years = list(budgets)
    u = _units(candidates, budgets, layer="communities", field="year")
    left = u.left.copy()
    unit_year = u.fixed.copy()
    free = np.flatnonzero(u.fixed < 0)
    ratio = np.where(u.cost[free] > 0, u.weight[free] / np.where(u.cost[free] > 0,
                                                                  u.cost[free], 1), np.inf)
    for i in free[np.argsort(-ratio, kind="stable")]:  # sequential by nature
        fits = np.flatnonzero(left >= u.cost[i])
        if len(fits) and u.weight[i] > 0:
            left[fits[0]] -= u.cost[i]
            unit_year[i] = fits[0]
    return pd.DataFrame({"unit": _texts(u.key[u.code], candidates.index),
                         "year": _texts(_year_labels(unit_year[u.code], years),
                                        candidates.index)}, index=candidates.index)


def _texts(values: np.ndarray, index: pd.Index) -> pd.Series:
    """Text with None for missing (object dtype: pandas would turn None into NaN)."""
    return pd.Series(values, index=index, dtype=object)


def _year_labels(positions: np.ndarray, years: list[str]) -> np.ndarray:
    """Year text by position; None where -1 (not chosen)."""
    labels = np.array([*years, None], dtype=object)
    return labels[np.where(positions >= 0, positions, len(years))]
