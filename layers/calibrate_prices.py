"""Calibrate the catalogue's unit prices to the Hunchun plan's three projects (section 六).

Usage (from the repository root)::

    python layers/calibrate_prices.py           # print the fit, change nothing
    python layers/calibrate_prices.py --write   # rewrite unit_price_cny in work_items.csv

The plan publishes no unit prices, only what its three projects cost. Each
project's construction cost (建安工程费用) is not stated either: its target here
is its stated total times the plan's own construction share,
14000万 / 18000万 (六: 建安工程费用约14000万元 of 总投资约1.8亿元). The
projects' costs come from the bundled plan's quantities and
``layers/hunchun2020/projects.csv`` (which project claims which work).

One price factor per catalogue (group, tier) -- building, outdoor and pipes,
basic and upgrade -- is fitted with ``scipy.optimize.lsq_linear``: the
projects' relative misses, plus a tiny ridge (``RIDGE``) pulling every factor
towards 1 (today's price), within ``BOUNDS`` so that prices stay plausible.
Factors are rounded to four decimals and new prices (today's times the
factor) to 0.1 yuan, so that a second run gives factors of 1 and changes
nothing. What is left -- rounding, the cost in no project, and the plan's own
700万 gap (14000 + 3300 is 17300, not 18000) -- is printed, and shown by
``gisplan programme``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import lsq_linear

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from gisplan.analysis.investment import UNALLOCATED, claim_costs, investment_table  # noqa: E402
from gisplan.analysis.scope import compute_scope  # noqa: E402
from gisplan.inputs.programme import read_programme  # noqa: E402
from gisplan.inputs.validation import load_layers  # noqa: E402

PLAN = HERE / "hunchun2020"
CATALOGUE = REPO / "gisplan" / "plan" / "data" / "work_items.csv"
BOUNDS = (0.7, 1.4)
RIDGE = 1e-6


def targets(projects: pd.DataFrame, investment) -> pd.Series:
    """Each project's construction target (CNY): stated, else its stated total times the
    plan's construction share, else its stated total less its own rates."""
    share = None
    if investment.stated_total_cny and investment.stated_construction_cny is not None:
        share = investment.stated_construction_cny / investment.stated_total_cny
    p = projects.set_index("project_id")
    by_rates = p["stated_total_cny"] / ((1 + p["other_rate"]) * (1 + p["contingency_rate"]))
    implied = p["stated_total_cny"] * share if share is not None else by_rates
    return p["stated_construction_cny"].fillna(implied).dropna()


def fit(plan: Path = PLAN) -> dict:
    """The fitted factors and prices, and the projects' costs before and after."""
    layers = load_layers(plan)
    programme = read_programme(layers)
    scope = compute_scope(layers)
    claims = claim_costs(scope.table, programme.projects)
    cat = layers.catalogue
    claims["factor"] = (claims["group"].astype(str) + ":"
                        + claims["item"].map(cat["tier"]).fillna("basic").astype(str))
    target = targets(programme.projects, programme.investment)
    mine = claims[claims["project_id"].isin(target.index)]
    costs = mine.pivot_table(index="project_id", columns="factor", values="cost_cny",
                             aggfunc="sum", fill_value=0.0).reindex(target.index, fill_value=0)
    a = costs.to_numpy() / target.to_numpy()[:, None]
    k = a.shape[1]
    fitted = lsq_linear(np.vstack([a, np.sqrt(RIDGE) * np.eye(k)]),
                        np.concatenate([np.ones(len(a)), np.sqrt(RIDGE) * np.ones(k)]),
                        bounds=BOUNDS)
    # Four decimals: a second run finds factors of 1 and leaves every price as it is.
    factors = pd.Series(fitted.x, index=costs.columns).round(4)
    key = cat["group"] + ":" + cat["tier"]
    prices = (cat["unit_price_cny"] * key.map(factors).fillna(1.0)).round(1)
    after = scope.table.assign(unit_price_cny=scope.table["item"].map(prices).fillna(
        scope.table["unit_price_cny"]))
    after["cost_cny"] = after["quantity"] * after["unit_price_cny"]
    inv = {when: investment_table(t, programme.projects, investment=programme.investment)
           for when, t in (("before", scope.table), ("after", after))}
    return {"factors": factors, "prices": prices, "old": cat["unit_price_cny"],
            "target": target, "investment": inv, "claims": claims}


def _wan(x: float) -> str:
    return "" if pd.isna(x) else f"{x / 1e4:,.1f}"


def report(result: dict) -> str:
    lines = ["price factor per catalogue (group, tier):"]
    lines += [f"  {k:18s} {v:.4f}" for k, v in result["factors"].items()]
    changed = (result["prices"] != result["old"]).sum()
    lines.append(f"prices changed: {changed} of {len(result['prices'])}")
    lines.append("construction 建安 (万元): target | before | after | after - target")
    before = result["investment"]["before"].set_index("project_id")
    after = result["investment"]["after"].set_index("project_id")
    for pid, t in result["target"].items():
        b, a = before.at[pid, "construction_cny"], after.at[pid, "construction_cny"]
        lines.append(f"  {pid:12s} {_wan(t):>9s} {_wan(b):>9s} {_wan(a):>9s} {_wan(a - t):>7s}")
    for pid in (UNALLOCATED, "all"):
        lines.append(f"  {pid:12s} {'':>9s} {_wan(before.at[pid, 'construction_cny']):>9s} "
                     f"{_wan(after.at[pid, 'construction_cny']):>9s}")
    lines.append("total investment (万元): computed | stated | difference")
    for pid, r in after.iterrows():
        lines.append(f"  {pid:12s} {_wan(r['total_cny']):>9s} {_wan(r['stated_total_cny']):>9s} "
                     f"{_wan(r['difference_cny']):>8s}")
    return "\n".join(lines)


def write_prices(prices: pd.Series, path: Path = CATALOGUE) -> None:
    """Rewrite the ``unit_price_cny`` column of the catalogue CSV, nothing else."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index("unit_price_cny")
    for row in rows[1:]:
        row[col] = f"{prices[row[0]]:.1f}".removesuffix(".0")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="rewrite the catalogue's prices")
    args = ap.parse_args(argv)
    result = fit()
    print(report(result))
    if args.write:
        write_prices(result["prices"])
        print(f"wrote {CATALOGUE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
