"""plan.toml [programme] and [investment] (issue #13): every key, every mistake located."""

from __future__ import annotations

from pathlib import Path

import pytest
from plans import PLAN_TOML

from gisplan.errors import PlanError
from gisplan.plan.programme import InvestmentSettings
from gisplan.plan.settings import read_plan

MINIMAL = PLAN_TOML.format(layers='communities = "c.geojson"\nbuildings = "b.geojson"\n'
                                  'pipes = "p.geojson"')
SECTIONS = """
[programme]
projects = "programme/projects.csv"
milestones = "programme/milestones.csv"
progress = "programme/progress.csv"

[investment]
other_rate = 0.128571
contingency_rate = 0.05
stated_total_cny = 180_000_000
stated_construction_cny = 140_000_000
stated_other_cny = 18_000_000
stated_contingency_cny = 15_000_000
"""


def plan_file(tmp_path: Path, text: str) -> Path:
    (tmp_path / "plan.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_both_sections_parse(tmp_path):
    plan = read_plan(plan_file(tmp_path, MINIMAL + SECTIONS))
    root = tmp_path.resolve()
    p = plan.programme
    assert (p.projects, p.milestones, p.progress) == (
        root / "programme/projects.csv", root / "programme/milestones.csv",
        root / "programme/progress.csv")
    assert plan.investment == InvestmentSettings(
        other_rate=0.128571, contingency_rate=0.05, stated_total_cny=180e6,
        stated_construction_cny=140e6, stated_other_cny=18e6, stated_contingency_cny=15e6)


def test_defaults_without_the_sections(tmp_path):
    plan = read_plan(plan_file(tmp_path, MINIMAL))
    assert plan.programme is None
    assert plan.investment == InvestmentSettings()
    assert (plan.investment.other_rate, plan.investment.stated_total_cny) == (0.0, None)


def test_progress_is_optional(tmp_path):
    text = MINIMAL + '[programme]\nprojects = "p.csv"\nmilestones = "m.csv"\n'
    assert read_plan(plan_file(tmp_path, text)).programme.progress is None


BAD = [
    ('[programme]\nmilestones = "m.csv"\n', "[programme] 'projects' is required"),
    ('[programme]\nprojects = "p.csv"\n', "[programme] 'milestones' is required"),
    ('[programme]\nprojects = "p.csv"\nmilestones = 3\n',
     "[programme] 'milestones' must be a relative file path, got 3"),
    ('[programme]\nprojects = "p.csv"\nmilestones = "m.csv"\nschedule = "s.csv"\n',
     "[programme] unknown key 'schedule'"),
    ("[investment]\nother_rate = 1.0\n", "'other_rate' must be a number in [0, 1), got 1.0"),
    ("[investment]\nother_rate = -0.1\n", "'other_rate' must be a number in [0, 1), got -0.1"),
    ('[investment]\ncontingency_rate = "5%"\n',
     "'contingency_rate' must be a number in [0, 1), got '5%'"),
    ("[investment]\ncontingency_rate = nan\n",
     "'contingency_rate' must be a number in [0, 1), got nan"),
    ("[investment]\ncontingency_rate = true\n",
     "'contingency_rate' must be a number in [0, 1), got True"),
    ("[investment]\nstated_total_cny = -5\n",
     "'stated_total_cny' must be a finite number >= 0 (CNY), got -5"),
    ("[investment]\nstated_total_cny = inf\n",
     "'stated_total_cny' must be a finite number >= 0 (CNY), got inf"),
    ("[investment]\ncontingency = 0.05\n", "[investment] unknown key 'contingency'"),
]


@pytest.mark.parametrize(("section", "words"), BAD, ids=[w for _, w in BAD])
def test_mistakes_are_located(tmp_path, section, words):
    with pytest.raises(PlanError) as err:
        read_plan(plan_file(tmp_path, MINIMAL + section))
    assert f"{tmp_path / 'plan.toml'}: " in str(err.value) and words in str(err.value)


def test_every_mistake_is_listed_at_once(tmp_path):
    text = MINIMAL + "[programme]\n[investment]\nother_rate = 2\ncontingency_rate = 1\n"
    with pytest.raises(PlanError) as err:
        read_plan(plan_file(tmp_path, text))
    lines = str(err.value).splitlines()[1:]
    assert len(lines) == 4, lines  # projects, milestones, two rates
