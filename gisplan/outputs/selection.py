"""The files of ``gisplan select``: selection.csv, selection_summary.csv, selection.json.

``selection.csv`` has one row per community (``year`` empty when not chosen),
``selection_summary.csv`` one row per year and ``total``; ``selection.json`` says
how the solver ended (status, objective, bound, gap, tie-break), one key a line.
The page is :mod:`gisplan.outputs.pages.selection`.

Examples
--------
>>> write_selection(selection, cand, Path("out"), settings=run_settings)  # doctest: +SKIP
[PosixPath('out/selection.csv'), PosixPath('out/selection_summary.csv'), ...]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import scipy

from gisplan import __version__
from gisplan.analysis.selection import STATUS_ZH, Selection
from gisplan.outputs.tables import write_csv

CSV_COLUMNS = ["community_id", "name", "zone_id", "year", "cost_cny", "households", "weight",
               "fixed_year", "note"]


def selection_table(selection: Selection, candidates: pd.DataFrame) -> pd.DataFrame:
    """One row per community: the columns of ``selection.csv``."""
    chosen = selection.chosen
    return pd.DataFrame({
        "community_id": candidates.index.astype(str).to_numpy(dtype=object),
        "name": candidates["name"].to_numpy(dtype=object),
        "zone_id": candidates["zone_id"].to_numpy(dtype=object),
        "year": chosen["year"].to_numpy(dtype=object),
        "cost_cny": candidates["cost_cny"].round(2).to_numpy(),
        "households": candidates["households"].to_numpy(),
        "weight": candidates["weight"].to_numpy(),
        "fixed_year": chosen["fixed"].to_numpy(),
        "note": chosen["note"].to_numpy(dtype=object),
    })[CSV_COLUMNS]


def summary_table(selection: Selection, candidates: pd.DataFrame) -> pd.DataFrame:
    """Per year and ``total``: budget, cost, communities, households and weight chosen."""
    chosen = selection.chosen["year"].notna()
    households = candidates["households"][chosen].groupby(selection.chosen["year"][chosen]).sum()
    y = selection.years
    rows = pd.DataFrame({"year": y["year"].to_numpy(dtype=object),
                         "budget_cny": y["budget_cny"].to_numpy(),
                         "cost_cny": y["cost_cny"].round(2).to_numpy(),
                         "communities": y["candidates"].to_numpy(),
                         "households": households.reindex(y["year"], fill_value=0).to_numpy(),
                         "weight": y["weight"].to_numpy()})
    total = {"year": "total", **{c: rows[c].sum() for c in rows.columns if c != "year"}}
    # Sums of rounded yearly figures carry float noise (903344.8999999999); the total is the
    # exact sum rounded once.
    total["cost_cny"] = round(float(y["cost_cny"].sum()), 2)
    total["budget_cny"] = round(float(y["budget_cny"].sum()), 2)
    return pd.concat([rows, pd.DataFrame([total])], ignore_index=True)


def solver_report(selection: Selection, *, objective: str, keep_zones_together: bool,
                  time_limit_s: float | None, budgets: dict[str, float]) -> dict[str, Any]:
    """What ``selection.json`` holds."""
    s = selection
    listed = int((s.chosen["note"] != "").sum())
    return {
        "status": s.status, "status_zh": STATUS_ZH[s.status],
        "objective": objective, "objective_value": s.objective, "bound": s.bound,
        "gap": s.gap, "weight_years": s.weight_years, "tie_break": s.tie_break,
        "found_by": s.found_by, "greedy_objective_value": s.greedy_objective,
        "solver": f"HiGHS (scipy {scipy.__version__} optimize.milp)",
        "seconds": round(s.seconds, 3), "time_limit_s": time_limit_s,
        "keep_zones_together": keep_zones_together, "budgets_cny": budgets,
        "candidates": len(s.chosen), "units": s.units, "variables": s.variables,
        "chosen": int(s.chosen["year"].notna().sum()), "too_expensive": listed,
        "gisplan": __version__,
    }


def write_selection(selection: Selection, candidates: pd.DataFrame, folder: Path, *,
                    report: dict[str, Any]) -> list[Path]:
    """Write the three files into ``folder``; return their paths."""
    paths = [folder / "selection.csv", folder / "selection_summary.csv",
             folder / "selection.json"]
    write_csv(selection_table(selection, candidates), paths[0])
    write_csv(summary_table(selection, candidates), paths[1])
    paths[2].write_text(json.dumps(report, ensure_ascii=False, indent=1, allow_nan=False)
                        + "\n", encoding="utf-8")
    return paths
