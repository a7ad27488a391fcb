"""plan.toml [selection] and --budget: every mistake located."""

from __future__ import annotations

import pytest
from plans import PLAN_TOML, write_plan

from gisplan.errors import GisplanError, PlanError
from gisplan.plan.selection import SelectionSettings, parse_budget_flags
from gisplan.plan.settings import read_plan

LAYERS = "\n".join(f'{n} = "{n}.geojson"' for n in ("communities", "buildings", "pipes",
                                                     "facilities", "structures"))


def plan_with(tmp_path, section: str):
    return write_plan(tmp_path / "p", toml=PLAN_TOML.format(layers=LAYERS) + section)


def test_no_section_is_none(tmp_path):
    assert read_plan(plan_with(tmp_path, "")).selection is None


def test_section_is_read_in_order(tmp_path):
    plan = read_plan(plan_with(tmp_path, """
[selection]
budgets = { "2023" = 5e7, "2024" = 40000000 }
objective = "priority"
keep_zones_together = false
time_limit_s = 5
"""))
    assert plan.selection == SelectionSettings(
        budgets={"2023": 5e7, "2024": 4e7}, objective="priority", keep_zones_together=False,
        time_limit_s=5.0)
    assert list(plan.selection.budgets) == ["2023", "2024"]


def test_defaults(tmp_path):
    s = read_plan(plan_with(tmp_path, '\n[selection]\nbudgets = { 2021 = 1 }\n')).selection
    assert (s.objective, s.keep_zones_together, s.time_limit_s) == ("households", True, 60.0)


@pytest.mark.parametrize(("section", "words"), [
    ("objective = \"households\"", "'budgets' is required"),
    ("budgets = {}", "at least one year's budget"),
    ("budgets = { \"2022\" = 1, \"2021\" = 1 }", "years must be in order, got 2022, 2021"),
    ("budgets = { \"next\" = 1 }", "budget year 'next' is not a year"),
    ("budgets = { \"2021\" = -5 }", "budget of 2021 must be a finite number of CNY >= 0"),
    ("budgets = { \"2021\" = nan }", "budget of 2021 must be a finite number"),
    ("budgets = { \"2021\" = \"lots\" }", "budget of 2021 must be"),
    ("budgets = { \"2021\" = 1 }\nobjective = \"cost\"", "'objective' must be one of"),
    ("budgets = { \"2021\" = 1 }\nkeep_zones_together = 1", "'keep_zones_together' must be"),
    ("budgets = { \"2021\" = 1 }\ntime_limit_s = 0", "'time_limit_s' must be"),
    ("budgets = { \"2021\" = 1 }\nbudget = 3", "unknown key 'budget'; did you mean 'budgets'?"),
])
def test_mistakes_are_located(tmp_path, section, words):
    with pytest.raises(PlanError) as err:
        read_plan(plan_with(tmp_path, f"\n[selection]\n{section}\n"))
    assert "[selection]" in str(err.value) and words in str(err.value)


def test_budget_flags():
    assert parse_budget_flags(["2021=60000000", "2022=5e7"]) == {"2021": 6e7, "2022": 5e7}
    for values, words in ((["2021"], "expected YEAR=CNY"), (["2021=1", "2021=2"], "twice"),
                          (["2022=1", "2021=1"], "in order"), (["2021=-1"], ">= 0"),
                          (["2021=inf"], "finite"), (["21=1"], "is not a year")):
        with pytest.raises(GisplanError, match=words):
            parse_budget_flags(values)
