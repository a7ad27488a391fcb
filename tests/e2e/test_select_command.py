"""gisplan select, and gisplan run with [selection]: exit codes, located errors, files."""

from __future__ import annotations

import json
import re

import pytest
from plans import PLAN_TOML, mini_layers, write_plan
from selection_checks import mini_budgets, mini_costs

from gisplan.cli.main import main

LAYERS = "\n".join(f'{n} = "{n}.geojson"' for n in ("communities", "buildings", "pipes",
                                                     "facilities", "structures"))


def budget_args(tmp_path) -> list[str]:
    """--budget options holding C in 2021 and zone Z001 in 2022 (from the plan's own costs)."""
    budgets = mini_budgets(tmp_path / "costs")
    return [a for y, v in budgets.items() for a in ("--budget", f"{y}={v}")]


def selection_section(tmp_path) -> str:
    b = mini_budgets(tmp_path / "costs")
    return f'\n[selection]\nbudgets = {{ "2021" = {b["2021"]}, "2022" = {b["2022"]} }}\n'


def plan(tmp_path, *, section: str = "", year=None):
    layers = mini_layers()
    if year is not None:
        layers["communities"]["year"] = year
    return write_plan(tmp_path / "plan", layers,
                      toml=PLAN_TOML.format(layers=LAYERS) + section)


def test_select_writes_four_files(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["select", str(plan(tmp_path)), "--out", str(out), *budget_args(tmp_path)]) == 0
    assert {"selection.csv", "selection_summary.csv", "selection.json",
            "selection.html"} <= {p.name for p in out.iterdir()}
    said = capsys.readouterr().out
    assert "已证明最优 proven optimal" in said and "2021: 1 社区" in said
    data = json.loads((out / "selection.json").read_text(encoding="utf-8"))
    assert data["budgets_cny"] == {y: float(v) for y, v in mini_budgets(tmp_path / "c").items()}


def test_command_line_replaces_the_plan(tmp_path):
    out = tmp_path / "out"
    folder = plan(tmp_path, section=selection_section(tmp_path))
    assert main(["select", str(folder), "--out", str(out), "--budget", "2025=200000",
                 "--no-keep-zones", "--time-limit", "5"]) == 0
    data = json.loads((out / "selection.json").read_text(encoding="utf-8"))
    assert data["budgets_cny"] == {"2025": 200000.0}
    assert data["keep_zones_together"] is False and data["time_limit_s"] == 5


@pytest.mark.parametrize(("argv", "section", "year", "words"), [
    ([], "", None, "no [selection] section and no --budget"),
    (["--budget", "2021"], "", None, "--budget 2021: expected YEAR=CNY"),
    (["--budget", "2021=1", "--time-limit", "0"], "", None, "--time-limit must be"),
    ([], '\n[selection]\nbudgets = { "2021" = -1 }\n', None, "[selection] 'budgets'"),
    (["--budget", "2021=900000"], "", [2020, None, None],
     "communities [A] field 'year': fixed to year 2020, which has no budget"),
    (["--budget", "2021=100000"], "", [None, None, 2021],
     "communities [C] field 'year': communities fixed to 2021 cost {cost_C} CNY, over"),
    (["--budget", "2021=1e6", "--budget", "2022=1e6"], "", [2021, 2022, None],
     "zone Z001 is kept together but its communities are fixed to different years"),
    (["--budget", "2021=1e6", "--objective", "priority"], "", None,
     "communities field 'priority': column 'priority' is missing"),
])
def test_mistakes_exit_1_located_and_write_nothing(tmp_path, capsys, argv, section, year,
                                                   words):
    out = tmp_path / "out"
    assert main(["select", str(plan(tmp_path, section=section, year=year)), "--out", str(out),
                 *argv]) == 1
    err = capsys.readouterr().err
    if "{cost_C}" in words:
        words = words.format(cost_C=f"{mini_costs(tmp_path / 'costs')['C']:,.0f}")
    assert words in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".out.staging-*"))


def test_run_selects_when_the_plan_has_selection(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(plan(tmp_path, section=selection_section(tmp_path))), "--out",
                 str(out)]) == 0
    steps = re.findall(r"\[(\d+)/(\d+)\] (\S+)", capsys.readouterr().err)
    n = int(steps[0][1])
    assert [int(s) for s, _, _ in steps] == list(range(1, n + 1)) and steps[-1][2] == "分年度"
    assert (out / "selection.html").exists() and (out / "report.html").exists()


def test_run_without_selection_does_not_select(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(plan(tmp_path)), "--out", str(out)]) == 0
    steps = re.findall(r"\[(\d+)/(\d+)\] (\S+)", capsys.readouterr().err)
    assert steps and "分年度" not in {name for _, _, name in steps}
    assert not (out / "selection.csv").exists()


def test_selection_page_in_the_browser(tmp_path):
    pytest.importorskip("playwright")
    from playwright.sync_api import sync_playwright
    from test_webmap_browser import CHROMIUM, FLAGS, _open

    out = tmp_path / "out"
    assert main(["select", str(plan(tmp_path)), "--out", str(out), *budget_args(tmp_path)]) == 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page, watch = _open(browser, (out / "selection.html").as_uri())
            assert page.evaluate("gisplanSelection.counts()") == {"2021": 1, "2022": 2}
            page.locator('tr[data-map="community:C"]').first.click()
            page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
            text = page.inner_text(".leaflet-popup-content")
            assert text.startswith("丙社区") and "2021" in text
            watch.check()
        finally:
            browser.close()


def test_hunchun_programme_is_the_brute_force_optimum(tmp_path):
    """The bundled plan's [selection] (generated geometry, illustrative budgets): four zones
    over three years; the greedy rule (Z002, Z004, then Z003 in 2022) loses to the optimum."""
    import pandas as pd
    from conftest import HUNCHUN
    from selection_checks import brute_force, greedy_weight

    out = tmp_path / "out"
    assert main(["select", str(HUNCHUN), "--out", str(out), "-q"]) == 0
    table = pd.read_csv(out / "selection.csv", encoding="utf-8-sig",
                        dtype={"year": object, "community_id": str})
    cand = pd.DataFrame({"cost_cny": table["cost_cny"], "weight": table["weight"],
                         "unit": table["zone_id"].astype(object), "year": None})
    budgets = json.loads((out / "selection.json").read_text(encoding="utf-8"))["budgets_cny"]
    best, most_weight_years = brute_force(cand, budgets)
    data = json.loads((out / "selection.json").read_text(encoding="utf-8"))
    assert data["status"] == "optimal" and data["objective_value"] == best
    assert data["weight_years"] == most_weight_years
    assert data["greedy_objective_value"] == greedy_weight(cand, budgets) < best
