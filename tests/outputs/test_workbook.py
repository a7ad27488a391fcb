"""scope.xlsx for planners: overview, bills of quantities, Chinese headers, print setup."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from gisplan.cli.main import main


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    from plans import write_plan

    root = tmp_path_factory.mktemp("wb")
    plan = write_plan(root / "plan")
    assert main(["scope", str(plan), "--out", str(root / "out"), "--quiet"]) == 0
    return load_workbook(root / "out" / "scope.xlsx")


def _rows(ws):
    return [r for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]


def test_sheets_are_chinese_first(book):
    assert book.sheetnames == ["概览 overview", "全市清单 city bill", "街道清单 street bills",
                               "连片片区 zones", "资金来源 funding", "改造类型 scenarios",
                               "因素法 allocation"]


def test_overview_has_street_type_and_totals_equal_to_the_city(book):
    rows = _rows(book["概览 overview"])
    header = rows[0]
    assert header[:5] == ("社区编号", "社区名称", "街道", "改造类型", "连片片区")
    by_id = {r[0]: r for r in rows[1:]}
    # the mini plan, by hand: A 甲社区 on S1 basic (b1: 30 households), B upgrade (24),
    # C on S2 (16); b4 (8 households) lies in no community
    assert by_id["A"][1:4] == ("甲社区", "S1", "基本型")
    assert by_id["B"][3] == "提升型" and by_id["C"][2] == "S2"
    households = header.index("户数（户）")
    assert [by_id[k][households] for k in ("A", "B", "C", "unassigned")] == [30, 24, 16, 8]
    assert by_id["unassigned"][1] == "未归属"
    assert by_id["合计 total"][households] == 30 + 24 + 16 + 8
    cost = header.index("费用（元）")
    parts = sum(by_id[k][cost] for k in ("A", "B", "C", "unassigned"))
    assert by_id["合计 total"][cost] == pytest.approx(parts)
    assert "scope.csv" in rows[-1][0]


def test_city_bill_runs_down_the_rows_and_adds_up(book):
    rows = _rows(book["全市清单 city bill"])
    assert rows[0] == ("序号", "项目名称", "单位", "工程量", "单价（元）", "合价（元）",
                       "资金来源", "备注")
    items = [r for r in rows[1:] if r[0] != "合计 total"]
    assert [r[0] for r in items] == list(range(1, len(items) + 1))
    roof = next(r for r in items if r[7].startswith("roof_flat_waterproof"))
    # b1's 700 declared + b3 40x10 + b4 20x10 (b2 is pitched): tests/plans.py
    assert roof[1:4] == ("平屋面防水", "㎡", 700 + 400 + 200)
    assert roof[5] == pytest.approx(roof[3] * roof[4], abs=0.01)
    total = next(r for r in rows if r[0] == "合计 total")
    assert total[5] == pytest.approx(sum(r[5] for r in items), abs=0.05)


def test_street_bills_have_a_total_per_street(book):
    rows = _rows(book["街道清单 street bills"])
    totals = [r for r in rows if r[1] == "合计 total"]
    assert [r[0] for r in totals] == ["S1", "S2"]


def test_formats_and_print_setup(book):
    ws = book["概览 overview"]
    header = [c.value for c in ws[1]]
    assert ws.cell(row=2, column=header.index("户数（户）") + 1).number_format == "#,##0"
    cost = [ws.cell(row=r, column=header.index("费用（元）") + 1) for r in range(2, 6)]
    whole = all(float(c.value).is_integer() for c in cost)
    assert {c.number_format for c in cost} == {"#,##0" if whole else "#,##0.00"}
    assert ws.freeze_panes == "A2"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.print_title_rows == "$1:$1"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    f = book["资金来源 funding"]
    assert [c.value for c in f[1]] == ["层级", "区域编号", "区域名称", "资金来源", "费用（元）",
                                      "占比"]
    assert f.cell(row=2, column=6).number_format == "0.00%"


def test_zone_names_are_joined_in_row_order_as_groupby_joins_them():
    import pandas as pd

    from gisplan.outputs.workbook import _names_by_zone

    com = pd.DataFrame({"zone_id": ["Z2", "Z1", None, "Z2", "Z1", "Z3"],
                        "area_name": ["乙", "甲", "无", "丙", "丁", "戊"]})
    assert _names_by_zone(com) == com.groupby("zone_id")["area_name"].agg("、".join).to_dict()
    assert _names_by_zone(com.iloc[[2]]) == {}
