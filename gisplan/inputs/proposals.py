"""Reading the files of a review: rules, proposals, fire lanes and reviewer markup.

Each reader checks its file the way :mod:`gisplan.inputs.validation` checks a plan's
layers: columns present, ids non-empty and unique, values of the right kind,
geometry present, of the right type and valid, a CRS. Every problem is
collected, located (file, feature id, field, what was expected) and raised
at once as a :class:`~gisplan.errors.ValidationError`; a missing or
unreadable file is a :class:`~gisplan.errors.LayerReadError`. What is
returned is in the plan's working CRS. A bad rules file is a
:class:`~gisplan.errors.RulesError`.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.errors import RulesError, ValidationError
from gisplan.inputs.io import Engine, read_vector
from gisplan.inputs.problems import Report
from gisplan.inputs.schema import LINES, POINTS, POLYGONS, as_text, duplicate_ids
from gisplan.inputs.validation import Layers
from gisplan.plan.settings import LayerSource

MARKUP_COLUMNS = ("reviewer", "time", "comment", "status")


def _text(values: pd.Series) -> pd.Series:
    """Text with blanks as missing (see :func:`gisplan.inputs.schema.as_text`)."""
    return as_text(values, blank_is_missing=True)


def locate(frame: pd.DataFrame, id_column: str | None) -> np.ndarray:
    """How to name each row in a message: its id, else ``row N`` (1-based)."""
    names = np.array([f"row {i + 1}" for i in range(len(frame))], dtype=object)
    if id_column is not None and id_column in frame:
        ids = _text(frame[id_column])
        names[ids.notna().to_numpy()] = ids[ids.notna()].to_numpy(dtype=object)
    return names


def _read(path: str | Path, name: str, layers: Layers, *, columns: dict[str, str],
          geometry: tuple[str, ...], id_column: str | None, engine: Engine,
          report: Report) -> gpd.GeoDataFrame | None:
    """Read one file and check what every review input needs; None if it cannot go on."""
    path = Path(path)
    layer = f"{name} ({path.name})"
    gdf = read_vector(LayerSource(name, path.resolve()), engine=engine)
    missing = [c for c in columns if c not in gdf.columns]
    for col in missing:
        report.add("error", layer, "missing_column",
                   f"column '{col}' is missing; expected {columns[col]}. The file's columns "
                   f"are: {', '.join(map(str, gdf.columns.drop(gdf.geometry.name)))}", field=col)
    if missing:
        return None
    gdf = gdf.reset_index(drop=True)
    where = locate(gdf, id_column)
    if id_column is not None:
        ids = _text(gdf[id_column])
        for idx in np.flatnonzero(ids.isna()):
            report.add("error", layer, "missing_value", "empty; expected a non-empty text id",
                       feature_id=where[idx], field=id_column)
        for value, n in duplicate_ids(ids).items():
            report.add("error", layer, "duplicate_id",
                       f"id '{value}' is used by {n} features; ids must be unique",
                       feature_id=str(value), field=id_column)
        gdf[id_column] = ids
    values = np.asarray(gdf.geometry.array)
    empty = pd.isna(values) | shapely.is_empty(values)
    kinds = np.asarray(gdf.geom_type.fillna(""))
    for idx in np.flatnonzero(empty):
        report.add("error", layer, "empty_geometry", "has no geometry", feature_id=where[idx])
    for idx in np.flatnonzero(~empty & ~np.isin(kinds, geometry)):
        report.add("error", layer, "wrong_geometry_type",
                   f"geometry is {kinds[idx]}; expected {' or '.join(geometry)}",
                   feature_id=where[idx])
    invalid = ~empty & ~shapely.is_valid(values)
    for idx in np.flatnonzero(invalid):
        report.add("error", layer, "invalid_geometry",
                   f"geometry is invalid ({shapely.is_valid_reason(values[idx])}); fix it",
                   feature_id=where[idx])
    if gdf.crs is None:
        if layers.plan.assume_crs is None:
            report.add("error", layer, "no_crs", "the file has no CRS; give it one (e.g. a "
                       ".prj, or save the GeoJSON in EPSG:4326)")
            return None
        gdf = gdf.set_crs(layers.plan.assume_crs)
    return gdf.to_crs(layers.plan.crs)


def read_proposal(path: str | Path, layers: Layers, *,
                  engine: Engine = "pyogrio") -> gpd.GeoDataFrame:
    """Read and check a proposal layer.

    Needs ``facility_id`` (unique), ``item`` and ``community_id`` (a
    community of the plan) and point or polygon geometry.

    Raises
    ------
    LayerReadError
        The file is missing or unreadable.
    ValidationError
        Any problem in it, each located by facility id and field.
    """
    report = Report()
    layer = f"proposal ({Path(path).name})"
    gdf = _read(path, "proposal", layers, engine=engine, report=report,
                columns={"facility_id": "a unique text id", "item": "the facility's work item "
                         "(e.g. ev_charger, bike_shed)", "community_id": "the community_id "
                         "of the community it is planned for"},
                geometry=POINTS + POLYGONS, id_column="facility_id")
    if gdf is not None:
        where = locate(gdf, "facility_id")
        for col in ("item", "community_id"):
            gdf[col] = _text(gdf[col])
            for idx in np.flatnonzero(gdf[col].isna()):
                report.add("error", layer, "missing_value", f"empty; expected {col}",
                           feature_id=where[idx], field=col)
        items = layers.catalogue.index
        bad_item = gdf["item"].notna() & ~gdf["item"].isin(items)
        for idx in np.flatnonzero(bad_item):
            value = str(gdf["item"].iat[idx])
            near = difflib.get_close_matches(value, list(items), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            report.add("error", layer, "unknown_item",
                       f"item '{value}' is not a work item of the catalogue{hint} "
                       "(gisplan/plan/data/work_items.csv)", feature_id=where[idx], field="item")
        known = pd.Index(layers.communities["community_id"])
        unknown = gdf["community_id"].notna() & ~gdf["community_id"].isin(known)
        for idx in np.flatnonzero(unknown):
            report.add("error", layer, "unknown_community",
                       f"community_id '{gdf['community_id'].iat[idx]}' is not in the plan's "
                       f"communities layer; expected one of {', '.join(map(str, known))}",
                       feature_id=where[idx], field="community_id")
    if not report.ok:
        raise ValidationError(report)
    return gdf


def read_fire_lanes(path: str | Path, layers: Layers, *,
                    engine: Engine = "pyogrio") -> gpd.GeoDataFrame:
    """Read and check a fire-lane layer: centrelines with ``lane_id`` and ``width_m`` > 0.

    Raises
    ------
    LayerReadError, ValidationError
    """
    report = Report()
    layer = f"fire_lanes ({Path(path).name})"
    gdf = _read(path, "fire_lanes", layers, engine=engine, report=report,
                columns={"lane_id": "a unique text id",
                         "width_m": "the designated clear width in metres (> 0)"},
                geometry=LINES, id_column="lane_id")
    if gdf is not None:
        width = pd.to_numeric(gdf["width_m"], errors="coerce")
        where = locate(gdf, "lane_id")
        for idx in np.flatnonzero(~(width > 0)):
            report.add("error", layer, "bad_value",
                       f"value {gdf['width_m'].iat[idx]!r} is not a number > 0 (metres)",
                       feature_id=where[idx], field="width_m")
        gdf["width_m"] = width
    if not report.ok:
        raise ValidationError(report)
    return gdf


def read_markup(path: str | Path, layers: Layers, *,
                engine: Engine = "pyogrio") -> gpd.GeoDataFrame:
    """Read reviewer markup exported by the review page's drawing tool.

    Needs ``reviewer``, ``time`` (ISO 8601, e.g. ``2024-05-01T09:30:00+08:00``),
    ``comment`` and ``status`` columns and any geometry. A ``mark_id``
    column is kept; without one marks are numbered ``M1``, ``M2``... An
    empty ``status`` is ``open``.

    Raises
    ------
    LayerReadError, ValidationError
    """
    report = Report()
    layer = f"markup ({Path(path).name})"
    probe_id = "mark_id"
    gdf = _read(path, "markup", layers, engine=engine, report=report,
                columns={"reviewer": "the reviewer's name", "time": "an ISO 8601 time",
                         "comment": "the reviewer's comment", "status": "e.g. open, resolved"},
                geometry=POINTS + LINES + POLYGONS, id_column=None)
    if gdf is not None:
        ids = (_text(gdf[probe_id]).to_numpy(dtype=object) if probe_id in gdf
               else np.full(len(gdf), None, dtype=object))
        numbered = np.array([f"M{i + 1}" for i in range(len(gdf))], dtype=object)
        where = np.where(pd.isna(ids), numbered, ids)
        gdf[probe_id] = where
        if pd.api.types.is_datetime64_any_dtype(gdf["time"]):  # GDAL parsed ISO 8601 itself
            gdf["time"] = gdf["time"].map(lambda t: t.isoformat(timespec="seconds"),
                                          na_action="ignore")
        for col in MARKUP_COLUMNS:
            gdf[col] = _text(gdf[col])
        for col in ("reviewer", "comment"):
            for idx in np.flatnonzero(gdf[col].isna()):
                report.add("error", layer, "missing_value", f"empty; expected {col}",
                           feature_id=where[idx], field=col)
        when = pd.to_datetime(gdf["time"], errors="coerce", format="ISO8601", utc=True)
        for idx in np.flatnonzero(gdf["time"].notna() & when.isna()):
            report.add("error", layer, "bad_value",
                       f"value {gdf['time'].iat[idx]!r} is not an ISO 8601 time "
                       "(e.g. 2024-05-01T09:30:00+08:00)", feature_id=where[idx],
                       field="time")
        gdf["status"] = gdf["status"].fillna("open")
        gdf = gdf[[probe_id, *MARKUP_COLUMNS, gdf.geometry.name]]
    if not report.ok:
        raise ValidationError(report)
    return gdf


# -- rules ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rules:
    """Review thresholds in metres (see ``gisplan/plan/data/review_rules.toml``)."""

    building_setback_m: float
    pipe_setback_m: dict[str, float]
    fire_lane_min_clear_width_m: float
    source: str = "gisplan/plan/data/review_rules.toml"

    def as_dict(self) -> dict[str, object]:
        """The thresholds and where they came from, for reports."""
        return {"source": self.source, "building_setback_m": self.building_setback_m,
                "pipe_setback_m": dict(self.pipe_setback_m),
                "fire_lane_min_clear_width_m": self.fire_lane_min_clear_width_m}


def _flat_numbers(data: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        out.update(_flat_numbers(value, f"{name}.") if isinstance(value, dict)
                   else {name: value})
    return out


def _parse_rules(text: str, where: str) -> dict[str, object]:
    try:
        return _flat_numbers(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{where}: not valid TOML: {exc}") from None


def load_rules(path: str | Path | None = None) -> Rules:
    """The review thresholds: the defaults, with a rules file's values over them.

    Parameters
    ----------
    path : str or Path, optional
        A TOML file laid out like ``gisplan/plan/data/review_rules.toml``; keys it
        leaves out keep their default.

    Raises
    ------
    RulesError
        Missing or unreadable file, bad TOML, an unknown key, or a value that
        is not a number >= 0; every problem is listed with the file and key.

    Examples
    --------
    >>> load_rules().pipe_setback_m["heating"]
    1.5
    """
    default = (files("gisplan.plan") / "data" / "review_rules.toml").read_text(encoding="utf-8")
    values = _parse_rules(default, "review_rules.toml")
    source = "gisplan/plan/data/review_rules.toml"
    if path is not None:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RulesError(f"--rules {path}: file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RulesError(f"--rules {path}: cannot read it as UTF-8 text ({exc})") from None
        given = _parse_rules(text, str(path))
        problems = [f"{path}: unknown key '{k}'; expected one of {sorted(values)}"
                    for k in given if k not in values]
        problems += [f"{path}: '{k}' must be a number >= 0 (metres), got {v!r}"
                     for k, v in given.items() if k in values and (
                         isinstance(v, bool) or not isinstance(v, int | float) or v < 0)]
        if problems:
            raise RulesError("rules file has problems:\n" + "\n".join(problems))
        values.update(given)
        source = str(path)
    nets = {k.removeprefix("pipes.setback_m."): float(v) for k, v in values.items()
            if k.startswith("pipes.setback_m.")}
    return Rules(building_setback_m=float(values["buildings.setback_m"]), pipe_setback_m=nets,
                 fire_lane_min_clear_width_m=float(values["fire_lanes.min_clear_width_m"]),
                 source=source)
