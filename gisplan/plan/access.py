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

import difflib
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


#: Walking distances (metres) a plan may set: at least 1 m, at most 100 km.
MAX_WALK_RANGE = (1.0, 100_000.0)
#: How far from a road a feature may be (metres): at least 1 m, at most 10 km.
SNAP_RANGE = (1.0, 10_000.0)


def parse_access(col: _Collector, section: dict[str, Any]) -> AccessSettings:
    """Check ``[access]``; every problem goes to ``col`` (located), defaults stand in."""
    kinds = list(_standards().index)
    col.known_keys(section, "access", ("max_walk_m", "snap_max_m"))
    given = section.get("max_walk_m", {})
    if not isinstance(given, dict):
        col.bad("access", "'max_walk_m' must be a table of kind = metres, e.g. "
                          "{ kindergarten = 300 }")
        given = {}
    overrides: dict[str, float] = {}
    low, high = MAX_WALK_RANGE
    for kind, value in given.items():
        if kind not in kinds:
            near = difflib.get_close_matches(kind, kinds, n=1, cutoff=0.5)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            col.bad("access.max_walk_m", f"unknown kind of service '{kind}'{hint} (known: "
                                         f"{', '.join(kinds)}; gisplan/plan/data/"
                                         "service_standards.csv)")
            continue
        before = len(col.problems)
        metres = col.number({kind: value}, "access.max_walk_m", kind, 0.0, minimum=low,
                            maximum=high)
        if len(col.problems) == before:
            overrides[kind] = metres
    snap = col.number(section, "access", "snap_max_m", DEFAULT_SNAP_MAX_M,
                      minimum=SNAP_RANGE[0], maximum=SNAP_RANGE[1])
    return AccessSettings(max_walk_m=overrides, snap_max_m=snap)
