"""Validation problems: located, collected, reported once."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Literal

import pandas as pd

Severity = Literal["error", "warning"]

#: How many problems of one kind the text report lists before summarising.
TEXT_LIMIT_PER_KIND = 20


@dataclass(frozen=True)
class Problem:
    """One finding, located as precisely as the data allows.

    Attributes
    ----------
    severity : {"error", "warning"}
    layer : str
        Layer or table name (``buildings``, ``quantities``, ``plan.toml``).
    check : str
        Machine-readable kind, e.g. ``duplicate_id`` or ``invalid_geometry``.
    message : str
        What is wrong and what was expected, in words a planner can act on.
    feature_id : str, optional
        The feature's id, or ``row N`` (1-based) when it has none.
    field : str, optional
        The column as it is named in the user's file.
    """

    severity: Severity
    layer: str
    check: str
    message: str
    feature_id: str | None = None
    field: str | None = None

    def format(self) -> str:
        where = self.layer
        if self.feature_id is not None:
            where += f" [{self.feature_id}]"
        if self.field is not None:
            where += f" field '{self.field}'"
        return f"{self.severity.upper()}: {where}: {self.message}"


#: Columns of :meth:`Report.table`, one row per problem.
COLUMNS = ["severity", "layer", "check", "feature_id", "field", "message"]


@dataclass(frozen=True)
class ProblemGroup:
    """One finding on many features (e.g. 10^6 buildings outside every community):
    a :class:`Problem` per id, kept as one array of ids until listed."""

    severity: Severity
    layer: str
    check: str
    message: str
    feature_ids: tuple[str, ...]
    field: str | None = None

    def listed(self) -> list[Problem]:
        return [Problem(self.severity, self.layer, self.check, self.message, fid, self.field)
                for fid in self.feature_ids]


class Report:
    """All problems found in a plan; errors stop the run, warnings do not.

    :meth:`add` records one problem, :meth:`add_many` one finding on many
    features at once; :attr:`problems` lists them all, in the order they were
    added, and :meth:`table` gives them as a frame without making an object
    per problem.

    Examples
    --------
    >>> r = Report()
    >>> r.add("error", "buildings", "duplicate_id", "seen twice", feature_id="B1")
    >>> r.add_many("warning", "pipes", "outside_communities", "in no community", ["P1", "P2"])
    >>> [p.format() for p in r.problems]
    ['ERROR: buildings [B1]: seen twice', 'WARNING: pipes [P1]: in no community', \
'WARNING: pipes [P2]: in no community']
    >>> r.table("warning")["feature_id"].tolist(), r.ok
    (['P1', 'P2'], False)
    """

    def __init__(self, problems: list[Problem] | None = None) -> None:
        self._problems: list[Problem] = list(problems or [])
        self._groups: list[tuple[int, ProblemGroup]] = []  # (position in _problems, group)

    def add(self, severity: Severity, layer: str, check: str, message: str, *,
            feature_id: str | None = None, field: str | None = None) -> None:
        self._problems.append(Problem(severity, layer, check, message, feature_id, field))

    def add_many(self, severity: Severity, layer: str, check: str, message: str,
                 feature_ids: list[str], *, field: str | None = None) -> None:
        """One problem for each of ``feature_ids``, all with the same message."""
        if len(feature_ids):
            self._groups.append((len(self._problems), ProblemGroup(
                severity, layer, check, message, tuple(feature_ids), field)))

    def _chunks(self, severity: str | None = None):
        """Problems and groups in the order added: lists of Problem or a ProblemGroup."""
        last = 0
        for pos, group in self._groups:
            yield self._problems[last:pos]
            last = pos
            if severity is None or group.severity == severity:
                yield group
        yield self._problems[last:]

    def _listed(self, severity: str | None = None) -> list[Problem]:
        out: list[Problem] = []
        for chunk in self._chunks(severity):
            out += chunk.listed() if isinstance(chunk, ProblemGroup) else [
                p for p in chunk if severity is None or p.severity == severity]
        return out

    @property
    def problems(self) -> list[Problem]:
        """Every problem in the order added (groups listed one problem per feature)."""
        if self._groups:
            self._problems, self._groups = self._listed(), []
        return self._problems

    @problems.setter
    def problems(self, value: list[Problem]) -> None:
        self._problems, self._groups = list(value), []

    @property
    def errors(self) -> list[Problem]:
        return self._listed("error")

    @property
    def warnings(self) -> list[Problem]:
        return self._listed("warning")

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self._problems) and not any(
            g.severity == "error" for _, g in self._groups)

    def table(self, severity: str | None = None) -> pd.DataFrame:
        """The problems (of ``severity``) as a frame with :data:`COLUMNS`, in the order added."""
        parts = []
        for chunk in self._chunks(severity):
            if isinstance(chunk, ProblemGroup):
                n = len(chunk.feature_ids)
                parts.append(pd.DataFrame({
                    "severity": [chunk.severity] * n, "layer": [chunk.layer] * n,
                    "check": [chunk.check] * n, "feature_id": list(chunk.feature_ids),
                    "field": [chunk.field] * n, "message": [chunk.message] * n}))
            else:
                rows = [(p.severity, p.layer, p.check, p.feature_id, p.field, p.message)
                        for p in chunk if severity is None or p.severity == severity]
                if rows:
                    parts.append(pd.DataFrame(rows, columns=COLUMNS))
        if not parts:
            return pd.DataFrame(columns=COLUMNS)
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

    def to_json(self) -> str:
        return json.dumps(
            {
                "ok": self.ok,
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "problems": [asdict(p) for p in self.problems],
            },
            ensure_ascii=False,
            indent=2,
        )

    def format_text(self) -> str:
        """Errors first, then warnings; long runs of one kind are summarised."""
        lines: list[str] = []
        seen: dict[tuple[str, str, str], int] = {}
        ordered = self.errors + self.warnings
        for p in ordered:
            key = (p.severity, p.layer, p.check)
            seen[key] = seen.get(key, 0) + 1
            if seen[key] <= TEXT_LIMIT_PER_KIND:
                lines.append(p.format())
        for (sev, layer, check), n in seen.items():
            if n > TEXT_LIMIT_PER_KIND:
                lines.append(f"{sev.upper()}: {layer}: ... and {n - TEXT_LIMIT_PER_KIND} more "
                             f"'{check}' problems (use --format json for all)")
        return "\n".join(lines)
