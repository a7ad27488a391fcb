"""``[access]``: walking distances to services, and the standards they come from.

The walking distance within which each kind of service should be reached is
read from ``gisplan/plan/data/service_standards.csv`` (GB 50180-2018 life
circles and the 2020 complete-community standard; see that folder's README);
a plan may override it per kind::

    [access]
    max_walk_m = { kindergarten = 300 }   # per kind, metres
    snap_max_m = 200                      # farther from every walkable road: unreachable

Examples
--------
>>> standards = load_service_standards()
>>> float(standards.loc["kindergarten", "max_walk_m"]), int(standards.loc["market", "life_circle"])
(300.0, 10)
>>> from pathlib import Path
>>> from gisplan.plan.settings import _Collector
>>> col = _Collector(Path("plan.toml"))
>>> s = parse_access(col, {"max_walk_m": {"market": 600}})
>>> s.max_walk("market"), s.max_walk("kindergarten"), s.snap_max_m, col.problems
(600.0, 300.0, 200.0, [])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd

from gisplan.plan.catalogue import read_data

if TYPE_CHECKING:
    from gisplan.plan.settings import _Collector

STANDARD_COLUMNS = ["kind", "name_zh", "name_en", "max_walk_m", "life_circle", "source"]
LIFE_CIRCLES = (5, 10, 15)
DEFAULT_SNAP_MAX_M = 200.0


def load_service_standards() -> pd.DataFrame:
    """The kinds of service with their default walking distance, indexed by ``kind``.

    Returns
    -------
    DataFrame
        ``name_zh``, ``name_en``, ``max_walk_m`` (float, metres), ``life_circle``
        (5, 10 or 15 minutes) and ``source`` (the standard and clause), in file order;
        a copy the caller may change.
    """
    return _standards().copy()


@cache
def _standards() -> pd.DataFrame:
    table = read_data("service_standards.csv")
    out = table.set_index("kind")
    out["max_walk_m"] = pd.to_numeric(out["max_walk_m"]).astype(float)
    out["life_circle"] = pd.to_numeric(out["life_circle"]).astype(int)
    if not out["life_circle"].isin(LIFE_CIRCLES).all() or not (out["max_walk_m"] > 0).all():
        raise ValueError("service_standards.csv: life_circle must be 5, 10 or 15 and "
                         "max_walk_m > 0")
    return out


@dataclass(frozen=True)
class AccessSettings:
    """``[access]``: per-kind walking distances and how far a feature may be from a road."""

    max_walk_m: dict[str, float] = field(default_factory=dict)
    snap_max_m: float = DEFAULT_SNAP_MAX_M

    def max_walk(self, kind: str) -> float:
        """The plan's walking distance for ``kind``, else the standard's (metres)."""
        if kind in self.max_walk_m:
            return self.max_walk_m[kind]
        return float(_standards().at[kind, "max_walk_m"])


def _positive(value: Any) -> bool:
    return (not isinstance(value, bool) and isinstance(value, int | float)
            and math.isfinite(value) and value > 0)


def parse_access(col: _Collector, section: dict[str, Any]) -> AccessSettings:
    """Check ``[access]``; every problem goes to ``col`` (located), defaults stand in."""
    kinds = list(load_service_standards().index)
    for key in sorted(set(section) - {"max_walk_m", "snap_max_m"}):
        col.bad("access", f"unknown key '{key}'; expected max_walk_m, snap_max_m")
    overrides: dict[str, float] = {}
    given = section.get("max_walk_m", {})
    if not isinstance(given, dict):
        col.bad("access", "'max_walk_m' must be a table of kind = metres, e.g. "
                          "{ kindergarten = 300 }")
        given = {}
    for kind, value in given.items():
        if kind not in kinds:
            col.bad("access.max_walk_m", f"unknown kind of service '{kind}'; expected one of "
                                         f"{kinds} (gisplan/plan/data/service_standards.csv)")
        elif not _positive(value):
            col.bad("access.max_walk_m",
                    f"'{kind}' must be a finite number of metres > 0, got {value!r}")
        else:
            overrides[kind] = float(value)
    snap = section.get("snap_max_m", DEFAULT_SNAP_MAX_M)
    if not _positive(snap):
        col.bad("access", f"'snap_max_m' must be a finite number of metres > 0, got {snap!r}")
        snap = DEFAULT_SNAP_MAX_M
    return AccessSettings(max_walk_m=overrides, snap_max_m=float(snap))
