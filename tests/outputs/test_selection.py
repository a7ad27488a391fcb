"""selection.csv, selection_summary.csv, selection.json and selection.html from a selection."""

from __future__ import annotations

import json

import pandas as pd
from plans import load_scoped, mini_layers
from selection_checks import mini_budgets

from gisplan.analysis.selection import select
from gisplan.analysis.selection_candidates import candidates
from gisplan.outputs.pages.selection import selection_html
from gisplan.outputs.selection import CSV_COLUMNS, solver_report, write_selection

EVIL = "<img src=x onerror=alert(1)>"


def chosen(tmp_path, budgets, name="=HYPERLINK(\"x\")"):
    layers = mini_layers()
    layers["communities"].loc[2, "name"] = name
    loaded, scope, zones = load_scoped(tmp_path / "p", layers)
    cand = candidates(loaded, scope, zones)
    s = select(cand, budgets)
    report = solver_report(s, objective="households", keep_zones_together=True,
                           time_limit_s=60.0, budgets=budgets)
    return loaded, cand, s, report


def test_files(tmp_path):
    # 2021 holds C only, 2022 holds the zone A+B (budgets from the plan's own costs)
    budgets = mini_budgets(tmp_path / "costs")
    _loaded, cand, s, report = chosen(tmp_path, budgets)
    out = tmp_path / "out"
    out.mkdir()
    paths = write_selection(s, cand, out, report=report)
    table = pd.read_csv(paths[0], encoding="utf-8-sig", dtype={"year": object})
    assert list(table.columns) == CSV_COLUMNS
    assert table["year"].tolist() == ["2022", "2022", "2021"]
    assert table["name"][2] == "'=HYPERLINK(\"x\")"  # a formula is neutralised
    summary = pd.read_csv(paths[1], encoding="utf-8-sig", dtype={"year": object})
    assert summary["year"].tolist() == ["2021", "2022", "total"]
    assert summary["households"].tolist() == [16, 54, 70]
    assert summary["cost_cny"].iloc[-1] == round(cand["cost_cny"].sum(), 2)
    data = json.loads(paths[2].read_text(encoding="utf-8"))
    assert data["status"] == "optimal" and data["gap"] == 0
    assert data["objective_value"] == 70 and data["bound"] == 70
    assert len(paths[2].read_text(encoding="utf-8").splitlines()) > 20  # one key a line


def test_too_expensive_is_listed(tmp_path):
    # each of A and B fits the year, their zone Z001 does not
    from selection_checks import mini_costs
    cost = mini_costs(tmp_path / "costs")
    loaded, cand, s, report = chosen(tmp_path, {"2021": round(max(cost["A"], cost["B"]) * 1.1)})
    table = s.chosen
    assert table["year"].tolist() == [None, None, "2021"]
    assert "too expensive" in table.loc["A", "note"] and "zone" in table.loc["A", "note"]
    assert report["too_expensive"] == 2
    page = selection_html(s, cand, loaded.communities, report=report)
    assert "无法入选 cannot be chosen (2)" in page


def test_page_escapes_and_loads_nothing(tmp_path):
    budgets = {"2021": mini_budgets(tmp_path / "costs")["2021"]}
    loaded, cand, s, report = chosen(tmp_path, budgets, name=EVIL)
    page = selection_html(s, cand, loaded.communities, report=report, plan_name=EVIL)
    assert EVIL not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page.split("<body>")[1]
