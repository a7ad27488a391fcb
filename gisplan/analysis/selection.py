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

How the program is reduced and solved (one-row knapsack bound, packing into years,
the full program as fallback, the greedy choice as start) is in
:mod:`gisplan.analysis.selection_program` and :func:`_primary`. When the time limit
stops the solver, the best choice found is returned with the bound and the gap.

Among choices with the optimal total, heavier units come earlier. The yearly lists
are first moved to the years that give the most *weight-years*
``Σ w[u] (Y - 1 - y) x[u, y]`` (the cumulative weight summed over the years); then,
when the total is proven optimal, a second program keeps the total at its optimum
(``Σ w x >= W*``, exactly ``W* - 0.5`` when every weight is whole, so the total
cannot drop by one) and maximises the weight-years, within a quarter of the time
left. Its answer is kept only if its total is not below ``W*`` and it fits the
budgets, so the tie-break can never lower the primary optimum.

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

from gisplan.analysis.selection_program import (
    Units,
    aggregate,
    greedy_years,
    order_years,
    pack_by_year,
    reduce,
    solve,
    units,
    within_budgets,
)
from gisplan.errors import GisplanError, ValidationError
from gisplan.inputs.problems import Report

#: Share of the time left that packing the one-row knapsack's choice into years may use.
PACKING_SHARE = 1 / 3
#: Share of the time left that the tie-break program may use.
TIE_BREAK_SHARE = 0.25
STATUS_ZH = {"optimal": "已证明最优 proven optimal",
             "time_limit": "达到时限，未证明最优 stopped by the time limit, not proven optimal"}


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
        ``optimal`` (proven) or ``time_limit`` (the best found when time ran out).
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
    found_by : str
        ``HiGHS``, or the greedy start when HiGHS found nothing better in time.
    greedy_objective : float
        The hand rule's total weight (best weight per yuan first), for comparison.
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
    found_by: str
    greedy_objective: float


def _check(candidates: pd.DataFrame, budgets: Mapping[str, float], layer: str) -> None:
    if not budgets:
        raise GisplanError("selection needs at least one year's budget")
    for year, value in budgets.items():
        if not (math.isfinite(value) and value >= 0):
            raise GisplanError(f"budget of {year} must be a finite number >= 0, got {value!r}")
    report = Report()
    for col in ("cost_cny", "weight"):
        values = candidates[col].to_numpy(dtype=float)
        bad = ~(np.isfinite(values) & (values >= 0))
        for cid, v in zip(candidates.index[bad][:20], values[bad][:20], strict=True):
            report.add("error", layer, "bad_value", f"{col} {v!r} is not a finite number >= 0",
                       feature_id=str(cid), field=col)
    if report.errors:
        raise ValidationError(report)


def select(candidates: pd.DataFrame, budgets: Mapping[str, float], *,
           time_limit: float | None = 60.0, layer: str = "communities",
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
        Seconds for the solver, all programs together (the tie-break program gets at most
        a quarter of what is left); None: until proven optimal.
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
    u = units(candidates, budgets, layer=layer, field=year_field)
    t0 = time.perf_counter()
    integral = bool(np.all(u.weight == np.round(u.weight)))
    start = greedy_years(u)
    year, status, tie, bound_free, found_by = start, "optimal", "nothing to choose", 0.0, "-"
    if len(u.pu):
        deadline = None if time_limit is None else t0 + time_limit
        year, proven, bound_free, found_by = _primary(u, start, deadline, integral)
        status = "optimal" if proven else "time_limit"
        year, tie = _tie_break(u, year, proven, deadline, integral, time_limit)
    greedy_weight = float(u.weight[start >= 0].sum())
    return _result(candidates, u, year, years, budgets, status, bound_free, tie,
                   time.perf_counter() - t0, integral, found_by, greedy_weight)


def _left(deadline: float | None, share: float = 1.0) -> float | None:
    """Seconds until ``deadline`` (times ``share``); None without one."""
    return None if deadline is None else max(deadline - time.perf_counter(), 0.0) * share


def _primary(u: Units, start: np.ndarray, deadline: float | None, integral: bool):
    """The greatest total weight: (year per unit, proven, bound on the free units, found by).

    First the one-row knapsack of all budgets summed, whose optimum bounds the answer; if
    its choice packs into the years (:func:`pack_by_year`, else one program for all
    years; each within a third of the time left), that choice is optimal. Otherwise the
    full program, with whatever time is left. The greedy choice stands when nothing beats
    it.
    """
    red = reduce(u, start)
    bound, found_by = red.bound, "greedy start (HiGHS found nothing better within the time limit)"
    year, best = start, float(u.weight[(start >= 0) & (u.fixed < 0)].sum())
    if not red.free.any():  # every unit settled by the reduction
        return year, True, best, "greedy start (proven optimal)"
    agg = aggregate(u, red, time_limit=_left(deadline))
    if agg.x is not None:
        value = -float(agg.fun)
        bound = min(bound, value if agg.status == 0 else -float(agg.mip_dual_bound))
        if integral:
            bound = math.floor(bound + 1e-6)
        if agg.status == 0 and value <= best + 1e-9 * max(1.0, best):
            return year, True, bound, "greedy start (proven optimal)"
        if agg.status == 0:
            chosen = np.zeros(len(u.key), dtype=bool)
            chosen[np.flatnonzero(red.free)[agg.x > 0.5]] = True
            share = _left(deadline, PACKING_SHARE)
            packed = pack_by_year(u, chosen, deadline=None if share is None
                                  else time.perf_counter() + share)
            if packed is None:  # year by year ran into a dead end: all years at once
                keep = chosen[u.pu]
                res = solve(u, keep, chosen, np.zeros(int(keep.sum())),
                            time_limit=_left(deadline, PACKING_SHARE))
                if res.x is not None:
                    packed = _placed(u, u.pu[keep], u.py[keep], res.x > 0.5)
            if packed is not None and within_budgets(u, packed):
                return packed, True, value, "HiGHS"
    if _left(deadline) == 0.0:
        return year, False, bound, found_by
    keep = red.free[u.pu]
    w = u.weight[u.pu[keep]]
    res = solve(u, keep, red.into, -w, time_limit=_left(deadline))
    found = None if res.x is None else _placed(u, u.pu[keep], u.py[keep], res.x > 0.5)
    if found is not None and within_budgets(u, found) and float(w @ (res.x > 0.5)) > best:
        year, best, found_by = found, float(w @ (res.x > 0.5)), "HiGHS"
    if res.status == 0:
        return year, True, best, found_by
    dual = getattr(res, "mip_dual_bound", None)
    if dual is not None and np.isfinite(dual):
        bound = min(bound, -float(dual))
    return year, False, bound, found_by


def _tie_break(u: Units, year: np.ndarray, proven: bool, deadline: float | None,
               integral: bool, time_limit: float | None) -> tuple[np.ndarray, str]:
    """Heavier units earlier without changing the total: the yearly lists reordered, then
    (when the total is proven optimal) the program over every choice of that total."""
    year = order_years(u, year)
    if not proven:
        return year, "yearly lists ordered by weight (the total is not proven optimal)"
    late = len(u.left) - 1
    chosen = (year >= 0) & (u.fixed < 0)
    total = float(u.weight[chosen].sum())
    have = float(u.weight[chosen] @ (late - year[chosen]))
    share = None if time_limit is None else _left(deadline, TIE_BREAK_SHARE)
    if share is not None and share < 0.01:
        return year, "yearly lists ordered by weight (no time left for the tie-break program)"
    keep = np.ones(len(u.pu), dtype=bool)
    w = u.weight[u.pu]
    floor = total - 0.5 if integral else total - 1e-9 * max(1.0, abs(total))
    into = np.zeros(len(u.key), dtype=bool)
    res = solve(u, keep, into, -(w * (late - u.py)), floor=floor, time_limit=share)
    if res.x is not None:
        x = res.x > 0.5
        if float(w @ x) >= total - 1e-9 * max(1.0, total) and float(
                (w * (late - u.py)) @ x) >= have:
            found = _placed(u, u.pu, u.py, x)
            if not within_budgets(u, found):
                return year, ("yearly lists ordered by weight; the tie-break program's choice "
                              "was over a budget by HiGHS's tolerance and was not taken")
            year = found
            if res.status == 0:
                return year, "applied: proven the most weight-years among optimal choices"
    return year, ("yearly lists ordered by weight; the tie-break program did not finish "
                  "within its time")


def _placed(u: Units, pu: np.ndarray, py: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Year position per unit: fixed units' years and the program's choice."""
    year = u.fixed.copy()
    year[pu[x]] = py[x]
    return year


def _result(candidates: pd.DataFrame, u: Units, unit_year: np.ndarray, years: list[str],
            budgets: Mapping[str, float], status: str, bound_free: float, tie: str,
            seconds: float, integral: bool, found_by: str, greedy_weight: float) -> Selection:
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
                     seconds=seconds, units=len(u.key), variables=len(u.pu),
                     found_by=found_by, greedy_objective=greedy_weight)


def _notes(u: Units, unit_year: np.ndarray) -> np.ndarray:
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
    u = units(candidates, budgets)
    return pd.DataFrame({"unit": _texts(u.key[u.code], candidates.index),
                         "year": _texts(_year_labels(greedy_years(u)[u.code], list(budgets)),
                                        candidates.index)}, index=candidates.index)


def _year_labels(positions: np.ndarray, years: list[str]) -> np.ndarray:
    """Year text by position; None where -1 (not chosen)."""
    labels = np.array([*years, None], dtype=object)
    return labels[np.where(positions >= 0, positions, len(years))]


def _texts(values: np.ndarray, index: pd.Index) -> pd.Series:
    """Text with None for missing (object dtype: pandas would turn None into NaN)."""
    return pd.Series(values, index=index, dtype=object)
