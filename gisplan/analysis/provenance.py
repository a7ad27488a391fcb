"""How each city figure was obtained: measured, counted, summed from attributes, or declared.

A reconciliation that says "77 of 77 figures match" means little until it says
what each figure rests on. :func:`obtained_by` labels every item of a scope's
city level with the ways its quantity came about, in this order:

``measured``
    from geometry: roof and façade areas, pipe lengths, polygon areas (and the
    floor area of buildings without a registered one);
``counted``
    features counted: communities, buildings, point facilities of quantity 1;
``attribute``
    sums of attributes: households, units, registered floor areas, facility
    ``quantity`` values other than the feature's count or area;
``declared``
    surveyed figures of ``quantities.csv``.

Only measured figures test the layers against the plan; counted ones test how
many features were drawn, and attribute and declared ones echo what was typed in.

Examples
--------
>>> combine(pd.DataFrame({"measured": [5.0, 0.0], "counted": [0.0, 0.0],
...                       "attribute": [0.0, 0.0], "declared": [1.0, 2.0]}))
['measured+declared', 'declared']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gisplan.inputs.assign import Assignment
from gisplan.inputs.validation import Layers
from gisplan.plan.catalogue import labels

KINDS = ("measured", "counted", "attribute", "declared")
#: What each metric rests on ("buildings": decided per building, see feature_kinds).
METRICS = {"communities": "counted", "buildings": "counted", "households": "attribute",
           "units": "attribute", "footprint_area_m2": "measured",
           "structures_area_m2": "measured", "floor_area_m2": "buildings"}
DERIVED = {"roof_area:flat": "measured", "roof_area:pitched": "measured",
           "facade_area": "measured", "pipe": "measured", "units": "attribute"}


def combine(shares: pd.DataFrame) -> list[str]:
    """``measured+declared``-style labels of rows of per-kind quantities (``KINDS`` columns)."""
    on = shares[list(KINDS)].abs().to_numpy() > 0
    return ["+".join(k for k, hit in zip(KINDS, row, strict=True) if hit) for row in on]


def obtained_label(obtained: object) -> str:
    """Chinese, then English, for an ``obtained`` value (labels.csv ``obtained.*``).

    >>> obtained_label("measured+declared")
    '几何量测+申报数 measured from geometry + declared'
    """
    if not isinstance(obtained, str) or not obtained:
        return ""
    zh, en = labels(lang="zh"), labels(lang="en")
    parts = obtained.split("+")
    return ("+".join(zh.get(f"obtained.{k}", k) for k in parts) + " "
            + " + ".join(en.get(f"obtained.{k}", k) for k in parts))


def count_obtained(obtained: pd.Series) -> dict[str, int]:
    """How many figures rest on each way, in ``KINDS`` order then mixtures.

    >>> count_obtained(pd.Series(["declared", "measured", "measured+declared"]))
    {'measured': 1, 'declared': 1, 'measured+declared': 1}
    """
    counts = obtained.fillna("").value_counts()
    order = [*KINDS, *sorted(set(counts.index) - set(KINDS))]
    return {k: int(counts[k]) for k in order if k in counts and k}


FEATURE_KINDS = ["counted", "measured", "attribute"]


def obtained_counts(obtained: pd.Series) -> str:
    """:func:`count_obtained` as text, for the terminal.

    >>> obtained_counts(pd.Series(["declared", "measured", "declared"]))
    'measured 1, declared 2'
    """
    return ", ".join(f"{k} {n}" for k, n in count_obtained(obtained).items())


def feature_kinds(layers: Layers, assignment: Assignment) -> pd.DataFrame:
    """What the features add up to by way, per item: facilities and floor area.

    A facility counts (a point) or is measured (a polygon's area) unless its
    ``quantity`` says otherwise, then it is an attribute; floor area is measured
    (footprint x floors) for buildings without a registered ``floor_area_m2``.
    The sums are additive, so the dask engine adds them up over partitions.

    Returns
    -------
    DataFrame
        Indexed by item; columns ``FEATURE_KINDS``.
    """
    parts = []
    f = assignment.facilities
    if len(f):
        given = (pd.to_numeric(layers.facilities["quantity"], errors="coerce")
                 .reindex(f.index).to_numpy(dtype=float)
                 if "quantity" in layers.facilities else np.full(len(f), np.nan))
        quantity = f["quantity"].to_numpy(dtype=float)
        by_area = layers.catalogue["unit"].reindex(f["item"]).to_numpy() == "㎡"
        polygon = f.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy() & by_area
        size = np.where(polygon, f.geometry.area.to_numpy(), 1.0)
        echoes = np.isnan(given) | np.isclose(given, size, rtol=1e-6, atol=1e-3)
        parts.append(pd.DataFrame({
            "item": f["item"].to_numpy(dtype=object),
            "counted": np.where(echoes & ~polygon, quantity, 0.0),
            "measured": np.where(echoes & polygon, quantity, 0.0),
            "attribute": np.where(echoes, 0.0, quantity)}))
    b = layers.buildings
    if len(b):
        registered = (pd.to_numeric(b["floor_area_m2"], errors="coerce").to_numpy(dtype=float)
                      if "floor_area_m2" in b else np.full(len(b), np.nan))
        gross = b.geometry.area.to_numpy() * b["floors"].to_numpy(dtype=float)
        parts.append(pd.DataFrame({
            "item": ["floor_area_m2"], "counted": [0.0],
            "measured": [float(gross[np.isnan(registered)].sum())],
            "attribute": [float(np.nansum(registered))]}))
    if not parts:
        return pd.DataFrame(columns=FEATURE_KINDS, dtype=float)
    return pd.concat(parts, ignore_index=True).groupby("item").sum()[FEATURE_KINDS]


def add_kinds(*parts: pd.DataFrame) -> pd.DataFrame:
    """The sum of several :func:`feature_kinds` (e.g. of partitions)."""
    parts = tuple(p for p in parts if len(p))
    if not parts:
        return pd.DataFrame(columns=FEATURE_KINDS, dtype=float)
    return pd.concat(parts).groupby(level=0).sum()[FEATURE_KINDS]


def obtained_by(table: pd.DataFrame, catalogue: pd.DataFrame,
                kinds: pd.DataFrame) -> pd.DataFrame:
    """How each city-level item of a scope table was obtained.

    Parameters
    ----------
    table : DataFrame
        A scope table (``level``, ``item``, ``quantity_derived``, ``quantity_declared``).
    catalogue : DataFrame
        The work-item catalogue (``derived_from``).
    kinds : DataFrame
        :func:`feature_kinds` of every feature.

    Returns
    -------
    DataFrame
        Indexed by item: the quantity from each of ``KINDS`` and ``obtained`` (the kinds
        joined by ``+``).
    """
    city = table[table["level"] == "city"].set_index("item")
    derived = city["quantity_derived"].astype(float)
    out = pd.DataFrame(0.0, index=city.index, columns=list(KINDS))
    out["declared"] = city["quantity_declared"].astype(float)
    rule = pd.Series(city.index.map(lambda i: METRICS.get(i) or DERIVED.get(
        catalogue["derived_from"].get(i, "")) or ("measured" if str(i).startswith("pipe:")
                                                  else "features")), index=city.index)
    for kind in ("measured", "counted", "attribute"):
        out.loc[rule == kind, kind] = derived[rule == kind]
    # Features (facilities, floor area): their ways in the proportions they add up to.
    split = rule.isin(["features", "buildings"]) & out.index.isin(kinds.index) & (derived != 0)
    if split.any():
        k = kinds.reindex(out.index[split])
        total = k.sum(axis=1)
        scale = (derived[split] / total.where(total != 0)).fillna(0.0)
        for kind in FEATURE_KINDS:
            out.loc[split, kind] = (k[kind] * scale).to_numpy()
    out["obtained"] = combine(out)
    return out
