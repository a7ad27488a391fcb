"""The one exception family: every user error is a GisplanError; a ValidationError
carries its report and says how many errors it holds."""

from __future__ import annotations

import pytest

from gisplan import errors
from gisplan.errors import (
    GisplanError,
    LayerReadError,
    OutputError,
    PlanError,
    RulesError,
    ValidationError,
)
from gisplan.inputs.problems import Report


@pytest.mark.parametrize("kind", [PlanError, LayerReadError, ValidationError, OutputError,
                                  RulesError])
def test_every_user_error_is_a_gisplan_error(kind):
    assert issubclass(kind, GisplanError) and not issubclass(GisplanError, kind)


def test_every_exception_defined_here_is_in_the_family():
    family = [obj for obj in vars(errors).values()
              if isinstance(obj, type) and issubclass(obj, Exception)]
    assert len(family) >= 6 and all(issubclass(k, GisplanError) for k in family)


@pytest.mark.parametrize(("n", "head"), [(1, "1 error in the plan:"),
                                         (2, "2 errors in the plan:")])
def test_validation_error_counts_and_lists_its_errors(n, head):
    report = Report()
    for k in range(n):
        report.add("error", "buildings", "bad_value", f"bad {k}", feature_id=f"b{k}")
    report.add("warning", "pipes", "w", "only a warning")
    exc = ValidationError(report)
    assert exc.report is report
    lines = str(exc).splitlines()
    assert lines[0] == head
    assert lines[1:n + 1] == [f"ERROR: buildings [b{k}]: bad {k}" for k in range(n)]
    assert lines[-1] == "WARNING: pipes: only a warning"


def test_validation_error_is_caught_as_a_gisplan_error():
    with pytest.raises(GisplanError, match="0 errors in the plan"):
        raise ValidationError(Report())
