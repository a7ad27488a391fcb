"""programme.html (issue #13): escaped, differences highlighted, one Gantt mark per milestone."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from plans import MINI_PROGRAMME, write_plan, write_programme

from gisplan.analysis.programme import compute_programme
from gisplan.analysis.scope import compute_scope
from gisplan.inputs.programme import read_programme
from gisplan.inputs.validation import load_layers
from gisplan.outputs.pages.gantt import gantt_svg
from gisplan.outputs.pages.programme import programme_html

EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    projects = MINI_PROGRAMME["projects"].copy()
    projects.loc[0, "name"] = EVIL
    milestones = MINI_PROGRAMME["milestones"].copy()
    milestones.loc[1, "lead"] = EVIL
    plan = write_programme(write_plan(tmp_path_factory.mktemp("p") / "mini"),
                           projects=projects, milestones=milestones)
    layers = load_layers(plan)
    res = compute_programme(compute_scope(layers), read_programme(layers), layers.communities,
                            as_of="2020-08-25")
    return res, layers


def test_every_text_is_escaped(result):
    res, layers = result
    page = programme_html(res, layers.communities, plan_name=EVIL, offline=False)
    assert EVIL not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") >= 4  # title, table, Gantt, lead


def test_differences_and_the_overdue_are_highlighted(result):
    res, layers = result
    page = programme_html(res, layers.communities, offline=False)
    table = page.split("<h2>投资 investment")[1].split("</table>")[0]
    rows = re.findall(r"<tr( class=\"([^\"]*)\")?>", table)
    # Q1, Q2 and all have stated totals that differ; unallocated has none
    assert [cls for _, cls in rows[1:]] == ["off", "off", "", "off total"]
    overdue = page.split("<h2>逾期事项 overdue (1)</h2>")[1].split("</table>")[0]
    # M2, 5 days late, with its lead unit (here the escaped EVIL) and its row marked
    assert 'class="overdue"' in overdue and ">M2<" in overdue and ">5<" in overdue
    assert "&lt;img src=x" in overdue


def test_the_gantt_has_one_mark_per_milestone_in_its_status(result):
    res, _ = result
    s = res.schedule[res.schedule["project_id"] == "Q1"]
    svg = gantt_svg(s, as_of=res.as_of, title="Q1")
    got = re.findall(r'data-milestone="([^"]+)" data-status="([^"]+)"', svg)
    assert got == list(zip(s["milestone_id"], s["status"], strict=True))
    assert svg.count('class="gp-asof"') == 1 and "截至 as of 2020-08-25" in svg


def test_the_as_of_line_sits_between_the_dates_around_it(result):
    res, _ = result
    s = res.schedule[res.schedule["project_id"] == "Q2"]
    svg = gantt_svg(s, as_of=pd.Timestamp("2020-08-25"), title="Q2")
    x_as_of = float(re.search(r'class="gp-asof" x1="([\d.]+)"', svg).group(1))
    bar = re.search(r'data-milestone="M3".*?<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" '
                    r'height="18" fill="none"/>.*?<rect x="([\d.]+)" y="[\d.]+" '
                    r'width="([\d.]+)"', svg)
    start, width = float(bar.group(1)), float(bar.group(2))
    # M3 runs 2020-08-01 .. 2020-09-15 (45 days); 08-25 is 24 days in
    assert (x_as_of - start) / width == pytest.approx(24 / 45, abs=0.01)
