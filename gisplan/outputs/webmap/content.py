"""What the web map shows: per-layer attribute tables and scope rows, built vectorised.

:func:`map_content` turns a plan's :class:`~gisplan.inputs.validation.Layers`,
:class:`~gisplan.analysis.scope.Scope` and :class:`~gisplan.analysis.zones.Zones` into one
:class:`LayerTable` per map layer (geometry, the columns popups show, and
the scope rows of each feature) plus the shared look-ups: the work-item
dictionary, choropleth classes and headline figures. :func:`encode_layer`
turns a table, or a subset of its features, into JSON-ready lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pyproj import Transformer

from gisplan.analysis.headline import headline as report_headline
from gisplan.analysis.quantities import building_quantities
from gisplan.analysis.scope import Scope, level_figures
from gisplan.analysis.zones import Zones
from gisplan.inputs.validation import UNASSIGNED, Layers
from gisplan.outputs.webmap.pack import category, csr, num, pack_geometries, text
from gisplan.outputs.webmap.styles import facility_kind, quantile_breaks, ramp
from gisplan.plan.catalogue import describe_items, pipe_item
from gisplan.plan.settings import METRICS

#: Drawing order, bottom to top; also the order of the layer control.
LAYER_ORDER = ("communities", "zones", "buildings", "structures", "pipes", "facilities",
               "barriers")
#: Layers that go to per-area files beside the page in the coarse view.
DETAIL_LAYERS = ("buildings", "structures", "pipes", "facilities")
HEADLINE = ("communities", "buildings", "households", "floor_area_m2")


@dataclass(frozen=True)
class LayerTable:
    """One map layer before encoding.

    Attributes
    ----------
    geoms : ndarray
        Shapely geometries in the plan CRS, one per feature.
    columns : dict
        Column name -> (kind, values) with kind ``num`` (values rounded to the
        given digits: ``num:1``), ``text`` or ``cat``.
    rows : DataFrame or None
        Scope rows sorted by ``owner`` (feature position): ``item`` (position
        in the item dictionary), ``q`` and optionally ``cost`` and ``declared``.
    """

    geoms: np.ndarray
    columns: dict[str, tuple[str, Any]]
    rows: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        # Plain numpy arrays, so that take() and slice() cost only what they return.
        cols = {k: (kind, _array(kind, v)) for k, (kind, v) in self.columns.items()}
        object.__setattr__(self, "columns", cols)
        object.__setattr__(self, "geoms", np.asarray(self.geoms, dtype=object))

    def __len__(self) -> int:
        return len(self.geoms)

    def take(self, positions: np.ndarray) -> LayerTable:
        """The features at ``positions``, in that order, with their scope rows."""
        positions = np.asarray(positions, dtype=np.int64)
        rows = self.rows
        if rows is not None:
            inverse = np.full(len(self), -1, dtype=np.int64)
            inverse[positions] = np.arange(len(positions))
            owner = inverse[rows["owner"].to_numpy()]
            keep = owner >= 0
            rows = rows[keep].assign(owner=owner[keep])
            rows = rows.iloc[np.argsort(rows["owner"].to_numpy(), kind="stable")]
        return LayerTable(self.geoms[positions],
                          {k: (kind, v[positions]) for k, (kind, v) in self.columns.items()},
                          rows)

    def slice(self, start: int, stop: int) -> LayerTable:
        """Features ``start:stop``, their scope rows found by bisection (rows are sorted)."""
        rows = self.rows
        if rows is not None:
            lo, hi = np.searchsorted(rows["owner"].to_numpy(), [start, stop])
            rows = rows.iloc[lo:hi].assign(owner=rows["owner"].to_numpy()[lo:hi] - start)
        return LayerTable(self.geoms[start:stop],
                          {k: (kind, v[start:stop]) for k, (kind, v) in self.columns.items()},
                          rows)


def _array(kind: str, values: Any) -> np.ndarray:
    if kind.startswith("num"):
        return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan)
    return pd.Series(values, dtype=object).to_numpy(dtype=object)


@dataclass(frozen=True)
class MapContent:
    """Everything the page needs, before encoding."""

    tables: dict[str, LayerTable]
    items: pd.DataFrame
    choropleth: dict[str, dict[str, Any]]
    headline: dict[str, float]
    crs: str


def _positions(ids: pd.Series, keys: Any) -> np.ndarray:
    """Position of each key in ``ids`` (-1 where absent)."""
    return pd.Index(ids.astype(object)).get_indexer(pd.Series(keys, dtype=object))


def _pivot(table: pd.DataFrame, level: str, ids: pd.Series) -> pd.DataFrame:
    """Headline quantities and cost per area of ``level``, in the order of ``ids``."""
    wide = level_figures(table, level, HEADLINE).rename(columns={"cost_cny": "cost"})
    wide = wide.reindex(index=pd.Index(ids.astype(object))).fillna(0.0)
    hh = wide["households"].to_numpy()
    wide["cost_per_household"] = np.where(hh > 0, wide["cost"].to_numpy() / np.where(
        hh > 0, hh, 1.0), np.nan)
    return wide


def _scope_rows(table: pd.DataFrame, level: str, ids: pd.Series,
                item_pos: pd.Series) -> pd.DataFrame:
    """Work-item rows (not headline metrics) of one level, by feature position."""
    t = table[(table["level"] == level) & (table["group"] != "metric")
              & (table["quantity"] != 0)]
    owner = _positions(ids, t["area_id"])
    rows = pd.DataFrame({"owner": owner, "item": item_pos.reindex(t["item"]).to_numpy(),
                         "q": t["quantity"].to_numpy(), "cost": t["cost_cny"].to_numpy(),
                         "declared": (t["source"] != "derived").to_numpy()})
    return rows[rows["owner"] >= 0].sort_values("owner", kind="stable")


def _building_rows(layers: Layers, buildings: pd.DataFrame, wide: pd.DataFrame,
                   item_pos: pd.Series) -> pd.DataFrame:
    """Per-building work items: geometry-derived, with surveyed figures standing over them.

    ``wide`` is :func:`building_quantities` of ``buildings``.
    """
    cat = layers.catalogue
    codes = np.array([c for c in wide.columns if c in cat.index], dtype=object)
    q = wide[list(codes)].to_numpy(dtype=float)
    owner, col = np.nonzero(q)
    derived = pd.DataFrame({"owner": owner, "code": codes[col], "q": q[owner, col],
                            "declared": False})
    decl = layers.declared[layers.declared["target_kind"] == "building"]
    decl = decl.groupby(["target_id", "item"], sort=False)["quantity"].sum().reset_index()
    declared = pd.DataFrame({"owner": _positions(buildings["building_id"], decl["target_id"]),
                             "code": decl["item"].to_numpy(dtype=object),
                             "q": decl["quantity"].to_numpy(dtype=float), "declared": True})
    declared = declared[declared["owner"] >= 0]
    key = pd.MultiIndex.from_frame(declared[["owner", "code"]])
    shadowed = pd.MultiIndex.from_frame(derived[["owner", "code"]]).isin(key)
    rows = pd.concat([derived[~shadowed], declared], ignore_index=True)
    rows["item"] = item_pos.reindex(rows["code"]).to_numpy()
    rank = rows["item"].to_numpy()
    order = np.lexsort((rank, rows["owner"].to_numpy()))
    return rows.iloc[order][["owner", "item", "q", "declared"]].reset_index(drop=True)


def _items(scope: Scope, layers: Layers, extra_codes: list[pd.Series]) -> pd.DataFrame:
    codes = pd.concat([scope.table["item"], *extra_codes], ignore_index=True).dropna()
    items = describe_items(codes.astype(str), layers.catalogue)
    items = items[items["group"] != "metric"]
    return items.assign(pos=np.arange(len(items)))


def map_content(layers: Layers, scope: Scope, zones: Zones, *, metric: str) -> MapContent:
    """Build the tables of every map layer.

    Parameters
    ----------
    layers, scope, zones
        A plan's validated layers, its scope (computed with ``zones``) and zones.
    metric : {"households", "cost", "cost_per_household", "renovation_type"}, keyword-only
        Community choropleth shown on open (the others are one click away).

    Returns
    -------
    MapContent
    """
    a = scope.assignment
    com = layers.communities.reset_index(drop=True)
    com_ids = com["community_id"].astype(object)
    b = a.buildings.reset_index(drop=True)
    pipes = layers.pipes.reset_index(drop=True)
    fac = a.facilities.reset_index(drop=True)
    st = a.structures.reset_index(drop=True)
    bar = layers.barriers.reset_index(drop=True)
    outlines = zones.outlines.reset_index(drop=True)
    pipe_codes = pipe_item(pipes["network"], pipes["diameter_mm"])
    items = _items(scope, layers, [pipe_codes, fac["item"].astype(object)])
    item_pos = items["pos"]
    tables: dict[str, LayerTable] = {}

    # Communities: attributes, headline figures, choropleth values and scope rows.
    fig = _pivot(scope.table, "community", com_ids)
    zone_of = com_ids.map(zones.membership)
    tables["communities"] = LayerTable(
        geoms=np.asarray(com.geometry.array),
        columns={"id": ("text", com_ids), "name": ("text", com["name"]),
                 "street": ("cat", com["street"]), "rtype": ("cat", com["renovation_type"]),
                 "zone": ("cat", zone_of), "buildings": ("num:0", fig["buildings"]),
                 "households": ("num:0", fig["households"]),
                 "floor_area": ("num:1", fig["floor_area_m2"]),
                 "cost": ("num:0", fig["cost"]),
                 "cost_per_household": ("num:0", fig["cost_per_household"])},
        rows=_scope_rows(scope.table, "community", com_ids, item_pos))

    zfig = _pivot(scope.table, "zone", outlines["zone_id"])
    tables["zones"] = LayerTable(
        geoms=np.asarray(outlines.geometry.array),
        columns={"id": ("text", outlines["zone_id"]),
                 "communities": ("num:0", outlines["communities"]),
                 "buildings": ("num:0", zfig["buildings"]),
                 "households": ("num:0", zfig["households"]),
                 "floor_area": ("num:1", zfig["floor_area_m2"]), "cost": ("num:0", zfig["cost"])},
        rows=_scope_rows(scope.table, "zone", outlines["zone_id"], item_pos))

    bcom = _positions(com_ids, b["community_id"])
    rtype = np.where(bcom >= 0, com["renovation_type"].to_numpy(dtype=object)[bcom], UNASSIGNED)
    bq = building_quantities(b, layers.catalogue, settings=layers.plan.scope)
    bcols: dict[str, tuple[str, Any]] = {"id": ("text", b["building_id"])}
    if "name" in b and b["name"].notna().any():
        bcols["name"] = ("text", b["name"])
    bcols.update({"com": ("num:0", bcom), "rtype": ("cat", rtype),
                  "roof": ("cat", b["roof"]), "floors": ("num:0", b["floors"]),
                  "households": ("num:0", b["households"]), "units": ("num:0", b["units"]),
                  "floor_area": ("num:1", bq["floor_area_m2"])})
    tables["buildings"] = LayerTable(np.asarray(b.geometry.array), bcols,
                                     _building_rows(layers, b, bq, item_pos))

    scope_pipe = (pipes["action"] != "keep").to_numpy()
    pieces = a.pipe_pieces
    owner = _positions(pipes["pipe_id"], pieces["pipe_id"])
    prow = pd.DataFrame({"owner": owner, "com": _positions(com_ids, pieces["community_id"]),
                         "len": pieces["length_m"].to_numpy()})
    prow = prow[prow["owner"] >= 0].sort_values("owner", kind="stable")
    length = pipes.geometry.length.to_numpy()
    price = items["unit_price_cny"].reindex(pipe_codes).to_numpy(dtype=float)
    tables["pipes"] = LayerTable(
        geoms=np.asarray(pipes.geometry.array),
        columns={"id": ("text", pipes["pipe_id"]), "net": ("cat", pipes["network"]),
                 "dn": ("num:0", pipes["diameter_mm"]), "act": ("cat", pipes["action"]),
                 "len": ("num:1", length),
                 "item": ("num:0", np.where(scope_pipe, item_pos.reindex(pipe_codes).to_numpy(
                     dtype=float), -1)),
                 "cost": ("num:0", np.where(scope_pipe, length * np.nan_to_num(price), np.nan))},
        rows=prow)

    fcode = fac["item"].astype(object)
    fprice = items["unit_price_cny"].reindex(fcode).to_numpy(dtype=float)
    tables["facilities"] = LayerTable(
        geoms=np.asarray(fac.geometry.array),
        columns={"id": ("text", fac["facility_id"]),
                 "item": ("num:0", item_pos.reindex(fcode).to_numpy(dtype=float)),
                 "kind": ("cat", facility_kind(fcode)),
                 "q": ("num:2", fac["quantity"]),
                 "cost": ("num:0", fac["quantity"].to_numpy(dtype=float) * fprice),
                 "com": ("num:0", _positions(com_ids, fac["community_id"]))})
    tables["structures"] = LayerTable(
        geoms=np.asarray(st.geometry.array),
        columns={"id": ("text", st["structure_id"]), "kind": ("cat", st["kind"]),
                 "status": ("cat", st["status"]), "area": ("num:1", st.geometry.area),
                 "com": ("num:0", _positions(com_ids, st["community_id"]))})
    tables["barriers"] = LayerTable(
        geoms=np.asarray(bar.geometry.array),
        columns={"id": ("text", bar["barrier_id"]), "kind": ("cat", bar["kind"])})

    choropleth = {m: {"breaks": quantile_breaks(fig[m].to_numpy(), classes=len(ramp(m))),
                      "colors": ramp(m)} for m in METRICS if m != "renovation_type"}
    totals = report_headline(scope)
    headline = {**{k: totals[k] for k in HEADLINE}, "cost": totals["cost_cny"]}
    return MapContent(tables=tables, items=items, choropleth=choropleth, headline=headline,
                      crs=str(layers.plan.crs))


def _encode_column(kind: str, values: Any) -> Any:
    if kind == "text":
        return text(values)
    if kind == "cat":
        return category(values)
    return num(values, digits=int(kind.split(":")[1]))


def encode_layer(table: LayerTable, *, transformer: Transformer,
                 tolerance: float) -> dict[str, Any]:
    """JSON-ready dict of a layer (see :meth:`LayerTable.take` for a subset).

    Returns ``{"n", "geom", "cols", "rows"}``; ``rows`` (scope rows) is
    grouped by feature with counts ``n``.
    """
    geoms = table.geoms
    cols = table.columns
    rows = table.rows
    out: dict[str, Any] = {
        "n": len(geoms),
        "geom": pack_geometries(geoms, transformer=transformer, tolerance=tolerance),
        "cols": {k: _encode_column(kind, v) for k, (kind, v) in cols.items()},
    }
    if rows is not None:
        body: dict[str, list] = {}
        for name in rows.columns.drop("owner"):
            values = rows[name]
            if name == "declared":
                body["d"] = np.flatnonzero(values.to_numpy(dtype=bool)).tolist()
            elif name in ("item", "com"):
                body[name] = num(values, digits=0)
            else:
                body[name] = num(values, digits=2)
        out["rows"] = csr(rows["owner"].to_numpy(), len(geoms), body)
    return out
