"""The programme tables of ``[programme]``: projects, milestones and progress, checked.

:func:`read_programme` reads ``projects.csv``, ``milestones.csv`` and the
optional ``progress.csv`` of a plan folder and checks every row against the
plan (community ids, catalogue groups and items, tracks, ISO dates, statuses,
rates in [0, 1)); every problem is collected and located (table, ``line N``
as a spreadsheet shows it, column), and any error raises
:class:`~gisplan.errors.ValidationError`.

``projects.csv``
    ``project_id``, ``name``, ``track``, ``communities`` (``*`` or ids separated
    by ``;``), ``groups`` (``*`` or catalogue groups such as ``building;outdoor``),
    optional ``items`` (work-item codes added to the groups), ``other_rate``,
    ``contingency_rate`` (override ``[investment]``), ``stated_total_cny``,
    ``stated_construction_cny``, ``stated_other_cny``, ``stated_contingency_cny``.
``milestones.csv``
    ``milestone_id``, ``phase``, ``name``, ``track`` (a project's track or ``*``),
    optional ``start``, ``due`` (``YYYY-MM-DD``), ``lead``, ``support`` (units
    separated by ``;``).
``progress.csv``
    ``date``, ``milestone_id``, ``project_id`` (or ``*``), ``status`` (``started``
    or ``done``), optional ``note``.

Every table may also carry a ``note`` column.

Examples
--------
>>> from gisplan.inputs.programme import read_programme
>>> from gisplan.inputs.validation import load_layers
>>> p = read_programme(load_layers("layers/hunchun2020"))
>>> p.projects["project_id"].tolist()
['P1', 'P2', 'P3']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gisplan.errors import GisplanError, LayerReadError, ValidationError
from gisplan.inputs.io import read_table
from gisplan.inputs.problems import Report
from gisplan.inputs.validation import Layers, load_layers
from gisplan.plan.catalogue import load_networks
from gisplan.plan.programme import InvestmentSettings, valid_rate

ALL = "*"
#: Project ids the investment table uses for itself.
RESERVED_PROJECTS = ("unallocated", "all")
STATUSES = ("started", "done")
STATED = ("stated_total_cny", "stated_construction_cny", "stated_other_cny",
          "stated_contingency_cny")
#: (required, optional) columns of each table.
COLUMNS = {
    "projects": (("project_id", "name", "track", "communities", "groups"),
                 ("items", "other_rate", "contingency_rate", *STATED, "note")),
    "milestones": (("milestone_id", "phase", "name", "track"),
                   ("start", "due", "lead", "support", "note")),
    "progress": (("date", "milestone_id", "project_id", "status"), ("note",)),
}
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Programme:
    """A plan's checked programme.

    Attributes
    ----------
    projects : DataFrame
        One row per project: ``project_id``, ``name``, ``track``, ``communities``
        (a tuple of ids, or None for every community), ``groups`` and ``items``
        (tuples), ``other_rate`` and ``contingency_rate`` (the plan's where the
        row gives none) and the ``stated_*`` figures (NaN where not stated).
    milestones : DataFrame
        ``milestone_id``, ``phase``, ``name``, ``track``, ``start``, ``due``
        (datetime64, NaT where not given), ``lead``, ``support``, in file order.
    progress : DataFrame
        ``date`` (datetime64), ``milestone_id``, ``project_id``, ``status``, ``note``.
    investment : InvestmentSettings
        The plan's ``[investment]``.
    """

    projects: pd.DataFrame
    milestones: pd.DataFrame
    progress: pd.DataFrame
    investment: InvestmentSettings


class _Table:
    """One CSV table being checked: its rows as text, and where to report."""

    def __init__(self, name: str, frame: pd.DataFrame, path: Path, report: Report) -> None:
        self.name, self.path, self.report = name, path, report
        self.frame = frame.apply(lambda s: s.str.strip()).replace("", np.nan)

    def bad(self, pos: int | None, column: str | None, message: str, check: str) -> None:
        self.report.add("error", f"{self.name} ({self.path.name})", check, message,
                        feature_id=None if pos is None else f"line {pos + 2}", field=column)

    def text(self, column: str) -> list[str | None]:
        if column not in self.frame:
            return [None] * len(self.frame)
        return [None if pd.isna(v) else str(v) for v in self.frame[column]]

    def required(self, column: str) -> list[str | None]:
        values = self.text(column)
        for pos, v in enumerate(values):
            if v is None:
                self.bad(pos, column, "is empty; a value is required", "missing_value")
        return values

    def unique(self, column: str, reserved: tuple[str, ...] = ()) -> list[str | None]:
        values = self.required(column)
        seen: dict[str, int] = {}
        for pos, v in enumerate(values):
            if v is None:
                continue
            if v == ALL or v in reserved:
                self.bad(pos, column, f"'{v}' is reserved; choose another id", "reserved_id")
            elif v in seen:
                self.bad(pos, column, f"duplicate id '{v}' (first on line {seen[v] + 2})",
                         "duplicate_id")
            else:
                seen[v] = pos
        return values

    def dates(self, column: str) -> pd.Series:
        out = []
        for pos, v in enumerate(self.text(column)):
            day = _iso_date(v)
            if v is not None and day is None:
                self.bad(pos, column, f"'{v}' is not a date; expected YYYY-MM-DD, e.g. "
                                      "2020-09-15", "bad_date")
            out.append(day)
        return pd.Series(pd.to_datetime(out), dtype="datetime64[ns]")

    def numbers(self, column: str, *, rate: bool) -> list[float]:
        out = []
        for pos, v in enumerate(self.text(column)):
            try:
                x = float(v) if v is not None else np.nan
            except ValueError:
                x = None
            ok = x is not None and (np.isnan(x) or (valid_rate(x) if rate
                                                    else np.isfinite(x) and x >= 0))
            if not ok:
                want = "a rate in [0, 1)" if rate else "a finite amount >= 0 (CNY)"
                self.bad(pos, column, f"'{v}' is not {want}", "bad_number")
                x = np.nan
            out.append(float(x))  # type: ignore[arg-type]
        return out


def _iso_date(text: str | None) -> pd.Timestamp | None:
    """``YYYY-MM-DD`` as a Timestamp; None for anything else (``2020-9-1``, ``2020-02-30``)."""
    if text is None or not _ISO.fullmatch(text):
        return None
    try:
        return pd.Timestamp(text)
    except ValueError:
        return None


def _split(value: str | None) -> tuple[str, ...]:
    return () if value is None else tuple(p.strip() for p in value.split(";") if p.strip())


def _read(name: str, path: Path, report: Report) -> _Table | None:
    try:
        frame = read_table(path, name=name)
    except LayerReadError as exc:
        report.add("error", name, "unreadable", str(exc))
        return None
    required, optional = COLUMNS[name]
    missing = [c for c in required if c not in frame]
    unknown = [c for c in frame if c not in required + optional]
    table = _Table(name, frame, path, report)
    for c in missing:
        table.bad(None, c, f"required column '{c}' is missing; the columns are "
                           f"{', '.join(map(str, frame.columns))}", "missing_column")
    for c in unknown:
        table.bad(None, str(c), f"unknown column '{c}'; expected {', '.join(required)} and "
                                f"optionally {', '.join(optional)}", "unknown_column")
    return None if missing else table


def _known_item(code: str, catalogue: pd.DataFrame) -> bool:
    """A catalogue code, or a pipe size of a known network (``pipe:water:200``)."""
    if code in catalogue.index:
        return True
    parts = code.split(":")
    return (parts[0] == "pipe" and len(parts) in (2, 3) and parts[1] in load_networks().index
            and (len(parts) == 2 or parts[2].isdigit()))


def _projects(t: _Table, layers: Layers, investment: InvestmentSettings) -> pd.DataFrame:
    ids = t.unique("project_id", RESERVED_PROJECTS)
    names, tracks = t.required("name"), t.required("track")
    communities = set(layers.communities["community_id"])
    groups = set(layers.catalogue["group"])
    com_out, grp_out, item_out = [], [], []
    for pos, track in enumerate(tracks):
        if track == ALL:
            t.bad(pos, "track", "'*' is for milestones; a project has one track", "bad_track")
    for pos, (com, grp, its) in enumerate(zip(t.required("communities"), t.text("groups"),
                                              t.text("items"), strict=True)):
        chosen = None if com == ALL else _split(com)
        for c in chosen or ():
            if c not in communities:
                t.bad(pos, "communities", f"community '{c}' is not in the communities layer",
                      "unknown_community")
        g = tuple(sorted(groups)) if grp == ALL else _split(grp)
        for x in g:
            if x not in groups:
                t.bad(pos, "groups", f"group '{x}' is not a catalogue group; expected '*' or "
                                     f"some of {';'.join(sorted(groups))}", "unknown_group")
        items = _split(its)
        for x in items:
            if not _known_item(x, layers.catalogue):
                t.bad(pos, "items", f"work item '{x}' is not in the catalogue "
                                    "(gisplan/plan/data/work_items.csv)", "unknown_item")
        if not g and not items:
            t.bad(pos, "groups", "the project claims nothing: give groups or items",
                  "empty_claim")
        com_out.append(chosen)
        grp_out.append(g)
        item_out.append(items)
    out = pd.DataFrame({"project_id": ids, "name": names, "track": tracks,
                        "communities": com_out, "groups": grp_out, "items": item_out})
    for key in ("other_rate", "contingency_rate"):
        own = pd.Series(t.numbers(key, rate=True), dtype=float)
        out[key] = own.fillna(getattr(investment, key)).to_numpy()
    for key in STATED:
        out[key] = t.numbers(key, rate=False)
    return out


def _milestones(t: _Table, tracks: set[str]) -> pd.DataFrame:
    out = pd.DataFrame({"milestone_id": t.unique("milestone_id"), "phase": t.required("phase"),
                        "name": t.required("name"), "track": t.required("track")})
    for pos, track in enumerate(out["track"]):
        if track is not None and track != ALL and track not in tracks:
            t.bad(pos, "track", f"track '{track}' is no project's track; expected '*' or one "
                                f"of {', '.join(sorted(tracks))}", "unknown_track")
    out["start"], out["due"] = t.dates("start"), t.dates("due")
    late = out["start"].notna() & out["due"].notna() & (out["start"] > out["due"])
    for pos in np.flatnonzero(late.to_numpy()):
        t.bad(int(pos), "start", f"start {out['start'].iat[pos]:%Y-%m-%d} is after due "
                                 f"{out['due'].iat[pos]:%Y-%m-%d}", "start_after_due")
    out["lead"] = t.text("lead")
    out["support"] = t.text("support")
    return out


def _progress(t: _Table, projects: pd.DataFrame, milestones: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"date": t.dates("date"), "milestone_id": t.required("milestone_id"),
                        "project_id": t.required("project_id"), "status": t.required("status"),
                        "note": t.text("note")})
    given = t.text("date")
    for pos in np.flatnonzero(out["date"].isna().to_numpy()):
        if given[pos] is None:
            t.bad(int(pos), "date", "is empty; a value is required", "missing_value")
    track_of = dict(zip(milestones["milestone_id"], milestones["track"], strict=True))
    project_track = dict(zip(projects["project_id"], projects["track"], strict=True))
    for pos, (mid, pid, status) in enumerate(zip(out["milestone_id"], out["project_id"],
                                                 out["status"], strict=True)):
        if mid is not None and mid not in track_of:
            t.bad(pos, "milestone_id", f"milestone '{mid}' is not in milestones.csv",
                  "unknown_milestone")
        if pid is not None and pid != ALL and pid not in project_track:
            t.bad(pos, "project_id", f"project '{pid}' is not in projects.csv; expected "
                                     "'*' or a project_id", "unknown_project")
        elif (pid not in (None, ALL) and mid in track_of and track_of[mid] != ALL
              and track_of[mid] != project_track[pid]):
            t.bad(pos, "project_id", f"milestone '{mid}' is on track '{track_of[mid]}', "
                                     f"project '{pid}' on '{project_track[pid]}'",
                  "track_mismatch")
        if status is not None and status not in STATUSES:
            t.bad(pos, "status", f"status '{status}' is not one of {', '.join(STATUSES)}",
                  "bad_status")
    return out


def read_programme(layers: Layers) -> Programme:
    """Read and check the plan's ``[programme]`` tables against its layers and catalogue.

    Raises
    ------
    GisplanError
        The plan has no ``[programme]`` section.
    ValidationError
        Any table has an error; its report lists every problem, located.
    """
    settings = layers.plan.programme
    if settings is None:
        raise GisplanError(f"{layers.plan.root / 'plan.toml'}: no [programme] section; add "
                           "one naming projects.csv and milestones.csv (see README)")
    report = Report()
    tables = {name: _read(name, path, report) for name, path in
              (("projects", settings.projects), ("milestones", settings.milestones),
               ("progress", settings.progress)) if path is not None}
    if any(t is None for t in tables.values()):
        raise ValidationError(report)
    projects = _projects(tables["projects"], layers, layers.plan.investment)
    milestones = _milestones(tables["milestones"], set(projects["track"].dropna()))
    if "progress" in tables:
        progress = _progress(tables["progress"], projects, milestones)
    else:
        progress = pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"),
                                 **{c: pd.Series(dtype=object) for c in
                                    ("milestone_id", "project_id", "status", "note")}})
    if not report.ok:
        raise ValidationError(report)
    return Programme(projects=projects, milestones=milestones, progress=progress,
                     investment=layers.plan.investment)


def validate_all(plan: str | Path, *, engine: str = "pyogrio", repair: bool = False) -> Report:
    """:func:`gisplan.inputs.validation.validate_plan` and the programme tables' problems."""
    try:
        layers = load_layers(plan, engine=engine, repair=repair)  # type: ignore[arg-type]
    except ValidationError as exc:
        return exc.report
    report = Report(list(layers.report.problems))
    report.problems += programme_problems(layers)
    return report


def programme_problems(layers: Layers) -> list:
    """The problems of the plan's programme tables (none without ``[programme]``), for
    ``gisplan validate``; overlapping claims need the scope and are found by ``programme``."""
    if layers.plan.programme is None:
        return []
    try:
        read_programme(layers)
    except ValidationError as exc:
        return exc.report.problems
    return []
