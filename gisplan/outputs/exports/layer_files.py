"""Files for other tools: GeoJSON, GeoPackage, Shapefile and DXF, and the zone outputs.

:func:`enrich_layers` gives every layer of a plan the figures a design firm
needs beside each feature: its ``community_id`` and ``zone_id``, the derived
figures of each building (floor area, roof and façade areas, doors, cost),
each pipe's length and cost, each community's headline scope figures.
:func:`write_exports` writes those layers in any of four formats:

- ``geojson``: one RFC 7946 file per layer (written through GDAL with
  ``RFC7946=YES``: EPSG:4326 lon/lat, counter-clockwise exterior rings,
  7 decimals, a ``bbox``, no ``crs`` member, UTF-8);
- ``gpkg``: one GeoPackage with every layer, in the plan's working CRS;
- ``shp``: Shapefiles in the working CRS, GBK (default) or UTF-8 with a
  ``.cpg``, 10-character field names mapped by
  ``gisplan/plan/data/shapefile_fields.csv`` (see :mod:`gisplan.outputs.exports.shapefile`);
- ``dxf``: one CAD drawing in the working CRS (see :mod:`gisplan.outputs.exports.dxf`).

Layers without features are not written.

Examples
--------
>>> from gisplan.inputs.validation import load_layers
>>> from gisplan.analysis.scope import compute_scope
>>> layers = load_layers("layers/hunchun2020")                        # doctest: +SKIP
>>> scope = compute_scope(layers)                                     # doctest: +SKIP
>>> write_exports(layers, scope, None, Path("out"), formats=["gpkg"])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.analysis.quantities import building_quantities
from gisplan.analysis.scope import Scope, level_figures
from gisplan.analysis.zones import Zones
from gisplan.errors import GisplanError
from gisplan.inputs.assign import pipe_split
from gisplan.inputs.spatial import keep_family
from gisplan.inputs.validation import UNASSIGNED, Layers
from gisplan.outputs.exports.dxf import write_dxf
from gisplan.outputs.exports.shapefile import write_shapefiles
from gisplan.outputs.tables import write_csv
from gisplan.plan.catalogue import describe_items, pipe_item

HEADLINE = ["buildings", "households", "floor_area_m2"]
#: Exported layers, in the order they are written.
LAYERS = ("communities", "buildings", "pipes", "facilities", "structures", "barriers", "zones")
ID_COLUMNS = {"communities": "community_id", "buildings": "building_id", "pipes": "pipe_id",
              "facilities": "facility_id", "structures": "structure_id",
              "barriers": "barrier_id", "zones": "zone_id"}
FORMATS = ("geojson", "gpkg", "shp", "dxf")


def write_rfc7946(gdf: gpd.GeoDataFrame, path: Path, *, bbox: bool = True) -> Path:
    """Write ``gdf`` as RFC 7946 GeoJSON in EPSG:4326 lon/lat.

    The frame is reprojected with pyproj first (whose transformers are
    cached: ~15x faster than GDAL setting one up for every small file), then
    GDAL writes it with ``RFC7946=YES``.
    """
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs("EPSG:4326")
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio", RFC7946="YES",
                COORDINATE_PRECISION=7, WRITE_NAME="NO", WRITE_BBOX="YES" if bbox else "NO")
    return path


def zone_features(zones: Zones, scope: Scope) -> gpd.GeoDataFrame:
    """Zone outlines with their headline figures from the scope's zone level."""
    figures = level_figures(scope.table, "zone", HEADLINE)
    figures.index = figures.index.astype(object)  # an empty level gives a float index
    out = zones.outlines.join(figures, on="zone_id")
    out[[*HEADLINE, "cost_cny"]] = out[[*HEADLINE, "cost_cny"]].fillna(0.0)
    out["buildings"] = out["buildings"].astype(int)
    out["households"] = out["households"].astype(int)
    out["floor_area_m2"] = out["floor_area_m2"].round(2)
    out["cost_cny"] = out["cost_cny"].round(2)
    return out


def write_zone_files(zones: Zones, scope: Scope, folder: Path) -> list[Path]:
    """``zones.geojson``, ``zone_links.csv`` and ``zone_pipes.csv`` in ``folder``."""
    written = [write_rfc7946(zone_features(zones, scope), folder / "zones.geojson")]
    links = zones.links.assign(gap_m=zones.links["gap_m"].round(3),
                               joined=zones.links["joined"].map({True: "true", False: "false"}))
    for name, frame in (("zone_links.csv", links), ("zone_pipes.csv", zones.shared_pipes)):
        write_csv(pd.DataFrame(frame), folder / name)
        written.append(folder / name)
    return written


# -- enrichment ------------------------------------------------------------------------------

def _zone_of(ids: pd.Series, zones: Zones | None) -> pd.Series:
    if zones is None:
        return pd.Series(None, index=ids.index, dtype=object)
    zone = ids.map(zones.membership).astype(object)
    return zone.where(zone.notna(), None)


def _priced(frame: pd.DataFrame, items: pd.Series, catalogue: pd.DataFrame) -> pd.DataFrame:
    """``name_zh``, ``unit`` and ``unit_price_cny`` of each row's item."""
    desc = describe_items(items, catalogue)
    return pd.DataFrame({c: desc[c].reindex(items).to_numpy() for c in
                         ("name_zh", "unit", "unit_price_cny")}, index=frame.index)


def building_figures(layers: Layers, scope: Scope) -> pd.DataFrame:
    """Per building: floor area used, footprint, every derived item and its cost.

    A quantity declared for the building (``quantities.csv``) stands over the
    derived one, as in the scope; items declared for some buildings only are
    0 for the others. ``cost_cny`` prices every item column. Figures declared
    for a whole community are not spread over its buildings.
    """
    b = scope.assignment.buildings
    wide = building_quantities(b, layers.catalogue, settings=layers.plan.scope)
    wide = wide.drop(columns=["buildings", "households", "units"])
    decl = layers.declared[layers.declared["target_kind"] == "building"]
    if len(decl):
        pivot = decl.pivot_table(index="target_id", columns="item", values="quantity",
                                 aggfunc="sum")
        given = pivot.reindex(b["building_id"].to_numpy()).set_axis(wide.index)
        for item in given.columns:
            base = wide[item] if item in wide else 0.0
            wide[item] = given[item].fillna(base)
    items = [c for c in wide.columns if c in layers.catalogue.index]
    price = describe_items(items, layers.catalogue)["unit_price_cny"].fillna(0.0)
    wide["cost_cny"] = wide[items].to_numpy() @ price.reindex(items).to_numpy()
    return wide.round(3)


def _pipe_cost(pipes: pd.DataFrame) -> np.ndarray:
    """Length times unit price for pipes to be built or replaced; 0 for ``keep``."""
    return np.where(pipes["action"] != "keep",
                    pipes["length_m"] * pipes["unit_price_cny"].fillna(0), 0.0).round(2)


def _community_figures(scope: Scope) -> pd.DataFrame:
    return level_figures(scope.table, "community", [*HEADLINE, "structures_area_m2"]).round(3)


def enrich_layers(layers: Layers, scope: Scope,
                  zones: Zones | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Every layer with its community, zone and scope figures, in the plan's CRS.

    Parameters
    ----------
    layers : Layers
        Validated layers.
    scope : Scope
        The plan's scope (its assignment gives each feature its community).
    zones : Zones, optional
        Adds ``zone_id`` to every feature and the ``zones`` layer.

    Returns
    -------
    dict of str to GeoDataFrame
        Keyed by the names in ``LAYERS``; new frames, the inputs are not
        changed. Added columns: ``community_id`` (``unassigned`` where none)
        and ``zone_id`` everywhere but barriers; communities get
        ``area_m2``, the headline figures and ``cost_cny``; buildings the
        columns of :func:`building_figures`; pipes ``community_ids`` (every
        community they cross), ``length_m``, ``item``, ``name_zh``,
        ``unit``, ``unit_price_cny`` and ``cost_cny`` (0 for ``keep``);
        facilities their item's name, unit, price and cost; structures
        ``area_m2``.
    """
    a = scope.assignment
    com = layers.communities.copy()
    figures = _community_figures(scope).reindex(com["community_id"])
    com["zone_id"] = _zone_of(com["community_id"], zones)
    com["area_m2"] = com.geometry.area.round(3)
    for col in figures.columns:
        com[col] = figures[col].fillna(0.0).to_numpy()
    for col in ("buildings", "households"):
        com[col] = com[col].astype("int64")

    buildings = a.buildings.copy()
    buildings["zone_id"] = _zone_of(buildings["community_id"], zones)
    figs = building_figures(layers, scope)
    for col in figs.columns:
        buildings[col] = figs[col].to_numpy()

    pipes = layers.pipes.copy()
    geoms = np.asarray(pipes.geometry.array)
    ids = np.append(com["community_id"].to_numpy(dtype=object), UNASSIGNED)
    li, ai, length = pipe_split(layers)
    inside = ai >= 0
    pieces = pd.DataFrame({"pipe": li[inside], "id": ids[ai[inside]], "len": length[inside]})
    # The community holding the longest piece (ties: the first listed), as largest_share.
    home = pieces.assign(pos=ai[inside]).sort_values(["pipe", "len", "pos"],
                                                     ascending=[True, False, True])
    home = home.drop_duplicates("pipe").set_index("pipe")["id"]
    pipes["community_id"] = home.reindex(np.arange(len(pipes))).fillna(UNASSIGNED).to_numpy(
        dtype=object)
    pieces = pieces.drop_duplicates(["pipe", "id"]).sort_values(["pipe", "id"])
    # Most pipes lie in one community: join ids only for the few that cross borders.
    crossed = pieces.drop_duplicates("pipe").set_index("pipe")["id"]
    several = pieces[pieces["pipe"].duplicated(keep=False)]
    crossed.update(several.groupby("pipe")["id"].agg(",".join))
    pipes["community_ids"] = crossed.reindex(np.arange(len(pipes))).to_numpy(dtype=object)
    pipes["zone_id"] = _zone_of(pipes["community_id"], zones)
    pipes["length_m"] = shapely.length(geoms).round(3)
    pipes["item"] = pipe_item(pipes["network"], pipes["diameter_mm"]).to_numpy(dtype=object)
    pipes = pipes.join(_priced(pipes, pipes["item"], layers.catalogue))
    pipes["cost_cny"] = _pipe_cost(pipes)

    fac = a.facilities.copy()
    fac["zone_id"] = _zone_of(fac["community_id"], zones)
    fac = fac.join(_priced(fac, fac["item"], layers.catalogue))
    fac["cost_cny"] = (fac["quantity"] * fac["unit_price_cny"].fillna(0.0)).round(2)

    st = a.structures.copy()
    st["zone_id"] = _zone_of(st["community_id"], zones)
    st["area_m2"] = st.geometry.area.round(3)

    out = {"communities": com, "buildings": buildings, "pipes": pipes, "facilities": fac,
           "structures": st, "barriers": layers.barriers.copy()}
    if zones is not None:
        out["zones"] = zone_features(zones, scope)
    return {name: gpd.GeoDataFrame(out[name], geometry="geometry", crs=layers.plan.crs)
            for name in LAYERS if name in out}


def _without_shared_borders(pieces: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """``pieces`` (lines inside one community) less the stretches that run along the border
    of a community listed before it, which count there (as in the scope)."""
    if len(earlier) == 0 or len(pieces) == 0:
        return pieces
    left, right = shapely.STRtree(earlier).query(pieces, predicate="intersects")
    along = shapely.length(keep_family(shapely.intersection(pieces[left], earlier[right]),
                                       "lineal")) > 0
    pieces = pieces.copy()
    for i in np.unique(left[along]):  # the rare pipes laid on a shared border
        others = shapely.union_all(earlier[right[along & (left == i)]])
        pieces[i] = keep_family([shapely.difference(pieces[i], others)], "lineal")[0]
    return pieces


def select_community(enriched: Mapping[str, gpd.GeoDataFrame],
                     community_id: str) -> dict[str, gpd.GeoDataFrame]:
    """One community's share of the enriched layers.

    Buildings, facilities and structures are those counted in the community;
    pipes are cut at its boundary (``length_m`` and ``cost_cny`` are then
    those of the piece inside, as in the scope: a stretch running along a
    border shared with a community listed before it is that community's, see
    :func:`~gisplan.inputs.spatial.split_lengths`); barriers are those touching
    it; the zone is the community's zone.

    Raises
    ------
    GisplanError
        If the plan has no community ``community_id``.
    """
    com = enriched["communities"]
    row = com[com["community_id"] == community_id]
    if row.empty:
        known = ", ".join(map(str, com["community_id"]))
        raise GisplanError(f"community '{community_id}' is not in the communities layer; "
                           f"its community_ids are: {known}")
    area = row.geometry.iloc[0]
    earlier = np.asarray(com.geometry.array)[:com.index.get_loc(row.index[0])]
    out = {"communities": row.copy()}
    for name in ("buildings", "facilities", "structures"):
        g = enriched[name]
        out[name] = g[g["community_id"] == community_id].copy()
    pipes = enriched["pipes"]
    hits = np.sort(pipes.sindex.query(area, predicate="intersects"))
    # The cut keeps the lines inside; a pipe that only touches the boundary leaves nothing.
    piece = keep_family(shapely.intersection(np.asarray(pipes.geometry.array)[hits], area),
                        "lineal")
    piece = _without_shared_borders(piece, earlier)
    inside = ~shapely.is_empty(piece)
    cut = pipes.iloc[hits[inside]].copy()
    cut = cut.set_geometry(gpd.GeoSeries(piece[inside], index=cut.index, crs=pipes.crs))
    cut["community_id"] = community_id
    cut["length_m"] = cut.geometry.length.round(3)
    cut["cost_cny"] = _pipe_cost(cut)
    out["pipes"] = cut
    barriers = enriched["barriers"]
    out["barriers"] = barriers.iloc[np.sort(barriers.sindex.query(area, predicate="intersects"))]
    if "zones" in enriched:
        zone = row["zone_id"].iloc[0]
        out["zones"] = enriched["zones"][enriched["zones"]["zone_id"] == zone].copy()
    return {name: out[name] for name in LAYERS if name in out}


# -- writers ---------------------------------------------------------------------------------

def write_geojson_layers(enriched: Mapping[str, gpd.GeoDataFrame], folder: Path) -> list[Path]:
    """One RFC 7946 ``<layer>.geojson`` per layer with features, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return [write_rfc7946(g, folder / f"{name}.geojson")
            for name, g in enriched.items() if len(g)]


def write_gpkg(enriched: Mapping[str, gpd.GeoDataFrame], path: Path) -> Path:
    """One GeoPackage with a table per layer with features, in the layers' CRS."""
    for name, g in enriched.items():
        if len(g):
            g.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return path


def write_exports(layers: Layers, scope: Scope, zones: Zones | None, folder: Path, *,
                  formats: Sequence[str] = FORMATS, community: str | None = None,
                  shp_encoding: str = "GBK",
                  enriched: Mapping[str, gpd.GeoDataFrame] | None = None) -> list[Path]:
    """Write the enriched layers in ``formats`` into ``folder``.

    Layout: ``geojson/<layer>.geojson``, ``layers.gpkg``,
    ``shp/<layer>.shp`` (with ``shp/fields.csv``) and ``layers.dxf``.

    Parameters
    ----------
    layers, scope, zones
        The plan, its scope and (optionally) its zones.
    folder : Path
        Where to write; give a staging folder (:func:`gisplan.outputs.staging.staged_output`)
        so that a failure leaves nothing half-written.
    formats : sequence of {"geojson", "gpkg", "shp", "dxf"}, keyword-only
    community : str, optional, keyword-only
        Export only this community's features (see :func:`select_community`).
    shp_encoding : {"GBK", "UTF-8"}, keyword-only
    enriched : mapping of str to GeoDataFrame, optional, keyword-only
        ``enrich_layers(layers, scope, zones)``, when the caller already has
        it; computed here otherwise.

    Returns
    -------
    list of Path
        Every file written.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise GisplanError(f"unknown export format(s) {unknown}; expected {list(FORMATS)}")
    if enriched is None:
        enriched = enrich_layers(layers, scope, zones)
    if community is not None:
        enriched = select_community(enriched, community)
    written: list[Path] = []
    if "geojson" in formats:
        written += write_geojson_layers(enriched, folder / "geojson")
    if "gpkg" in formats:
        written.append(write_gpkg(enriched, folder / "layers.gpkg"))
    if "shp" in formats:
        written += write_shapefiles(enriched, folder / "shp", encoding=shp_encoding)
    if "dxf" in formats:
        written.append(write_dxf(enriched, folder / "layers.dxf", crs=layers.plan.crs))
    return written
