"""Plan versions: what changed between two versions of a plan.

Features are matched by id in each layer (``community_id``, ``building_id``,
``pipe_id``, ``facility_id``, ``structure_id``, ``barrier_id``). Each feature
that changed gets one row in :attr:`PlanDiff.features`:

- ``added`` / ``removed``: the id is only in the new / old version;
- ``moved``: the shape is the same but shifted: the old geometry translated
  by the shift of its centroid lies within ``tolerance_m`` of the new one
  (Hausdorff distance) while the shift itself is larger; ``shift_m`` is
  the centroid shift;
- ``reshaped``: the geometry changed otherwise (Hausdorff distance between
  the versions larger than ``tolerance_m``, given in ``hausdorff_m``);
- ``attributes``: same geometry, different attributes.

``attributes`` lists every attribute that changed (``households: 24 → 30``)
whatever the geometry did; attributes are compared on the columns both
versions have, numbers to a relative 1e-9. ``size_old``/``size_new`` are
areas (m²) of polygons and lengths (m) of lines.

:attr:`PlanDiff.scope` compares the two scopes item by item for every
community, the unassigned area, every street and the city: quantities and
costs old, new and the change, plus a ``total_cost`` row per area. Zones are
left out (their ids are renumbered when communities change).

The new version is reprojected to the old one's CRS if they differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.analysis.scope import Scope
from gisplan.inputs.schema import SCHEMAS
from gisplan.inputs.validation import Layers
from gisplan.plan.settings import LAYER_NAMES

FEATURE_COLUMNS = ["layer", "feature_id", "change", "shift_m", "hausdorff_m", "size_old",
                   "size_new", "size_unit", "attributes"]
SCOPE_COLUMNS = ["level", "area_id", "area_name", "item", "name_zh", "unit", "quantity_old",
                 "quantity_new", "quantity_change", "cost_old_cny", "cost_new_cny",
                 "cost_change_cny"]
SCOPE_LEVELS = ("community", "unassigned", "street", "city")


@dataclass(frozen=True)
class PlanDiff:
    """Differences between two plan versions.

    Attributes
    ----------
    features : DataFrame
        One row per changed feature; see ``FEATURE_COLUMNS``.
    scope : DataFrame
        Quantity and cost changes per area and item; see ``SCOPE_COLUMNS``.
    geometries : GeoDataFrame
        The changed features for a map: ``layer``, ``feature_id``,
        ``change``, ``version`` (``old`` or ``new``: removed features are
        old, added and attribute-only ones new, moved and reshaped ones
        both), in ``crs``.
    crs : str
    unchanged : dict of str to int
        Per layer, how many features are in both versions unchanged.
    """

    features: pd.DataFrame
    scope: pd.DataFrame
    geometries: gpd.GeoDataFrame
    crs: str
    unchanged: dict[str, int] = field(default_factory=dict)


def _size(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dim = shapely.get_dimensions(geoms)
    size = np.where(dim == 2, shapely.area(geoms), np.where(dim == 1, shapely.length(geoms),
                                                               np.nan))
    return size.round(3), np.where(dim == 2, "m²", np.where(dim == 1, "m", "")).astype(object)


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise equality with missing == missing and numbers to a relative 1e-9."""
    na = a.isna().to_numpy() & b.isna().to_numpy()
    x, y = pd.to_numeric(a, errors="coerce"), pd.to_numeric(b, errors="coerce")
    numeric = (x.notna() | a.isna()).all() and (y.notna() | b.isna()).all()
    if numeric:
        eq = np.isclose(x.to_numpy(dtype=float), y.to_numpy(dtype=float), rtol=1e-9, atol=0)
    else:
        eq = (a.astype(object).to_numpy() == b.astype(object).to_numpy())
    return na | eq


def _attribute_changes(old: pd.DataFrame, new: pd.DataFrame) -> np.ndarray:
    """``col: old → new; ...`` per row of two aligned frames ('' where none)."""
    out = np.full(len(old), "", dtype=object)
    for col in old.columns:
        diff = ~_same(old[col], new[col])
        if diff.any():
            a = old[col].astype(object).where(old[col].notna(), None).to_numpy()[diff]
            b = new[col].astype(object).where(new[col].notna(), None).to_numpy()[diff]
            text = np.array([f"{col}: {x} → {y}" for x, y in zip(a, b, strict=True)],
                            dtype=object)
            out[diff] = np.where(out[diff] == "", text, out[diff] + "; " + text)
    return out


def diff_layer(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, id_column: str, *, layer: str,
               tolerance_m: float = 0.01) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Changed features of one layer (rows) and their geometries (for a map).

    ``old`` and ``new`` must be in the same metric CRS.
    """
    o = old.set_index(old[id_column].astype(str))
    n = new.set_index(new[id_column].astype(str))
    removed, added = o.index.difference(n.index), n.index.difference(o.index)
    common = o.index.intersection(n.index)
    og = np.asarray(o.geometry.loc[common].array)
    ng = np.asarray(n.geometry.loc[common].array)
    hausdorff = shapely.hausdorff_distance(og, ng)
    same = hausdorff <= tolerance_m
    c_old, c_new = shapely.centroid(og), shapely.centroid(ng)
    delta = shapely.get_coordinates(c_new) - shapely.get_coordinates(c_old)
    counts = shapely.get_num_coordinates(og)
    step = np.repeat(delta, counts, axis=0)
    shifted = shapely.transform(og, lambda xy: xy + step)
    shift = shapely.distance(c_old, c_new)
    moved = ~same & (shift > tolerance_m) & (shapely.hausdorff_distance(shifted, ng)
                                             <= tolerance_m)
    cols = [c for c in o.columns.intersection(n.columns) if c not in (id_column, o.geometry.name)]
    attrs = _attribute_changes(o.loc[common, cols], n.loc[common, cols])
    change = np.where(same, np.where(attrs != "", "attributes", ""),
                      np.where(moved, "moved", "reshaped"))
    keep = change != ""
    size_old, unit = _size(og)
    size_new, unit_new = _size(ng)
    rows = [pd.DataFrame({"feature_id": common[keep], "change": change[keep],
                          "shift_m": shift[keep].round(3),
                          "hausdorff_m": hausdorff[keep].round(3),
                          "size_old": size_old[keep], "size_new": size_new[keep],
                          "size_unit": np.where(unit == "", unit_new, unit)[keep],
                          "attributes": attrs[keep]})]
    for ids, frame, kind in ((removed, o, "removed"), (added, n, "added")):
        size, unit = _size(np.asarray(frame.geometry.loc[ids].array))
        rows.append(pd.DataFrame({"feature_id": ids, "change": kind,
                                  "size_old" if kind == "removed" else "size_new": size,
                                  "size_unit": unit, "attributes": ""}))
    table = pd.concat([r for r in rows if len(r)] or rows[:1], ignore_index=True)
    table.insert(0, "layer", layer)
    table = table.reindex(columns=FEATURE_COLUMNS)

    changed = common[keep]
    both = np.isin(change[keep], ["moved", "reshaped"])
    pieces = [(o, removed, "removed", "old"), (n, added, "added", "new"),
              (n, changed, change[keep], "new"), (o, changed[both], change[keep][both], "old")]
    geoms = [gpd.GeoDataFrame({"layer": layer, "feature_id": ids, "change": kind,
                               "version": version}, geometry=frame.geometry.loc[ids].values,
                              crs=frame.crs)
             for frame, ids, kind, version in pieces if len(ids)]
    shapes = (pd.concat(geoms, ignore_index=True) if geoms else
              gpd.GeoDataFrame({"layer": [], "feature_id": [], "change": [], "version": []},
                               geometry=[], crs=old.crs))
    return table, shapes


def diff_scope(old: pd.DataFrame, new: pd.DataFrame, *, levels: tuple[str, ...] = SCOPE_LEVELS,
               changed_only: bool = True) -> pd.DataFrame:
    """Quantities and costs of two scope tables side by side, per area and item.

    A ``total_cost`` row per area gives the change of its whole cost.
    """
    key = ["level", "area_id", "item"]
    desc = ["area_name", "name_zh", "unit"]
    a = old[old["level"].isin(levels)]
    b = new[new["level"].isin(levels)]
    m = a[key + desc + ["quantity", "cost_cny"]].merge(
        b[key + desc + ["quantity", "cost_cny"]], on=key, how="outer", suffixes=("_old", "_new"))
    for col in desc:
        m[col] = m[f"{col}_new"].fillna(m[f"{col}_old"])
    out = pd.DataFrame({**{c: m[c] for c in key + desc},
                        "quantity_old": m["quantity_old"].fillna(0.0),
                        "quantity_new": m["quantity_new"].fillna(0.0),
                        "cost_old_cny": m["cost_cny_old"].fillna(0.0),
                        "cost_new_cny": m["cost_cny_new"].fillna(0.0)})
    totals = out.groupby(["level", "area_id"], sort=False).agg(
        area_name=("area_name", "first"), cost_old_cny=("cost_old_cny", "sum"),
        cost_new_cny=("cost_new_cny", "sum")).reset_index()
    totals = totals.assign(item="total_cost", name_zh="费用合计", unit="元")
    out = pd.concat([out, totals], ignore_index=True)
    # differences of sums carry float noise (-191.0100000000001): quantities to 1e-6,
    # money to the fen
    out["quantity_change"] = (out["quantity_new"] - out["quantity_old"]).round(6)
    out["cost_change_cny"] = (out["cost_new_cny"] - out["cost_old_cny"]).round(2)
    if changed_only:
        moved = (out["quantity_change"].abs() > 1e-9) | (out["cost_change_cny"].abs() > 1e-6)
        out = out[moved]
    rank = {lv: i for i, lv in enumerate(levels)}
    out = out.assign(_l=out["level"].map(rank), _t=out["item"] == "total_cost")
    out = out.sort_values(["_l", "area_id", "_t"], kind="stable").drop(columns=["_l", "_t"])
    return out[SCOPE_COLUMNS].reset_index(drop=True)


def diff_plans(old: Layers, new: Layers, *, old_scope: Scope, new_scope: Scope,
               tolerance_m: float = 0.01) -> PlanDiff:
    """Compare two versions of a plan: features per layer and scope per area.

    Parameters
    ----------
    old, new : Layers
        The two versions' validated layers.
    old_scope, new_scope : Scope, keyword-only
        Their scopes (:func:`gisplan.analysis.scope.compute_scope`).
    tolerance_m : float, keyword-only
        Geometry differences up to this distance are no change.

    Returns
    -------
    PlanDiff
    """
    crs = old.plan.crs
    tables, shapes, unchanged = [], [], {}
    for name in LAYER_NAMES:
        a, b = old.layer(name), new.layer(name)
        if b.crs is not None and not b.crs.equals(a.crs):
            b = b.to_crs(a.crs)
        t, g = diff_layer(a, b, SCHEMAS[name].id, layer=name, tolerance_m=tolerance_m)
        ids = SCHEMAS[name].id
        common = pd.Index(a[ids].astype(str)).intersection(pd.Index(b[ids].astype(str)))
        unchanged[name] = int(len(common) - t["change"].isin(
            ["moved", "reshaped", "attributes"]).sum())
        tables.append(t)
        shapes.append(g)
    features = pd.concat(tables, ignore_index=True)
    geoms = gpd.GeoDataFrame(pd.concat(shapes, ignore_index=True), geometry="geometry", crs=crs)
    return PlanDiff(features=features, scope=diff_scope(old_scope.table, new_scope.table),
                    geometries=geoms, crs=crs, unchanged=unchanged)
