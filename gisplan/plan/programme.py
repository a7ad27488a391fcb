"""``[programme]`` and ``[investment]``: the plan's projects, milestones and cost rates.

``[programme]`` names three CSV files of the plan folder (read and checked by
:mod:`gisplan.inputs.programme`); ``[investment]`` holds the rates that turn a
project's construction cost (建安工程费用) into its total investment, and the
plan-level figures the plan states::

    [programme]
    projects   = "projects.csv"     # required in the section
    milestones = "milestones.csv"   # required in the section
    progress   = "progress.csv"     # optional

    [investment]
    other_rate = 0.12               # 工程建设其他费用 = construction x other_rate
    contingency_rate = 0.05         # 基本预备费 = (construction + other) x contingency_rate
    stated_total_cny = 180_000_000  # optional plan-level stated figures

Examples
--------
>>> from pathlib import Path
>>> from gisplan.plan.settings import _Collector
>>> col = _Collector(Path("plan.toml"))
>>> parse_investment(col, {"other_rate": 0.12, "contingency_rate": 1.5}).other_rate
0.12
>>> col.problems
["plan.toml: [investment] 'contingency_rate' must be a number in [0, 1), got 1.5"]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gisplan.plan.settings import _Collector

#: Plan-level stated figures ``[investment]`` may carry (CNY).
STATED_KEYS = ("stated_total_cny", "stated_construction_cny", "stated_other_cny",
               "stated_contingency_cny")
RATE_KEYS = ("other_rate", "contingency_rate")
FILE_KEYS = ("projects", "milestones", "progress")


@dataclass(frozen=True)
class ProgrammeSettings:
    """``[programme]``: where the projects, milestones and progress tables are (absolute)."""

    projects: Path
    milestones: Path
    progress: Path | None = None


@dataclass(frozen=True)
class InvestmentSettings:
    """``[investment]``: cost rates and the plan-level stated figures (None where not stated)."""

    other_rate: float = 0.0
    contingency_rate: float = 0.0
    stated_total_cny: float | None = None
    stated_construction_cny: float | None = None
    stated_other_cny: float | None = None
    stated_contingency_cny: float | None = None


def valid_rate(value: Any) -> bool:
    """A rate is a finite number in [0, 1).

    >>> [valid_rate(x) for x in (0.0, 0.999, 1, True, float("nan"))]
    [True, True, False, False, False]
    """
    return (not isinstance(value, bool) and isinstance(value, int | float)
            and math.isfinite(value) and 0 <= value < 1)


def parse_programme(col: _Collector, root: Path, section: dict[str, Any]
                    ) -> ProgrammeSettings | None:
    """``[programme]`` with its file paths resolved against ``root``; problems go to ``col``."""
    for key in sorted(set(section) - set(FILE_KEYS)):
        col.bad("programme", f"unknown key '{key}'; expected {', '.join(FILE_KEYS)}")
    paths: dict[str, Path | None] = {}
    for key in FILE_KEYS:
        value = section.get(key)
        if value is None:
            if key != "progress":
                col.bad("programme", f"'{key}' is required (a CSV file of the plan folder, "
                                     f"e.g. \"{key}.csv\")")
            paths[key] = None
        elif not isinstance(value, str) or not value.strip():
            col.bad("programme", f"'{key}' must be a relative file path, got {value!r}")
            paths[key] = None
        else:
            paths[key] = (root / value).resolve()
    if paths["projects"] is None or paths["milestones"] is None:
        return None
    return ProgrammeSettings(projects=paths["projects"], milestones=paths["milestones"],
                             progress=paths["progress"])


def parse_investment(col: _Collector, section: dict[str, Any]) -> InvestmentSettings:
    """``[investment]``: rates in [0, 1), stated figures finite and >= 0; problems go to ``col``."""
    for key in sorted(set(section) - set(RATE_KEYS) - set(STATED_KEYS)):
        col.bad("investment", f"unknown key '{key}'; expected one of "
                              f"{', '.join(RATE_KEYS + STATED_KEYS)}")
    values: dict[str, float | None] = {}
    for key in RATE_KEYS:
        value = section.get(key, 0.0)
        if not valid_rate(value):
            col.bad("investment", f"'{key}' must be a number in [0, 1), got {value!r}")
            value = 0.0
        values[key] = float(value)
    for key in STATED_KEYS:
        value = section.get(key)
        if value is None:
            values[key] = None
        elif (isinstance(value, bool) or not isinstance(value, int | float)
              or not math.isfinite(value) or value < 0):
            col.bad("investment", f"'{key}' must be a finite number >= 0 (CNY), got {value!r}")
            values[key] = None
        else:
            values[key] = float(value)
    return InvestmentSettings(**values)  # type: ignore[arg-type]
