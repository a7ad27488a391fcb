"""``[selection]`` of plan.toml: the yearly budgets of the multi-year programme.

::

    [selection]
    budgets = { "2021" = 60000000, "2022" = 50000000, "2023" = 50000000 }  # CNY, years in order
    objective = "households"        # or "priority": the communities' `priority` column
    keep_zones_together = true      # a contiguous zone is chosen whole, in one year, or not at all
    time_limit_s = 60               # the solver's time limit (optional)

The command line (``gisplan select --budget 2021=60000000 ...``) replaces these;
:func:`parse_budget_flags` reads its ``--budget`` values.

Examples
--------
>>> parse_budget_flags(["2021=6e7", "2022=50000000"])
{'2021': 60000000.0, '2022': 50000000.0}
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gisplan.errors import GisplanError

if TYPE_CHECKING:
    from gisplan.plan.settings import _Collector

OBJECTIVES = ("households", "priority")
KEYS = ("budgets", "objective", "keep_zones_together", "time_limit_s")
#: A budget year: four digits, within reason.
YEAR = re.compile(r"^(19|20|21)\d\d$")
MAX_BUDGET = 1e15
MAX_TIME_LIMIT_S = 86_400.0


@dataclass(frozen=True)
class SelectionSettings:
    """``[selection]``: budgets per year (in order), objective, zones, solver time limit."""

    budgets: dict[str, float]
    objective: str = "households"
    keep_zones_together: bool = True
    time_limit_s: float = 60.0


def _budget_problems(budgets: dict[str, Any]) -> list[str]:
    """What is wrong with year -> CNY pairs (empty when nothing)."""
    problems = []
    if not budgets:
        return ["at least one year's budget is needed, e.g. budgets = { \"2021\" = 60000000 }"]
    for year, value in budgets.items():
        if not YEAR.match(str(year)):
            problems.append(f"budget year {year!r} is not a year such as \"2021\"")
        if (isinstance(value, bool) or not isinstance(value, int | float)
                or not math.isfinite(value) or not 0 <= value <= MAX_BUDGET):
            problems.append(f"budget of {year} must be a finite number of CNY >= 0 and "
                            f"<= {MAX_BUDGET:g}, got {value!r}")
    years = [str(y) for y in budgets]
    if all(YEAR.match(y) for y in years) and years != sorted(years, key=int):
        problems.append(f"budget years must be in order, got {', '.join(years)}")
    return problems


def parse_selection(col: _Collector, section: dict[str, Any]) -> SelectionSettings | None:
    """The ``[selection]`` table checked into settings; problems go to ``col``.

    Returns None when a problem leaves nothing usable (the caller raises with all problems).
    """
    col.known_keys(section, "selection", KEYS)
    budgets = section.get("budgets")
    if not isinstance(budgets, dict):
        col.bad("selection", "'budgets' is required: a table of year = CNY, e.g. "
                             "budgets = { \"2021\" = 60000000, \"2022\" = 50000000 }")
        budgets = {}
    else:
        for problem in _budget_problems(budgets):
            col.bad("selection", f"'budgets': {problem}")
    objective = section.get("objective", "households")
    if objective not in OBJECTIVES:
        col.bad("selection", f"'objective' must be one of {list(OBJECTIVES)}, got {objective!r}")
    keep = section.get("keep_zones_together", True)
    if not isinstance(keep, bool):
        col.bad("selection", f"'keep_zones_together' must be true or false, got {keep!r}")
    limit = col.number(section, "selection", "time_limit_s", SelectionSettings.time_limit_s,
                       minimum=0.01, maximum=MAX_TIME_LIMIT_S)
    if not budgets or _budget_problems(budgets) or objective not in OBJECTIVES or not isinstance(
            keep, bool):
        return None
    return SelectionSettings(budgets={str(y): float(v) for y, v in budgets.items()},
                             objective=objective, keep_zones_together=keep, time_limit_s=limit)


def parse_budget_flags(values: Sequence[str]) -> dict[str, float]:
    """``--budget YEAR=CNY`` values as year -> CNY, in the order given.

    Raises
    ------
    GisplanError
        A value that is not ``YEAR=CNY``, a year given twice, years out of order, or
        an amount that is not a finite number >= 0.

    Examples
    --------
    >>> parse_budget_flags(["2021=abc"])
    Traceback (most recent call last):
    ...
    gisplan.errors.GisplanError: --budget 2021=abc: expected YEAR=CNY, e.g. --budget 2021=60000000
    """
    budgets: dict[str, float] = {}
    for text in values:
        year, sep, amount = text.partition("=")
        try:
            value = float(amount) if sep else math.nan
        except ValueError:
            value = math.nan
        if not sep or math.isnan(value):
            raise GisplanError(f"--budget {text}: expected YEAR=CNY, e.g. --budget "
                               "2021=60000000")
        if year.strip() in budgets:
            raise GisplanError(f"--budget {text}: year {year.strip()} is given twice")
        budgets[year.strip()] = value
    problems = _budget_problems(budgets)
    if problems:
        raise GisplanError("--budget: " + "; ".join(problems))
    return budgets
