"""Community facts: what the features of each community add up to, per item.

Buildings give their headline metrics and the quantities derived from their
geometry (:func:`building_quantities`), pipe pieces their lengths, facilities
their quantities, standing illegal structures their area. Surveyed (declared)
figures stand over derived ones: per building in :func:`partial_facts`, per
community in :func:`finish_facts`. Every partial fact is a sum over features,
so the dask engine computes them per partition and adds them up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from gisplan.inputs.assign import Assignment
from gisplan.inputs.grouping import as_frame, sum_by, sum_in_groups
from gisplan.inputs.validation import Layers
from gisplan.plan.settings import ScopeSettings

BUILDING_KINDS = ("roof_area:flat", "roof_area:pitched", "facade_area", "units")


def building_quantities(buildings: pd.DataFrame, catalogue: pd.DataFrame, *,
                        settings: ScopeSettings) -> pd.DataFrame:
    """Headline metrics and geometry-derived items per building (wide, float).

    Roof area is the footprint for flat roofs and the footprint times
    ``pitched_roof_factor`` for pitched ones; façade area is perimeter x
    floors x ``storey_height_m``; unit doors and door plates are ``units``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from gisplan.plan.catalogue import load_catalogue
    >>> from gisplan.plan.settings import ScopeSettings
    >>> b = gpd.GeoDataFrame({"floors": [5], "households": [30], "units": [3],
    ...                       "roof": ["flat"]}, geometry=[shapely.box(0, 0, 60, 12)])
    >>> q = building_quantities(b, load_catalogue(), settings=ScopeSettings())
    >>> q.loc[0, ["floor_area_m2", "roof_flat_waterproof", "facade_paint", "unit_door"]].tolist()
    [3600.0, 720.0, 2088.0, 3.0]
    """
    return pd.DataFrame(_building_columns(buildings, catalogue, settings=settings),
                        index=buildings.index)


def _building_columns(buildings: pd.DataFrame, catalogue: pd.DataFrame, *,
                      settings: ScopeSettings) -> dict[str, NDArray]:
    """The columns of :func:`building_quantities`, as arrays."""
    area = buildings.geometry.area.to_numpy()
    floors = buildings["floors"].to_numpy(dtype=float)
    units = buildings["units"].to_numpy(dtype=float)
    roof = buildings["roof"].to_numpy(dtype=object)
    kinds = {
        "roof_area:flat": np.where(roof == "flat", area, 0.0),
        "roof_area:pitched": np.where(roof == "pitched", area * settings.pitched_roof_factor, 0.0),
        "facade_area": buildings.geometry.length.to_numpy() * floors * settings.storey_height_m,
        "units": units,
    }
    registered = (pd.to_numeric(buildings["floor_area_m2"]).to_numpy(dtype=float)
                  if "floor_area_m2" in buildings else np.full(len(buildings), np.nan))
    out = {
        "buildings": np.ones(len(buildings)),
        "households": buildings["households"].to_numpy(dtype=float),
        "floor_area_m2": np.where(np.isnan(registered), area * floors, registered),
        "footprint_area_m2": area,
        "units": units,
    }
    derived = catalogue[catalogue["derived_from"].isin(BUILDING_KINDS)]
    for code, kind in derived["derived_from"].items():
        out[code] = kinds[kind]
    return out


def _facts(community_id: ArrayLike, item: ArrayLike, **values: ArrayLike) -> dict[str, NDArray]:
    """One block of partial facts as equal-length arrays (absent columns are NaN)."""
    community_id = np.asarray(community_id, dtype=object)
    n = len(community_id)
    out = {"community_id": community_id,
           "item": np.broadcast_to(np.asarray(item, dtype=object), (n,))}
    for col in PARTIAL_COLUMNS:
        out[col] = np.asarray(values[col], dtype=float) if col in values else np.full(n, np.nan)
    return out


def _summed(frame: pd.DataFrame, value: str) -> dict[str, NDArray]:
    """``value`` summed per (community_id, item) of ``frame``, as derived facts."""
    first, sums = sum_by([frame["community_id"], frame["item"]], {"v": frame[value]})
    return _facts(frame["community_id"].to_numpy(dtype=object)[first],
                  frame["item"].to_numpy(dtype=object)[first], quantity_derived=sums["v"])


#: The additive columns of :func:`partial_facts` (summable over any split of the features).
PARTIAL_COLUMNS = ["quantity_derived", "declared_b", "derived_overridden"]


def partial_facts(assignment: Assignment, catalogue: pd.DataFrame, *, settings: ScopeSettings,
                  declared: pd.DataFrame) -> pd.DataFrame:
    """Additive facts per (community, item) of some of the features, before community overrides.

    Every fact is a sum over features, so the facts of any split of the
    buildings, pipe pieces, facilities and structures (each assigned against
    *all* communities) can be concatenated and summed: that is how the dask
    engine (:mod:`gisplan.engines.distributed`) runs this per partition. A surveyed
    figure for a building replaces that building's derived figure here, as the
    building is in the same subset as its declared rows.

    Parameters
    ----------
    assignment : Assignment
        Features (all or a subset) with their communities.
    catalogue : DataFrame
    settings : ScopeSettings, keyword-only
    declared : DataFrame, keyword-only
        Declared quantities (``target_id``, ``item``, ``quantity``) for
        buildings; rows whose building is not among ``assignment.buildings``
        are ignored.

    Returns
    -------
    DataFrame
        ``community_id``, ``item`` and ``PARTIAL_COLUMNS``, one row per fact
        (not yet summed; missing values count as 0). See :func:`sum_facts`.
    """
    b = assignment.buildings
    columns = _building_columns(b, catalogue, settings=settings)
    # Per community, sorted by id: one bincount per column, item after item.
    code, coms = pd.factorize(b["community_id"], sort=True)
    coms = np.asarray(coms, dtype=object)  # each has buildings: factorize saw it
    sums = sum_in_groups(code, columns)
    parts = [_facts(np.tile(coms, len(columns)),
                    np.repeat(np.array(list(columns), dtype=object), len(coms)),
                    quantity_derived=np.concatenate(list(sums.values())) if sums else [])]
    parts.append(_summed(assignment.pipe_pieces, "length_m"))
    parts.append(_summed(assignment.facilities, "quantity"))
    st = assignment.structures
    standing = st[st["status"] != "demolished"]
    parts.append(_facts(standing["community_id"], "structures_area_m2",
                        quantity_derived=standing.geometry.area.to_numpy()))
    if len(declared):
        home = b["community_id"].to_numpy(dtype=object)
        parts += _declared_for_buildings(b, columns, home, declared)
    return as_frame({col: np.concatenate([part[col] for part in parts])
                         for col in ["community_id", "item", *PARTIAL_COLUMNS]})


def _declared_for_buildings(buildings: pd.DataFrame, columns: dict[str, NDArray],
                            home: NDArray, declared: pd.DataFrame) -> list[dict[str, NDArray]]:
    """Surveyed building figures, and the derived figures they replace (negated)."""
    pos = pd.Index(buildings["building_id"].to_numpy(dtype=object)).get_indexer(
        declared["target_id"])
    mine = pos >= 0
    pos, declared = pos[mine], declared[mine]
    first, sums = sum_by([declared["target_id"], declared["item"]], {"q": declared["quantity"]})
    item = declared["item"].to_numpy(dtype=object)[first]
    where = pos[first]
    parts = [_facts(home[where], item, declared_b=sums["q"])]
    # A surveyed figure for a building replaces that building's derived figure.
    shadow = np.full(len(item), np.nan)
    for code in set(item) & set(columns):
        hit = item == code
        shadow[hit] = columns[code][where[hit]]
    over = ~np.isnan(shadow)
    if over.any():
        parts.append(_facts(home[where[over]], item[over], quantity_derived=-shadow[over],
                            derived_overridden=shadow[over]))
    return parts


def sum_facts(facts: pd.DataFrame) -> pd.DataFrame:
    """Partial facts summed per (community, item); they can be summed again."""
    first, sums = sum_by([facts["community_id"], facts["item"]],
                         {col: facts[col] for col in PARTIAL_COLUMNS})
    return as_frame({"community_id": facts["community_id"].to_numpy(dtype=object)[first],
                         "item": facts["item"].to_numpy(dtype=object)[first], **sums})


def finish_facts(partial: pd.DataFrame, declared: pd.DataFrame) -> pd.DataFrame:
    """Community facts from the partial facts of all features and the community-level surveys.

    Parameters
    ----------
    partial : DataFrame
        Concatenated :func:`partial_facts` (or :func:`sum_facts`) of every feature.
    declared : DataFrame
        Declared quantities for communities (``target_id`` is a ``community_id``).

    Returns
    -------
    DataFrame
        As :func:`community_quantities`.
    """
    cid = np.concatenate([partial["community_id"].to_numpy(dtype=object),
                          declared["target_id"].to_numpy(dtype=object)])
    item = np.concatenate([partial["item"].to_numpy(dtype=object),
                           declared["item"].to_numpy(dtype=object)])
    n_p, n_c = len(partial), len(declared)
    values = {col: np.concatenate([partial[col].to_numpy(dtype=float), np.zeros(n_c)])
              for col in PARTIAL_COLUMNS}
    values["declared_c"] = np.concatenate([np.zeros(n_p),
                                           declared["quantity"].to_numpy(dtype=float)])
    values["has_c"] = np.concatenate([np.zeros(n_p), declared["quantity"].notna().to_numpy()])
    first, sums = sum_by([cid, item], values)
    # A surveyed figure for a community is that community's total for the item.
    c = sums["has_c"] > 0
    derived = np.where(c, 0.0, sums["quantity_derived"])
    declared_q = np.where(c, sums["declared_c"], sums["declared_b"])
    return as_frame({
        "community_id": cid[first], "item": item[first],
        "quantity": derived + declared_q, "quantity_derived": derived,
        "quantity_declared": declared_q,
        "derived_overridden": sums["derived_overridden"]
        + np.where(c, sums["quantity_derived"], 0.0),
    })


def community_quantities(layers: Layers, assignment: Assignment) -> pd.DataFrame:
    """Quantities per (community, item), declared figures standing over derived ones.

    The additive part is :func:`partial_facts`, the community-level surveys
    are applied by :func:`finish_facts`.

    Returns
    -------
    DataFrame
        ``community_id`` (or ``unassigned``), ``item``, ``quantity_derived``,
        ``quantity_declared``, ``derived_overridden`` (the derived figure a
        declared one replaced) and ``quantity`` (derived + declared).
    """
    decl = layers.declared
    partial = partial_facts(assignment, layers.catalogue, settings=layers.plan.scope,
                            declared=decl[decl["target_kind"] == "building"])
    return finish_facts(partial, decl[decl["target_kind"] == "community"])
