"""The schedule's status rules (issue #13), hand-computed at every boundary."""

from __future__ import annotations

import pandas as pd
import pytest

from gisplan.analysis.programme import (
    COMPLETE,
    NO_MILESTONES,
    community_phases,
    current_phases,
    milestone_status,
    phase_order,
    schedule_table,
)
from gisplan.inputs.programme import Programme
from gisplan.plan.programme import InvestmentSettings

D = pd.Timestamp("2020-08-20")
NAT = pd.NaT


def day(text):
    return pd.Timestamp(text) if text else NAT


# due, started_on, done_on -> status, days_late (as of 2020-08-20)
RULES = [
    (("2020-08-20", "", ""), ("due_soon", 0)),          # due today: not yet late
    (("2020-08-19", "", ""), ("overdue", 1)),           # due yesterday
    (("2020-09-03", "", ""), ("due_soon", 0)),          # exactly 14 days ahead
    (("2020-09-04", "", ""), ("not_started", 0)),       # 15 days ahead
    (("2020-08-01", "", "2020-08-04"), ("done", 3)),    # done 3 days after due
    (("2020-08-10", "", "2020-08-10"), ("done", 0)),    # done on the day
    (("2020-08-10", "", "2020-07-01"), ("done", 0)),    # done early
    (("2020-08-01", "2020-07-20", ""), ("overdue", 19)),  # started, but past due
    (("2020-10-01", "2020-08-20", ""), ("in_progress", 0)),  # started today
    (("2020-08-25", "2020-08-01", ""), ("in_progress", 0)),  # started beats due soon
    (("", "", ""), ("not_started", 0)),                 # no due: never late, never soon
    (("", "2020-06-01", ""), ("in_progress", 0)),
    (("", "", "2020-06-01"), ("done", 0)),
]


@pytest.mark.parametrize(("dates", "want"), RULES, ids=[f"{d}->{w[0]}" for d, w in RULES])
def test_status_rules(dates, want):
    due, started, done = (pd.Series([day(x)], dtype="datetime64[ns]") for x in dates)
    got = milestone_status(due=due, started_on=started, done_on=done, as_of=D)
    assert (got["status"].iloc[0], int(got["days_late"].iloc[0])) == want


def test_as_of_time_of_day_is_ignored():
    due = pd.Series([day("2020-08-20")])
    got = milestone_status(due=due, started_on=pd.Series([NAT]), done_on=pd.Series([NAT]),
                           as_of=pd.Timestamp("2020-08-20 18:30"))
    assert got["status"].tolist() == ["due_soon"]


def programme(progress_rows):
    projects = pd.DataFrame({"project_id": ["Q1", "Q2"], "name": ["a", "b"],
                             "track": ["fiscal", "budget"], "communities": [None, ("A",)],
                             "groups": [("building",), ("outdoor",)], "items": [(), ()]})
    milestones = pd.DataFrame({
        "milestone_id": ["M1", "M2", "M3", "M4"], "phase": ["准备", "许可", "许可", "验收"],
        "name": ["认定", "审查", "招投标", "验收"], "track": ["*", "fiscal", "budget", "*"],
        "start": [NAT, NAT, day("2020-08-01"), NAT],
        "due": [day("2020-06-01"), day("2020-08-20"), day("2020-09-15"), NAT],
        "lead": ["住建局"] * 4, "support": ["", "", "政数局", ""]})
    progress = pd.DataFrame(progress_rows, columns=["date", "milestone_id", "project_id",
                                                    "status"])
    progress["date"] = pd.to_datetime(progress["date"])
    return Programme(projects=projects, milestones=milestones, progress=progress.assign(note=None),
                     investment=InvestmentSettings())


def test_schedule_pairs_each_project_with_its_tracks_milestones():
    s = schedule_table(programme([]), as_of=D)
    assert list(zip(s["project_id"], s["milestone_id"], strict=True)) == [
        ("Q1", "M1"), ("Q1", "M2"), ("Q1", "M4"), ("Q2", "M1"), ("Q2", "M3"), ("Q2", "M4")]
    assert (s["as_of"] == D).all()


def test_schedule_takes_first_dates_on_or_before_as_of():
    rows = [("2020-05-20", "M1", "*", "done"),          # every project
            ("2020-05-25", "M1", "Q1", "done"),         # later: the first one counts
            ("2020-08-10", "M3", "Q2", "started"),
            ("2020-08-21", "M2", "Q1", "done"),         # after D: not yet
            ("2020-07-01", "M4", "Q2", "done")]         # Q2 only
    s = schedule_table(programme(rows), as_of=D).set_index(["project_id", "milestone_id"])
    assert s.loc[("Q1", "M1"), "done_on"] == day("2020-05-20")
    assert s.loc[("Q2", "M1"), "status"] == "done"
    assert s.loc[("Q2", "M3"), ["status", "started_on"]].tolist() == ["in_progress",
                                                                       day("2020-08-10")]
    assert s.loc[("Q1", "M2"), ["status", "days_late"]].tolist() == ["due_soon", 0]
    assert pd.isna(s.loc[("Q1", "M2"), "done_on"])
    assert s.loc[("Q1", "M4"), "status"] == "not_started"
    assert s.loc[("Q2", "M4"), "status"] == "done"
    # a day later, Q1's M2 is done on its due date
    later = schedule_table(programme(rows), as_of="2020-08-22").set_index(
        ["project_id", "milestone_id"])
    assert later.loc[("Q1", "M2"), ["status", "days_late"]].tolist() == ["done", 1]


def test_current_phase_is_that_of_the_most_urgent_open_milestone():
    p = programme([("2020-05-20", "M1", "*", "done")])
    s = schedule_table(p, as_of=D)
    phases = current_phases(s, phase_order(p)).set_index("project_id")
    assert phase_order(p) == ["准备", "许可", "验收"]
    # Q1: M2 (due 08-20) is open; Q2: M3 (due 09-15); M4 has no due date
    assert phases.loc["Q1", ["phase", "phase_rank", "milestone_id"]].tolist() == ["许可", 1, "M2"]
    assert phases.loc["Q2", ["phase", "milestone_id", "done", "milestones"]].tolist() == [
        "许可", "M3", 1, 3]
    done = [("2020-05-20", m, "*", "done") for m in ("M1", "M2", "M3", "M4")]
    all_done = current_phases(schedule_table(programme(done), as_of=D), phase_order(p))
    assert all_done["phase"].tolist() == [COMPLETE, COMPLETE]
    assert all_done["phase_rank"].tolist() == [3, 3]


def test_communities_take_the_least_advanced_of_their_projects():
    p = programme([])
    phases = pd.DataFrame({"project_id": ["Q1", "Q2"], "phase": ["许可", "准备"],
                           "phase_rank": [1, 0]})
    got = community_phases(p.projects, phases, pd.Series(["A", "B"])).set_index("community_id")
    assert got.loc["A", ["projects", "phase", "phase_rank"]].tolist() == ["Q1;Q2", "准备", 0]
    assert got.loc["B", ["projects", "phase", "phase_rank"]].tolist() == ["Q1", "许可", 1]
    alone = community_phases(p.projects.iloc[1:], phases, pd.Series(["A", "B"]))
    assert alone.set_index("community_id").loc["B", ["projects", "phase_rank"]].tolist() == [
        "", -1]


def test_a_project_without_milestones_never_sets_a_communitys_phase():
    p = programme([])
    lone = pd.DataFrame({"project_id": ["Q3"], "name": ["c"], "track": ["social"],
                         "communities": [("A",)], "groups": [("outdoor",)], "items": [()]})
    tracked = p.milestones[p.milestones["track"] != "*"]  # M2 (fiscal), M3 (budget)
    p = Programme(projects=pd.concat([p.projects, lone], ignore_index=True),
                  milestones=tracked, progress=p.progress, investment=p.investment)
    s = schedule_table(p, as_of=D)
    assert "Q3" not in set(s["project_id"])
    phases = current_phases(s, phase_order(p), projects=p.projects["project_id"])
    assert phases["project_id"].tolist() == ["Q1", "Q2", "Q3"]
    assert phases.set_index("project_id").loc["Q3", ["phase", "milestones"]].tolist() == [
        NO_MILESTONES, 0]
    got = community_phases(p.projects, phases, pd.Series(["A"])).set_index("community_id")
    assert got.loc["A", ["projects", "phase"]].tolist() == ["Q1;Q2;Q3", "许可"]
