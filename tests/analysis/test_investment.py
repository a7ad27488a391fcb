"""Project claims and the investment table (issue #13), computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from gisplan.analysis.investment import (
    claim_costs,
    investment_table,
    scope_costs,
    unallocated_summary,
)
from gisplan.errors import ValidationError
from gisplan.plan.programme import InvestmentSettings


def scope_table():
    rows = [  # level, area, item, group, cost
        ("community", "A", "roof", "building", 100.0), ("community", "A", "road", "outdoor", 50.0),
        ("community", "A", "pipe:sewer:300", "pipes", 40.0),
        ("community", "A", "households", "metric", 0.0),
        ("community", "B", "roof", "building", 200.0), ("community", "B", "road", "outdoor", 30.0),
        ("community", "C", "roof", "building", 10.0), ("community", "C", "road", "outdoor", 20.0),
        ("unassigned", "unassigned", "pipe:sewer:300", "pipes", 15.0),
        ("city", "city", "roof", "building", 310.0), ("street", "S1", "road", "outdoor", 80.0),
    ]
    t = pd.DataFrame(rows, columns=["level", "area_id", "item", "group", "cost_cny"])
    t["quantity"] = 1.0
    t.loc[t["item"] == "households", "quantity"] = 30.0
    t["area_name"] = t["area_id"] + "社区"
    t["name_zh"] = t["item"]
    return t


def projects(**extra):
    p = pd.DataFrame({
        "project_id": ["Q1", "Q2"], "name": ["楼体", "室外"], "track": ["fiscal", "budget"],
        "communities": [None, ("A", "B")], "groups": [("building",), ("outdoor",)],
        "items": [(), ("pipe:sewer:300",)], "other_rate": [0.1, 0.2],
        "contingency_rate": [0.05, 0.0], "stated_total_cny": [400.0, 100.0]})
    return p.assign(**extra)


def test_scope_costs_are_community_and_unassigned_work():
    rows = scope_costs(scope_table())
    assert sorted(set(rows["level"])) == ["community", "unassigned"]
    assert "households" not in set(rows["item"]) and len(rows) == 8


def test_each_cost_goes_to_its_project_or_unallocated():
    c = claim_costs(scope_table(), projects())
    got = c.groupby("project_id")["cost_cny"].sum().to_dict()
    assert got == {"Q1": 310.0, "Q2": 120.0, "unallocated": 35.0}
    # a '*' project never claims the unassigned area's cost
    star = projects(communities=[None, None], groups=[("building",), ("pipes",)], items=[(), ()])
    c = claim_costs(scope_table(), star).set_index(["area_id", "item"])["project_id"]
    assert c[("unassigned", "pipe:sewer:300")] == "unallocated"
    assert c[("A", "pipe:sewer:300")] == "Q2"


def test_overlapping_claims_name_both_projects_and_an_example():
    p = pd.concat([projects(), pd.DataFrame({
        "project_id": ["Q3"], "name": ["屋面"], "track": ["fiscal"], "communities": [("B",)],
        "groups": [()], "items": [("roof",)], "other_rate": [0.0], "contingency_rate": [0.0],
        "stated_total_cny": [float("nan")]})], ignore_index=True)
    with pytest.raises(ValidationError) as err:
        claim_costs(scope_table(), p)
    problems = err.value.report.errors
    assert len(problems) == 1
    text = problems[0].format()
    assert "projects 'Q1' and 'Q3' both claim the cost of item 'roof'" in text
    assert "in community 'B' (B社区)" in text and problems[0].check == "overlapping_claim"


def test_investment_table_by_hand():
    settings = InvestmentSettings(other_rate=0.2, contingency_rate=0.1, stated_total_cny=600.0,
                                  stated_construction_cny=470.0)
    inv = investment_table(scope_table(), projects(), investment=settings).set_index(
        "project_id")
    assert list(inv.index) == ["Q1", "Q2", "unallocated", "all"]
    q1 = inv.loc["Q1"]
    # 310 construction, 31 other, (310 + 31) x 0.05 contingency
    assert q1[["construction_cny", "other_cny", "contingency_cny", "total_cny"]].tolist() == \
        pytest.approx([310.0, 31.0, 17.05, 358.05])
    assert q1["difference_cny"] == pytest.approx(-41.95)
    assert q1["relative_difference"] == pytest.approx(-41.95 / 400)
    assert inv.loc["Q2", ["construction_cny", "other_cny", "contingency_cny", "total_cny",
                          "difference_cny"]].tolist() == pytest.approx([120, 24, 0, 144, 44])
    # unallocated: 20 in C (no project claims C's road) + 15 unassigned, at the plan's rates
    assert inv.loc["unallocated", ["construction_cny", "other_cny", "contingency_cny",
                                   "total_cny"]].tolist() == pytest.approx([35, 7, 4.2, 46.2])
    assert pd.isna(inv.loc["unallocated", "stated_total_cny"])
    a = inv.loc["all"]
    assert a[["construction_cny", "other_cny", "contingency_cny", "total_cny"]].tolist() == \
        pytest.approx([465, 62, 21.25, 548.25])
    assert a[["stated_total_cny", "difference_cny"]].tolist() == pytest.approx([600, -51.75])
    assert a["construction_difference_cny"] == pytest.approx(-5.0)
    assert pd.isna(a["stated_other_cny"]) and pd.isna(a["other_difference_cny"])
    assert pd.isna(a["stated_parts_cny"]) and pd.isna(a["stated_gap_cny"])


def test_the_gap_between_stated_parts_and_stated_total_is_shown():
    settings = InvestmentSettings(stated_total_cny=180e6, stated_construction_cny=140e6,
                                  stated_other_cny=18e6, stated_contingency_cny=15e6)
    inv = investment_table(scope_table(), projects(), investment=settings).set_index(
        "project_id")
    assert inv.loc["all", ["stated_parts_cny", "stated_gap_cny"]].tolist() == [173e6, 7e6]
    assert inv.loc[["Q1", "Q2"], "stated_gap_cny"].isna().all()


def test_unallocated_summary_says_where_it_comes_from():
    s = unallocated_summary(claim_costs(scope_table(), projects()))
    assert s[["source", "item", "cost_cny"]].values.tolist() == [
        ["community", "road", 20.0], ["unassigned", "pipe:sewer:300", 15.0]]
