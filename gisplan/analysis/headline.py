"""Headline figures and the reconciliation verdict: what every summary says.

The terminal summary of ``gisplan run``, ``report.html`` and the web map's
title bar all show the same few city totals and the same count of stated
figures matched; they take them from here, so they cannot disagree.

Examples
--------
>>> from gisplan.analysis.headline import headline
>>> from gisplan.analysis.scope import compute_scope
>>> from gisplan.inputs.validation import load_layers
>>> h = headline(compute_scope(load_layers("layers/hunchun2020")))
>>> int(h["households"]), int(h["communities"])
(5054, 17)
"""

from __future__ import annotations

import pandas as pd

from gisplan.analysis.scope import Scope

#: (item, Chinese, English, unit) of the headline figures.
HEADLINE = (("communities", "社区", "communities", "个"), ("buildings", "楼栋", "buildings", "栋"),
            ("households", "户数", "households", "户"),
            ("floor_area_m2", "建筑面积", "floor area", "㎡"))
#: A computed figure matches a stated one when they differ by at most this share.
MATCH_TOLERANCE = 1e-6


def headline(scope: Scope) -> dict[str, float]:
    """City totals: the headline metrics and ``cost_cny``.

    Parameters
    ----------
    scope : Scope
        A computed scope.

    Returns
    -------
    dict
        ``communities``, ``buildings``, ``households``, ``floor_area_m2`` and
        ``cost_cny`` (0 where the scope has none).
    """
    city = scope.table[scope.table["level"] == "city"]
    q = city.set_index("item")["quantity"]
    out = {item: float(q.get(item, 0.0)) for item, *_ in HEADLINE}
    out["cost_cny"] = float(city["cost_cny"].sum())
    return out


def reconciliation(scope: Scope) -> pd.DataFrame | None:
    """The stated figures with ``matches`` (within :data:`MATCH_TOLERANCE`), or None.

    Parameters
    ----------
    scope : Scope
        A computed scope; ``scope.reconciliation`` is None when the plan states no figures.

    Returns
    -------
    DataFrame or None
        The rows that have a stated figure, with a boolean ``matches`` column.
    """
    r = scope.reconciliation
    if r is None:
        return None
    r = r.dropna(subset=["stated"]).reset_index(drop=True)
    off = r["difference"].abs() > MATCH_TOLERANCE * r["stated"].abs().clip(lower=1)
    return r.assign(matches=~off.to_numpy())
