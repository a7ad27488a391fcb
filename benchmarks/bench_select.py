"""The multi-year selection at national scale: 20,000 candidates over 5 years, with zones.

Generates a candidate table (:func:`make_candidates`: households log-normal around 250,
cost 15,000-45,000 CNY a household, so weight and cost are correlated as in real
programmes; about 60 % of communities in contiguous zones of 2-12; 1 % fixed to a year;
each year's budget a share of the total cost), then solves it with
:func:`gisplan.analysis.selection.select` (HiGHS through ``scipy.optimize.milp``) and
with the greedy hand rule (best households per yuan first, earliest year it fits),
and prints both side by side: time, status, total weight, the solver's bound and gap,
the tie-break's weight-years, and how much the greedy rule leaves on the table.

The generated table is synthetic: its figures test the solver, not any real plan.

Run: ``python benchmarks/bench_select.py [--candidates 20000] [--years 5]
[--time-limit 60] [--seed 0] [--no-zones] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from gisplan.analysis.selection import greedy, select


def make_candidates(n: int, *, years: int = 5, seed: int = 0, zoned: float = 0.6,
                    fixed: float = 0.01, budget_share: float = 0.4
                    ) -> tuple[pd.DataFrame, dict[str, float]]:
    """``n`` generated candidates and ``years`` budgets (CNY) from 2021 on.

    Parameters
    ----------
    n : int
        Candidates (communities).
    years : int, keyword-only
        Budget years.
    seed : int, keyword-only
    zoned : float, keyword-only
        Share of candidates in zones of 2-12 communities (the rest stand alone).
    fixed : float, keyword-only
        Share of zones and lone candidates fixed to a year (the ``year`` column).
    budget_share : float, keyword-only
        All years' budgets together as a share of the total cost, split unevenly.

    Returns
    -------
    (DataFrame, dict)
        Candidates indexed by ``community_id`` with ``cost_cny``, ``weight``
        (households), ``unit`` (zone id or None) and ``year`` (None or a budget year);
        the budgets.

    Examples
    --------
    >>> c, b = make_candidates(100, years=3)
    >>> len(c), list(b)
    (100, ['2021', '2022', '2023'])
    """
    rng = np.random.default_rng(seed)
    households = np.clip(np.round(rng.lognormal(np.log(250), 0.6, n)), 20, 3000)
    cost = np.round(households * rng.uniform(15_000, 45_000, n), 2)  # to the fen, as priced
    ids = np.array([f"C{i:06d}" for i in range(n)], dtype=object)
    unit = np.full(n, None, dtype=object)
    in_zones = int(n * zoned)
    sizes = np.minimum(rng.geometric(0.25, n) + 1, 12)
    ends = np.cumsum(sizes)
    sizes = sizes[: np.searchsorted(ends, in_zones) + 1]
    zone_of = np.repeat(np.arange(len(sizes)), sizes)[:in_zones]
    pick = rng.permutation(n)[:in_zones]
    unit[pick] = np.char.add("Z", np.char.zfill(zone_of.astype(str), 5)).astype(object)
    budgets_total = cost.sum() * budget_share
    split = rng.uniform(0.8, 1.2, years)
    budgets = {str(2021 + y): float(np.round(budgets_total * s / split.sum(), -4))
               for y, s in enumerate(split)}
    key = np.where(pd.isna(unit), ids, unit)
    codes, uniq = pd.factorize(key)
    chosen = rng.random(len(uniq)) < fixed
    year_of_unit = rng.integers(0, years, len(uniq))
    year = np.where(chosen[codes], (2021 + year_of_unit[codes]).astype(str), None)
    index = pd.Index(ids, name="community_id")
    frame = pd.DataFrame({"cost_cny": cost, "weight": households,
                          "unit": pd.Series(unit, index=index, dtype=object),
                          "year": pd.Series(year, index=index, dtype=object)}, index=index)
    return frame, budgets


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--candidates", type=int, default=20_000)
    p.add_argument("--years", type=int, default=5)
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-zones", action="store_true", help="every community a unit of its own")
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    cand, budgets = make_candidates(a.candidates, years=a.years, seed=a.seed)
    if a.no_zones:
        cand = cand.drop(columns="unit")
    t0 = time.perf_counter()
    s = select(cand, budgets, time_limit=a.time_limit)
    t_select = time.perf_counter() - t0
    t0 = time.perf_counter()
    g = greedy(cand, budgets)
    t_greedy = time.perf_counter() - t0
    w = cand["weight"]
    g_weight = float(w[g["year"].notna()].sum())
    late = {y: len(budgets) - 1 - i for i, y in enumerate(budgets)}
    g_wy = float((w * g["year"].map(late).fillna(0)).sum())
    out = {
        "candidates": len(cand), "years": len(budgets), "units": s.units,
        "variables": s.variables, "time_limit_s": a.time_limit,
        "milp": {"seconds": round(t_select, 2), "status": s.status, "objective": s.objective,
                 "bound": s.bound, "gap": s.gap, "weight_years": s.weight_years,
                 "tie_break": s.tie_break},
        "greedy": {"seconds": round(t_greedy, 2), "objective": g_weight,
                   "weight_years": g_wy},
        "greedy_short_by": s.objective - g_weight,
        "greedy_short_by_share": (s.objective - g_weight) / s.objective if s.objective else 0,
    }
    zones = "no zones" if a.no_zones else "zones kept together"
    print(f"{len(cand):,} candidates, {s.units:,} units ({zones}), "
          f"{len(budgets)} years, {s.variables:,} variables; time limit {a.time_limit:g} s")
    print(f"{'':8}{'seconds':>9}{'status':>12}{'households':>13}{'bound':>13}{'gap':>11}"
          f"{'weight-years':>15}")
    print(f"{'MILP':8}{t_select:9.2f}{s.status:>12}{s.objective:13,.0f}{s.bound:13,.0f}"
          f"{s.gap:11.2e}{s.weight_years:15,.0f}")
    print(f"{'greedy':8}{t_greedy:9.2f}{'':>12}{g_weight:13,.0f}{'':>13}{'':>11}{g_wy:15,.0f}")
    print(f"greedy short by {out['greedy_short_by']:,.0f} households "
          f"({100 * out['greedy_short_by_share']:.3f} %); tie-break: {s.tie_break}")
    if a.json:
        a.json.write_text(json.dumps(out, indent=1), encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
