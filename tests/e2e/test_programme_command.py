"""gisplan programme and gisplan run with [programme] (issue #13): files, figures, bad input."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import HUNCHUN
from plans import MINI_PROGRAMME, write_plan, write_programme

from gisplan.analysis.scope import compute_scope
from gisplan.cli.main import main
from gisplan.inputs.validation import load_layers

FILES = {"investment.csv", "schedule.csv", "programme.html"}


@pytest.fixture
def plan(tmp_path):
    return write_programme(write_plan(tmp_path / "mini"))


def _read(path):
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"project_id": str})


def test_programme_writes_the_three_files(plan, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["programme", str(plan), "--as-of", "2020-08-25", "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == FILES | {"warnings.csv", ".gisplan-files"}
    warned = pd.read_csv(out / "warnings.csv", encoding="utf-8-sig")
    assert "unallocated_cost" in set(warned["check"])
    text = capsys.readouterr()
    assert "进度 schedule as of 2020-08-25: 1 overdue" in text.out
    # community C's outdoor work and the gap's work are in no project: a warning says so
    assert "WARNING: programme: " in text.err and "万元工程费不属于任何项目" in text.err
    inv = _read(out / "investment.csv").set_index("project_id")
    assert list(inv.index) == ["Q1", "Q2", "unallocated", "all"]
    t = compute_scope(load_layers(plan)).table
    com = t[(t["level"] == "community") & (t["group"] != "metric")]
    want_q1 = com.loc[com["group"] == "building", "cost_cny"].sum()
    want_q2 = com.loc[com["area_id"].isin(["A", "B"]) & com["group"].isin(["outdoor", "pipes"]),
                      "cost_cny"].sum()
    assert inv.loc["Q1", "construction_cny"] == pytest.approx(want_q1, abs=0.01)
    assert inv.loc["Q2", "construction_cny"] == pytest.approx(want_q2, abs=0.01)
    city = t.loc[t["level"] == "city", "cost_cny"].sum()
    assert inv.loc["all", "construction_cny"] == pytest.approx(city, abs=0.01)
    assert inv.loc["unallocated", "construction_cny"] == pytest.approx(
        city - want_q1 - want_q2, abs=0.01)
    # Q2's own rates (0.1, 0.05); Q1 the plan's (0.2, 0.1)
    q2 = inv.loc["Q2"]
    assert q2["total_cny"] == pytest.approx(want_q2 * 1.1 * 1.05, abs=0.01)
    assert q2["difference_cny"] == pytest.approx(q2["total_cny"] - 500_000, abs=0.01)
    assert inv.loc["all", "stated_total_cny"] == 2_000_000
    s = _read(out / "schedule.csv").set_index(["project_id", "milestone_id"])
    assert s["status"].to_dict() == {
        ("Q1", "M1"): "done", ("Q1", "M2"): "overdue", ("Q1", "M4"): "not_started",
        ("Q2", "M1"): "done", ("Q2", "M3"): "in_progress", ("Q2", "M4"): "not_started"}
    assert s.loc[("Q1", "M2"), "days_late"] == 5 and s.loc[("Q1", "M1"), "done_on"] == "2020-05-20"
    assert (s["as_of"] == "2020-08-25").all()


def test_run_writes_the_programme_and_the_report_counts_the_overdue(plan, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(plan), "--as-of", "2020-09-16", "--out", str(out)]) == 0
    assert FILES <= {p.name for p in out.iterdir()}
    report = (out / "report.html").read_text(encoding="utf-8")
    # as of 09-16: Q1's M2 (due 08-20) and Q2's M3 (due 09-15) are late
    assert 'data-metric="overdue" data-value="2"' in report
    assert "投资与进度 investment and schedule" in report
    assert "2 overdue" in capsys.readouterr().out


def test_run_without_as_of_takes_today(plan, tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(plan), "--out", str(out)]) == 0
    today = pd.Timestamp.today().strftime("%Y-%m-%d")
    assert (_read(out / "schedule.csv")["as_of"] == today).all()


def _bad(name, col, row, value):
    frame = MINI_PROGRAMME[name].copy()
    frame.loc[row, col] = value
    return {name: frame}


BAD = [
    (_bad("projects", "communities", 1, "A;Z"),
     "projects (projects.csv) [line 3] field 'communities': community 'Z'"),
    (_bad("projects", "contingency_rate", 1, "1"), "field 'contingency_rate': '1' is not a rate"),
    (_bad("milestones", "due", 2, "2020-09-31"),
     "[line 4] field 'due': '2020-09-31' is not a date"),
    (_bad("progress", "status", 0, "half-done"), "[line 2] field 'status': status 'half-done'"),
    (_bad("progress", "milestone_id", 1, "M8"), "milestone 'M8' is not in milestones.csv"),
    (_bad("projects", "items", 1, "roof_flat_waterproof"),  # Q1 claims the building group
     "projects 'Q1' and 'Q2' both claim the cost of item 'roof_flat_waterproof'"),
]


@pytest.mark.parametrize("command", ["programme", "run"])
@pytest.mark.parametrize(("frames", "words"), BAD, ids=[w[:30] for _, w in BAD])
def test_bad_programme_exits_1_located_and_writes_nothing(tmp_path, capsys, command, frames,
                                                          words):
    plan = write_programme(write_plan(tmp_path / "mini"), **frames)
    out = tmp_path / "out"
    assert main([command, str(plan), "--as-of", "2020-08-25", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err, err
    assert "nothing was written" in err
    assert not out.exists() and not list(tmp_path.glob(".out.staging-*"))


@pytest.mark.parametrize("as_of", ["2020-13-01", "25/08/2020", "tomorrow"])
def test_bad_as_of_exits_1(plan, tmp_path, capsys, as_of):
    out = tmp_path / "out"
    for command in ("programme", "run"):
        assert main([command, str(plan), "--as-of", as_of, "--out", str(out)]) == 1
        err = capsys.readouterr().err
        assert f"error: --as-of '{as_of}': not a date; expected YYYY-MM-DD" in err
        assert not out.exists()


def test_bad_rate_in_plan_toml_exits_1(plan, tmp_path, capsys):
    toml = plan / "plan.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("other_rate = 0.2",
                                                             "other_rate = 1.5"), "utf-8")
    out = tmp_path / "out"
    assert main(["programme", str(plan), "--out", str(out)]) == 1
    assert "[investment] 'other_rate' must be a number in [0, 1), got 1.5" in \
        capsys.readouterr().err
    assert not out.exists()


def test_programme_needs_the_section(mini_plan, tmp_path, capsys):
    assert main(["programme", str(mini_plan), "--out", str(tmp_path / "out")]) == 1
    assert "no [programme] section" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_hunchun_programme_shows_the_plans_own_gap(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["programme", str(HUNCHUN), "--as-of", "2020-08-25", "--out", str(out)]) == 0
    inv = _read(out / "investment.csv").set_index("project_id")
    assert inv.loc[["P1", "P2", "P3"], "stated_total_cny"].tolist() == [54e6, 76e6, 50e6]
    a = inv.loc["all"]
    assert (a["stated_total_cny"], a["stated_parts_cny"], a["stated_gap_cny"]) == (
        180e6, 173e6, 7e6)
    assert a["total_cny"] == pytest.approx(inv.loc[["P1", "P2", "P3", "unallocated"],
                                                   "total_cny"].sum(), abs=0.05)
    s = _read(out / "schedule.csv")
    late = s[s["status"] == "overdue"]
    # 施工图设计审查备案 of the 财政 project, due 8月20日
    assert late[["project_id", "milestone_id", "days_late", "lead"]].values.tolist() == [
        ["P2", "C3-F", 5, "住房和城乡建设局"]]
    # the plan's 已完成 steps are done; 勘察设计招投标 only for the first 发改 batch and 财政
    done = s[s["status"] == "done"].groupby("project_id")["milestone_id"].agg(set)
    assert {"A1", "A2", "A3", "A6", "A8", "B1", "B2", "B3", "C2"} <= done["P3"]
    assert "C1" in done["P1"] and "C1" in done["P2"] and "C1" not in done["P3"]
    err = capsys.readouterr().err
    assert "38.8 万元工程费不属于任何项目" in err
    page = (out / "programme.html").read_text(encoding="utf-8")
    assert 'data-gap="7000000.0"' in page and "相差 gap 700.0 万元" in page


def test_validate_lists_the_programme_problems_too(tmp_path, capsys):
    frames = {**_bad("progress", "status", 0, "half-done"), **_bad("projects", "other_rate", 0,
                                                                     "-1")}
    plan = write_programme(write_plan(tmp_path / "mini"), **frames)
    assert main(["validate", str(plan)]) == 1
    out = capsys.readouterr().out
    assert "status 'half-done'" in out and "field 'other_rate': '-1'" in out
    assert "FAILED: 2 errors" in out
    assert main(["validate", str(write_programme(write_plan(tmp_path / "ok")))]) == 0
