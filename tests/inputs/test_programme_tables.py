"""Reading the programme tables (issue #13): ids, dates, statuses and rates, located."""

from __future__ import annotations

import pandas as pd
import pytest
from plans import MINI_PROGRAMME, write_plan, write_programme

from gisplan.errors import GisplanError, ValidationError
from gisplan.inputs.programme import read_programme
from gisplan.inputs.validation import load_layers


@pytest.fixture
def programme_plan(tmp_path):
    return write_programme(write_plan(tmp_path / "mini"))


def test_reads_the_mini_programme(programme_plan):
    p = read_programme(load_layers(programme_plan))
    q = p.projects.set_index("project_id")
    assert q.loc["Q1", "communities"] is None and q.loc["Q2", "communities"] == ("A", "B")
    assert q.loc["Q2", "groups"] == ("outdoor", "pipes") and q.loc["Q1", "items"] == ()
    # the plan's rates where a project gives none
    assert q.loc["Q1", ["other_rate", "contingency_rate"]].tolist() == [0.2, 0.1]
    assert q.loc["Q2", ["other_rate", "contingency_rate"]].tolist() == [0.1, 0.05]
    assert q["stated_total_cny"].tolist() == [1_000_000, 500_000]
    assert q["stated_other_cny"].isna().all()
    m = p.milestones.set_index("milestone_id")
    assert m.loc["M3", "start"] == pd.Timestamp("2020-08-01") and pd.isna(m.loc["M4", "due"])
    assert p.progress["status"].tolist() == ["done", "started"]
    assert p.investment.stated_total_cny == 2_000_000


def test_no_programme_section_is_an_error(mini_plan):
    with pytest.raises(GisplanError, match=r"no \[programme\] section"):
        read_programme(load_layers(mini_plan))


def _edit(name, **changes):
    frame = MINI_PROGRAMME[name].copy()
    for key, value in changes.items():
        col, row = key.rsplit("_", 1)
        frame.loc[int(row), col] = value
    return {name: frame}


CASES = [
    (_edit("projects", project_id_1="Q1"), "projects (projects.csv) [line 3] field "
     "'project_id': duplicate id 'Q1' (first on line 2)"),
    (_edit("projects", project_id_1="all"), "'all' is reserved"),
    (_edit("projects", communities_1="A;Z"), "[line 3] field 'communities': community 'Z' is "
     "not in the communities layer"),
    (_edit("projects", groups_0="roofs"), "[line 2] field 'groups': group 'roofs' is not a "
     "catalogue group"),
    (_edit("projects", items_0="roof;pipe:water:200"), "[line 2] field 'items': work item "
     "'roof' is not in the catalogue"),
    (_edit("projects", other_rate_1="1.2"), "[line 3] field 'other_rate': '1.2' is not a rate "
     "in [0, 1)"),
    (_edit("projects", contingency_rate_1="5%"), "field 'contingency_rate': '5%' is not a rate"),
    (_edit("projects", stated_total_cny_0="-3"), "field 'stated_total_cny': '-3' is not a "
     "finite amount >= 0"),
    (_edit("projects", groups_1="", items_1=""), "the project claims nothing"),
    (_edit("projects", track_0="*"), "'*' is for milestones"),
    (_edit("milestones", due_1="2020-8-20"), "milestones (milestones.csv) [line 3] field "
     "'due': '2020-8-20' is not a date; expected YYYY-MM-DD"),
    (_edit("milestones", due_1="2020-02-30"), "'2020-02-30' is not a date"),
    (_edit("milestones", track_2="housing"), "[line 4] field 'track': track 'housing' is no "
     "project's track"),
    (_edit("milestones", start_2="2020-10-01"), "[line 4] field 'start': start 2020-10-01 is "
     "after due 2020-09-15"),
    (_edit("milestones", milestone_id_3=""), "[line 5] field 'milestone_id': is empty"),
    (_edit("progress", status_1="finished"), "progress (progress.csv) [line 3] field 'status': "
     "status 'finished' is not one of started, done"),
    (_edit("progress", milestone_id_0="M9"), "[line 2] field 'milestone_id': milestone 'M9' "
     "is not in milestones.csv"),
    (_edit("progress", project_id_1="Q7"), "[line 3] field 'project_id': project 'Q7' is not "
     "in projects.csv"),
    (_edit("progress", project_id_1="Q1"), "milestone 'M3' is on track 'budget', project 'Q1' "
     "on 'fiscal'"),
    (_edit("progress", date_0="yesterday"), "[line 2] field 'date': 'yesterday' is not a date"),
    (_edit("progress", date_0=""), "[line 2] field 'date': is empty"),
    ({"milestones": MINI_PROGRAMME["milestones"].drop(columns="phase")},
     "required column 'phase' is missing"),
    ({"progress": MINI_PROGRAMME["progress"].assign(who="x")}, "unknown column 'who'"),
]


@pytest.mark.parametrize(("frames", "words"), CASES, ids=[w[:40] for _, w in CASES])
def test_bad_rows_are_located(tmp_path, frames, words):
    plan = write_programme(write_plan(tmp_path / "mini"), **frames)
    layers = load_layers(plan)
    with pytest.raises(ValidationError) as err:
        read_programme(layers)
    assert words in err.value.report.format_text()


def test_every_problem_is_reported_at_once(tmp_path):
    frames = {**_edit("projects", other_rate_1="2"), **_edit("progress", status_0="x",
                                                              date_1="2020/08/10")}
    plan = write_programme(write_plan(tmp_path / "mini"), **frames)
    with pytest.raises(ValidationError) as err:
        read_programme(load_layers(plan))
    assert len(err.value.report.errors) == 3


def test_a_missing_file_is_reported(tmp_path):
    plan = write_programme(write_plan(tmp_path / "mini"))
    (plan / "milestones.csv").unlink()
    with pytest.raises(ValidationError, match="file not found"):
        read_programme(load_layers(plan))
