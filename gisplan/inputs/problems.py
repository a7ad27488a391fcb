"""Validation problems: located, collected, reported once."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Literal

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


@dataclass
class Report:
    """All problems found in a plan; errors stop the run, warnings do not."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, severity: Severity, layer: str, check: str, message: str, *,
            feature_id: str | None = None, field: str | None = None) -> None:
        self.problems.append(Problem(severity, layer, check, message, feature_id, field))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

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
