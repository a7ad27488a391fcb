"""The command line's edge: exit codes, one failure path, grouped warnings."""

from __future__ import annotations

import pandas as pd
from plans import mini_layers, write_plan

from gisplan.cli import commands
from gisplan.cli.main import main


def test_an_unexpected_failure_is_one_line_and_a_report(mini_plan, tmp_path, capsys,
                                                       monkeypatch):
    def broken(*_a, **_k):
        raise RuntimeError("injected failure")

    monkeypatch.setattr("gisplan.outputs.workbook.write_scope_tables", broken)
    out = tmp_path / "out"
    assert main(["scope", str(mini_plan), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if not line.startswith("WARNING")
             and not line.startswith("  (")]
    assert len(lines) == 1 and "Traceback" not in err
    assert "injected failure" in lines[0] and "full report:" in lines[0]
    report = lines[0].rsplit("full report: ", 1)[1].strip()
    text = open(report, encoding="utf-8").read()
    assert "Traceback" in text and "RuntimeError: injected failure" in text
    assert not out.exists()


def test_warnings_are_grouped_and_all_written(tmp_path, capsys):
    layers = mini_layers()
    b = layers["buildings"]
    far = b.iloc[[3] * 30].copy()  # b4 lies in no community; thirty more like it
    far["building_id"] = [f"x{i:02d}" for i in range(30)]
    layers["buildings"] = pd.concat([b, far], ignore_index=True)
    plan = write_plan(tmp_path / "plan", layers)
    out = tmp_path / "out"
    assert main(["zones", str(plan), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    line = [x for x in err.splitlines() if x.startswith("WARNING: buildings")]
    assert len(line) == 1 and "31 ×" in line[0] and "b4, x00, x01, x02, x03, …" in line[0]
    table = pd.read_csv(out / "warnings.csv", encoding="utf-8-sig")
    assert (table["layer"] == "buildings").sum() == 31
    assert main(["zones", str(plan), "--out", str(out), "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["zones", str(plan), "--out", str(out), "--verbose"]) == 0
    assert len([x for x in capsys.readouterr().err.splitlines()
                if x.startswith("WARNING: buildings")]) == 31


def test_state_is_reset_between_runs(mini_plan, tmp_path):
    assert main(["zones", str(mini_plan), "--out", str(tmp_path / "a")]) == 0
    n = len(commands.STATE["warnings"])
    assert main(["zones", str(mini_plan), "--out", str(tmp_path / "b")]) == 0
    assert len(commands.STATE["warnings"]) == n


def test_formula_like_names_are_inert_in_every_csv(tmp_path):
    layers = mini_layers()
    layers["communities"].loc[0, "name"] = '=HYPERLINK("http://x","click")'
    layers["communities"].loc[1, "name"] = "=cmd|' /C calc'!A0"
    plan = write_plan(tmp_path / "plan", layers)
    out = tmp_path / "out"
    assert main(["run", str(plan), "--out", str(out), "--quiet"]) == 0
    for csv in out.rglob("*.csv"):
        for value in pd.read_csv(csv, encoding="utf-8-sig", dtype=str).fillna("").stack():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), (csv.name, value)
    scope = pd.read_csv(out / "scope.csv", encoding="utf-8-sig", dtype=str)
    assert "'=HYPERLINK(\"http://x\",\"click\")" in set(scope["area_name"])
