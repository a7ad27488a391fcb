"""The plan folder: ``plan.toml`` and the files it names.

A plan folder describes one renovation plan. :func:`read_plan` parses its
``plan.toml`` into a :class:`Plan`, checking every key at once; the layers
themselves are read and validated by :mod:`gisplan.inputs.validation`.

Examples
--------
>>> from gisplan.plan.settings import read_plan
>>> plan = read_plan("layers/hunchun2020")  # the bundled plan, from the repository root
>>> plan.crs
'EPSG:4552'
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyproj import CRS
from pyproj.exceptions import CRSError

from gisplan.errors import PlanError
from gisplan.plan.access import AccessSettings, parse_access
from gisplan.plan.programme import (
    InvestmentSettings,
    ProgrammeSettings,
    parse_investment,
    parse_programme,
)
from gisplan.plan.selection import SelectionSettings, parse_selection
from gisplan.plan.sheets import SheetSettings, parse_sheets

#: Layer names of the contract, in the order data flows through them.
LAYER_NAMES = ("communities", "buildings", "pipes", "facilities", "structures", "barriers")
REQUIRED_LAYERS = ("communities", "buildings", "pipes")
#: Optional layers of the walking-access analysis (gisplan.analysis.access).
ACCESS_LAYERS = ("roads", "services", "sites")
#: Suffixes of containers that may hold several layers (``file.gpkg:layer``).
MULTI_LAYER_SUFFIXES = (".gpkg", ".sqlite", ".gdb")

DEFAULT_FACTOR_WEIGHTS = {"floor_area_m2": 0.4, "households": 0.3, "buildings": 0.2,
                          "communities": 0.1}


@dataclass(frozen=True)
class LayerSource:
    """Where one layer comes from."""

    name: str
    path: Path
    layer: str | None = None
    encoding: str | None = None

    def describe(self) -> str:
        return f"{self.path.name}:{self.layer}" if self.layer else self.path.name


@dataclass(frozen=True)
class ZoneSettings:
    """``[zones]``: how contiguous renovation zones are formed."""

    max_gap_m: float = 50.0
    renovation_type: str | None = None
    min_households: int = 0


@dataclass(frozen=True)
class ScopeSettings:
    """``[scope]`` and ``[funding]``: how quantities and costs are derived."""

    storey_height_m: float = 2.9
    pitched_roof_factor: float = 1.15
    sliver_m2: float = 1.0
    central_allocation_cny: float = 0.0
    factor_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FACTOR_WEIGHTS))


#: Web map choices (the first is the default); the CLI and gisplan.outputs.webmap use these too.
BASEMAPS = ("none", "osm", "tianditu-vec", "tianditu-img")
METRICS = ("households", "cost", "cost_per_household", "renovation_type")


@dataclass(frozen=True)
class MapSettings:
    """``[map]``: how the web map opens."""

    basemap: str = "none"
    metric: str = "households"
    tianditu_token: str | None = None


@dataclass(frozen=True)
class Plan:
    """A parsed ``plan.toml``; paths are absolute."""

    root: Path
    name: str
    crs: str
    assume_crs: str | None
    layers: dict[str, LayerSource]
    fields: dict[str, dict[str, str]]
    declared: Path | None = None
    stated: Path | None = None
    zones: ZoneSettings = field(default_factory=ZoneSettings)
    scope: ScopeSettings = field(default_factory=ScopeSettings)
    prices: dict[str, float] = field(default_factory=dict)
    map: MapSettings = field(default_factory=MapSettings)
    programme: ProgrammeSettings | None = None
    investment: InvestmentSettings = field(default_factory=InvestmentSettings)
    access: AccessSettings = field(default_factory=AccessSettings)
    sheets: SheetSettings = field(default_factory=SheetSettings)
    selection: SelectionSettings | None = None


class _Collector:
    """Gathers every problem in plan.toml so they are reported together."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def bad(self, where: str, message: str) -> None:
        self.problems.append(f"{self.path}: [{where}] {message}")

    def table(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.bad(key, "expected a table")
            return {}
        return value

    def number(self, section: dict[str, Any], where: str, key: str, default: float, *,
               minimum: float = 0.0, maximum: float = 1e15) -> float:
        value = section.get(key, default)
        if (isinstance(value, bool) or not isinstance(value, int | float)
                or not math.isfinite(value) or not minimum <= value <= maximum):
            self.bad(where, f"'{key}' must be a finite number >= {minimum:g} and "
                            f"<= {maximum:g}, got {value!r}")
            return default
        return float(value)

    def followed(self, where: str, key: str, path: Path) -> Path | None:
        """``path`` made absolute, or None with a problem if it cannot be (a symlink loop)."""
        try:
            return path.resolve()
        except (RuntimeError, OSError) as exc:  # RuntimeError: a symlink loop (Python 3.11)
            self.bad(where, f"{key}: {path} cannot be followed ({exc})")
            return None

    def known_keys(self, section: dict[str, Any], where: str, known: Iterable[str]) -> None:
        """Every key of ``section`` not in ``known`` is an error naming the nearest known one."""
        known = sorted(known)
        for key in sorted(set(section) - set(known)):
            near = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            self.bad(where, f"unknown key '{key}'{hint} (known: {', '.join(known)})")

    def crs(self, where: str, key: str, value: Any, *, metric: bool) -> str | None:
        if value is None:
            return None
        try:
            crs = CRS.from_user_input(value)
        except (CRSError, TypeError):
            self.bad(where, f"'{key}' = {value!r} is not a CRS pyproj knows (e.g. \"EPSG:4552\")")
            return None
        if metric and not (crs.is_projected and crs.axis_info[0].unit_name in ("metre", "meter")):
            self.bad(where, f"'{key}' = {value!r} must be a projected CRS in metres, such "
                            "as CGCS2000 Gauss-Kruger \"EPSG:4552\"; areas and lengths are "
                            "measured in it")
            return None
        return str(value)


def _layer_source(col: _Collector, root: Path, name: str, spec: Any) -> LayerSource | None:
    encoding = layer = None
    if isinstance(spec, dict):
        unknown = set(spec) - {"path", "layer", "encoding"}
        if unknown:
            col.bad("layers",
                    f"{name}: unknown keys {sorted(unknown)}; expected path, layer, encoding")
        layer, encoding, spec = spec.get("layer"), spec.get("encoding"), spec.get("path")
    if not isinstance(spec, str) or not spec:
        col.bad("layers", f"{name}: expected a relative file path, got {spec!r}")
        return None
    # "file.gpkg:layername" names one layer of a multi-layer container.
    head, sep, tail = spec.rpartition(":")
    if sep and layer is None and head.lower().endswith(MULTI_LAYER_SUFFIXES):
        spec, layer = head, tail
    path = col.followed("layers", name, root / spec)
    return None if path is None else LayerSource(name, path, layer, encoding)


def read_plan(path: str | Path) -> Plan:
    """Read and check a plan folder's ``plan.toml``.

    Parameters
    ----------
    path : str or Path
        The plan folder, or its ``plan.toml``.

    Returns
    -------
    Plan

    Raises
    ------
    PlanError
        If the file is missing or malformed; every problem is listed.
    """
    path = Path(path)
    toml_path = path / "plan.toml" if path.is_dir() else path
    if not toml_path.is_file():
        raise PlanError(f"{toml_path}: no plan.toml found; a plan folder needs one "
                        "(see README, 'The plan folder')")
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise PlanError(f"{toml_path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{toml_path}: not valid TOML: {exc}") from None
    root = toml_path.parent.resolve()
    col = _Collector(toml_path)

    known = {"plan", "layers", "fields", "quantities", "zones", "scope", "funding", "prices",
             "map", "programme", "investment", "access", "sheets", "selection"}
    for key in sorted(set(data) - known):
        near = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.5)
        hint = f"; did you mean [{near[0]}]?" if near else ""
        col.bad(key, f"unknown section{hint} (known: {', '.join(sorted(known))})")

    head = col.table(data, "plan")
    col.known_keys(head, "plan", ("name", "crs", "assume_crs"))
    name = head.get("name")
    if not isinstance(name, str) or not name.strip():
        col.bad("plan", "'name' is required (the plan's title, e.g. \"2020年珲春市老旧小区改造\")")
        name = ""
    crs = col.crs("plan", "crs", head.get("crs", "EPSG:4552"), metric=True)
    assume_crs = col.crs("plan", "assume_crs", head.get("assume_crs"), metric=False)

    layers: dict[str, LayerSource] = {}
    given = set()  # named in [layers], even if malformed (that is reported on its own)
    for lname, spec in col.table(data, "layers").items():
        if lname not in LAYER_NAMES + ACCESS_LAYERS:
            col.bad("layers", f"unknown layer '{lname}'; expected one of "
                              f"{list(LAYER_NAMES + ACCESS_LAYERS)}")
            continue
        given.add(lname)
        source = _layer_source(col, root, lname, spec)
        if source is not None:
            layers[lname] = source
    for lname in REQUIRED_LAYERS:
        if lname not in given:
            col.bad("layers", f"'{lname}' is required")

    fields: dict[str, dict[str, str]] = {}
    for lname, mapping in col.table(data, "fields").items():
        if lname not in LAYER_NAMES + ACCESS_LAYERS + ("quantities", "stated"):
            col.bad(f"fields.{lname}", "unknown layer")
        elif not isinstance(mapping, dict) or not all(
                isinstance(v, str) for v in mapping.values()):
            col.bad(f"fields.{lname}", "expected contract_column = \"file column\" pairs")
        else:
            fields[lname] = dict(mapping)

    quantities = col.table(data, "quantities")
    col.known_keys(quantities, "quantities", ("declared", "stated"))
    files = {}
    for key in ("declared", "stated"):
        value = quantities.get(key)
        if value is not None and not isinstance(value, str):
            col.bad("quantities", f"'{key}' must be a relative file path")
            value = None
        files[key] = col.followed("quantities", key, root / value) if value else None

    zsec = col.table(data, "zones")
    col.known_keys(zsec, "zones", ("max_gap_m", "renovation_type", "min_households"))
    rtype = zsec.get("renovation_type")
    if rtype not in (None, "basic", "upgrade"):
        col.bad("zones", f"'renovation_type' must be \"basic\" or \"upgrade\", got {rtype!r}")
        rtype = None
    zones = ZoneSettings(
        max_gap_m=col.number(zsec, "zones", "max_gap_m", ZoneSettings.max_gap_m,
                             maximum=100_000),
        renovation_type=rtype,
        min_households=int(col.number(zsec, "zones", "min_households",
                                      ZoneSettings.min_households)),
    )

    ssec, fsec = col.table(data, "scope"), col.table(data, "funding")
    col.known_keys(ssec, "scope", ("storey_height_m", "pitched_roof_factor", "sliver_m2"))
    col.known_keys(fsec, "funding", ("central_allocation_cny", "factor_weights"))
    weights = dict(DEFAULT_FACTOR_WEIGHTS)
    for key, value in col.table(fsec, "factor_weights").items():
        if key not in DEFAULT_FACTOR_WEIGHTS:
            col.bad("funding.factor_weights",
                    f"unknown factor '{key}'; expected {sorted(DEFAULT_FACTOR_WEIGHTS)}")
        else:
            weights[key] = col.number({key: value}, "funding.factor_weights", key, 0.0)
    scope = ScopeSettings(
        storey_height_m=col.number(ssec, "scope", "storey_height_m",
                                    ScopeSettings.storey_height_m, minimum=0.1, maximum=20),
        pitched_roof_factor=col.number(ssec, "scope", "pitched_roof_factor",
                                        ScopeSettings.pitched_roof_factor, minimum=1.0,
                                        maximum=5),
        sliver_m2=col.number(ssec, "scope", "sliver_m2", ScopeSettings.sliver_m2),
        central_allocation_cny=col.number(fsec, "funding", "central_allocation_cny",
                                           ScopeSettings.central_allocation_cny),
        factor_weights=weights,
    )

    prices: dict[str, float] = {}
    for code, value in col.table(data, "prices").items():
        prices[code] = col.number({code: value}, "prices", code, 0.0)

    msec = col.table(data, "map")
    choices = {"basemap": BASEMAPS, "metric": METRICS}
    map_values: dict[str, str | None] = {}
    for key, allowed in choices.items():
        value = msec.get(key, allowed[0])
        if value not in allowed:
            col.bad("map", f"'{key}' must be one of {list(allowed)}, got {value!r}")
            value = allowed[0]
        map_values[key] = value
    token = msec.get("tianditu_token")
    if token is not None and not (isinstance(token, str) and token.strip()):
        col.bad("map", "'tianditu_token' must be a non-empty text key")
        token = None
    for key in sorted(set(msec) - {*choices, "tianditu_token"}):
        col.bad("map", f"unknown key '{key}'; expected basemap, metric, tianditu_token")
    map_settings = MapSettings(basemap=str(map_values["basemap"]),
                               metric=str(map_values["metric"]), tianditu_token=token)

    programme = (parse_programme(col, root, col.table(data, "programme"))
                 if "programme" in data else None)
    investment = parse_investment(col, col.table(data, "investment"))
    access = parse_access(col, col.table(data, "access"))
    sheets = parse_sheets(col, col.table(data, "sheets"))
    selection = (parse_selection(col, col.table(data, "selection")) if "selection" in data
                 else None)

    if col.problems:
        raise PlanError("plan.toml has problems:\n" + "\n".join(col.problems))
    return Plan(root=root, name=name, crs=crs, assume_crs=assume_crs,
                layers=layers, fields=fields, declared=files["declared"],
                stated=files["stated"], zones=zones, scope=scope, prices=prices,
                map=map_settings, programme=programme, investment=investment,
                access=access, sheets=sheets, selection=selection)
