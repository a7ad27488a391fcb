"""A plan's communities as selection candidates: cost, households, weight, zone, fixed year.

Each community's cost is its community-level scope cost (the sum of ``cost_cny``
over its rows of :attr:`gisplan.analysis.scope.Scope.table`), its households the
scope's ``households`` figure; the weight is the households, or the communities'
``priority`` column for ``objective="priority"``. The zone is the one
:func:`gisplan.analysis.zones.detect_zones` found (communities its filters left
out stand alone), and the unit the zone when zones are kept together.

Examples
--------
>>> from gisplan.analysis.scope import compute_scope
>>> from gisplan.analysis.zones import detect_zones
>>> from gisplan.inputs.validation import load_layers
>>> layers = load_layers("layers/hunchun2020")
>>> zones = detect_zones(layers)
>>> c = candidates(layers, compute_scope(layers, zones=zones.membership), zones)
>>> len(c), int(c["households"].sum()), c["unit"].nunique()
(17, 5054, 4)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gisplan.analysis.scope import Scope
from gisplan.analysis.zones import Zones
from gisplan.errors import ValidationError
from gisplan.inputs.problems import Report
from gisplan.inputs.validation import Layers, file_column
from gisplan.plan.selection import OBJECTIVES

COLUMNS = ["name", "zone_id", "cost_cny", "households", "weight", "unit", "year"]


def candidates(layers: Layers, scope: Scope, zones: Zones, *, objective: str = "households",
               keep_zones_together: bool = True) -> pd.DataFrame:
    """One row per community, indexed by ``community_id`` (see the module description).

    Parameters
    ----------
    layers : Layers
    scope : Scope
        Computed with ``zones=zones.membership``.
    zones : Zones
    objective : {"households", "priority"}, keyword-only
    keep_zones_together : bool, keyword-only
        False: every community is a unit of its own.

    Returns
    -------
    DataFrame
        ``name``, ``zone_id`` (None outside every zone), ``cost_cny``, ``households``,
        ``weight``, ``unit`` (the zone, or None) and ``year`` (fixed year or None).

    Raises
    ------
    ValidationError
        ``objective="priority"`` and the communities have no ``priority`` column, or
        a community has none.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    com = layers.communities
    ids = com["community_id"].astype(str).to_numpy(dtype=object)
    index = pd.Index(ids, name="community_id")
    rows = scope.table[scope.table["level"] == "community"]
    area = rows["area_id"].astype(str)
    cost = rows["cost_cny"].fillna(0.0).groupby(area).sum().reindex(ids, fill_value=0.0)
    households = (rows["quantity"][rows["item"] == "households"]
                  .groupby(area[rows["item"] == "households"]).sum()
                  .reindex(ids, fill_value=0.0))
    zone = zones.membership.copy()
    zone.index = zone.index.astype(str)
    zone_id = zone.reindex(ids).astype(object)
    zone_id = zone_id.where(zone_id.notna(), None).to_numpy(dtype=object)
    weight = households.to_numpy(float) if objective == "households" else _priority(layers)
    year = (com["year"].astype(object).where(com["year"].notna(), None).to_numpy(dtype=object)
            if "year" in com else np.full(len(com), None, dtype=object))

    def text(values: np.ndarray) -> pd.Series:
        return pd.Series(values, index=index, dtype=object)

    return pd.DataFrame({
        "name": text(com["name"].astype(object).to_numpy(dtype=object)),
        "zone_id": text(zone_id),
        "cost_cny": cost.to_numpy(float),
        "households": households.to_numpy(float),
        "weight": np.asarray(weight, dtype=float),
        "unit": text(zone_id if keep_zones_together else np.full(len(ids), None)),
        "year": text(np.array([None if v is None else str(int(v)) for v in year],
                              dtype=object)),
    }, index=index)[COLUMNS]


def _priority(layers: Layers) -> np.ndarray:
    """The communities' ``priority``; located errors where the column or a value is missing."""
    com = layers.communities
    field = file_column(layers.plan, "communities", "priority")
    report = Report()
    if "priority" not in com:
        report.add("error", "communities", "missing_column",
                   f"column '{field}' is missing; objective \"priority\" needs a number >= 0 "
                   "for every community (higher first)", field=field)
        raise ValidationError(report)
    values = com["priority"].to_numpy(dtype=float, na_value=np.nan)
    for cid in com["community_id"][np.isnan(values)]:
        report.add("error", "communities", "missing_value",
                   "empty; objective \"priority\" needs a number >= 0 for every community",
                   feature_id=str(cid), field=field)
    if report.errors:
        raise ValidationError(report)
    return values
