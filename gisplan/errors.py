"""The one exception family of gisplan.

Every error a user can cause (a bad plan folder, an unreadable file, invalid
features) is a :class:`GisplanError` whose message says where the problem is
and what was expected. The CLI turns these into a message and exit code 1;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gisplan.inputs.problems import Report


class GisplanError(Exception):
    """Base class: a problem the user can fix."""


class PlanError(GisplanError):
    """``plan.toml`` is missing, unreadable or malformed."""


class LayerReadError(GisplanError):
    """A layer or table file cannot be read or decoded."""


class ValidationError(GisplanError):
    """The plan's layers hold one or more errors.

    Parameters
    ----------
    report : Report
        Every problem found, errors and warnings, so that the user sees all
        of them at once.
    """

    def __init__(self, report: Report) -> None:
        self.report = report
        n = len(report.errors)
        super().__init__(f"{n} error{'s' if n != 1 else ''} in the plan:\n{report.format_text()}")


class OutputError(GisplanError):
    """An output folder cannot be written."""


class RulesError(GisplanError):
    """A review rules file (TOML) is missing, unreadable or malformed."""
