"""The command line's edge: parsing (unknown commands and options, choices, help), exit
codes, one failure path, grouped warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from plans import mini_layers, write_plan

from gisplan import __version__
from gisplan.cli import commands
from gisplan.cli import main as cli
from gisplan.cli.main import main
from gisplan.errors import GisplanError, PlanError, ValidationError
from gisplan.inputs.problems import Report


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


# -- parsing ----------------------------------------------------------------------------------

COMMANDS = ["validate", "scope", "zones", "run", "map", "export", "review", "diff", "partition"]


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``gisplan argv``, argparse's exits included."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def parse(argv: list[str]):
    return cli._parser().parse_args(argv)


def test_version_and_help(capsys):
    assert run(["--version"], capsys)[:2] == (0, f"gisplan {__version__}\n")
    code, out, _ = run(["--help"], capsys)
    assert code == 0 and "城镇老旧小区改造" in out
    for name in COMMANDS:
        assert f"    {name}" in out, name
    code, out, _ = run(["export", "--help"], capsys)
    assert code == 0 and "--shp-encoding {GBK,UTF-8}" in out and "--out OUT_DIR" in out


@pytest.mark.parametrize(("argv", "words"), [
    ([], "the following arguments are required: COMMAND"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["scope", "p", "--out", "o", "--bogus"], "unrecognized arguments: --bogus"),
    (["scope", "p"], "the following arguments are required: --out/-o"),
    (["validate", "p", "--format", "xml"], "argument --format: invalid choice: 'xml'"),
    (["zones", "p", "--out", "o", "--engine", "dask"], "argument --engine: invalid choice"),
    (["export", "p", "--out", "o", "--format", "kml"], "argument --format: invalid choice"),
    (["export", "p", "--out", "o", "--shp-encoding", "latin1"], "invalid choice: 'latin1'"),
    (["map", "p", "--out", "o", "--metric", "beauty"], "argument --metric: invalid choice"),
    (["map", "p", "--out", "o", "--basemap", "google"], "argument --basemap: invalid choice"),
    (["zones", "p", "--out", "o", "--max-gap-m", "near"], "invalid float value: 'near'"),
    (["partition", "p", "--out", "o"], "required: --npartitions"),
    (["partition", "p", "--out", "o", "--npartitions", "2.5"], "invalid int value: '2.5'"),
    (["review", "p", "--out", "o"], "required: --proposal"),
    (["diff", "old"], "required: NEW_PLAN_DIR"),
])
def test_bad_command_lines_exit_2_with_argparses_words(capsys, argv, words):
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert words in err and "usage: gisplan" in err


def test_options_are_parsed_into_their_types():
    a = parse(["validate", "some/dir", "--engine", "fiona", "--repair", "--format", "json"])
    assert (a.command, a.plan_dir, a.engine, a.repair, a.format) == (
        "validate", Path("some/dir"), "fiona", True, "json")
    a = parse(["scope", "p", "-o", "o", "--engine", "dask", "--workers", "3",
               "--max-gap-m", "75.5"])
    assert (a.out, a.engine, a.workers, a.max_gap_m, a.scheduler) == (Path("o"), "dask", 3,
                                                                     75.5, None)
    a = parse(["export", "p", "--out", "o", "--format", "geojson", "--format", "dxf"])
    assert (a.format, a.shp_encoding, a.community, a.packages, a.zip) == (
        ["geojson", "dxf"], "GBK", None, False, False)
    a = parse(["diff", "v1", "v2", "--out", "o"])
    assert (a.old_dir, a.new_dir, a.tolerance_m, a.engine) == (Path("v1"), Path("v2"), 0.01,
                                                              "pyogrio")
    a = parse(["map", "p", "--out", "o"])
    assert (a.basemap, a.metric, a.online, a.max_gap_m) == (None, None, False, None)
    a = parse(["run", "p", "--out", "o"])
    assert (a.online, a.shp_encoding) == (False, "GBK")
    a = parse(["run", "p", "--out", "o", "--online", "--shp-encoding", "UTF-8"])
    assert (a.online, a.shp_encoding) == (True, "UTF-8")
    for argv in (["map", "p"], ["run", "p"], ["export", "p", "--packages"],
                 ["review", "p", "--proposal", "f"], ["diff", "v1", "v2"], ["programme", "p"]):
        assert parse([*argv, "--out", "o", "--online"]).online is True, argv


def test_every_command_has_a_function():
    sub = next(a for a in cli._parser()._actions if a.dest == "command")
    assert set(COMMANDS) <= set(sub.choices)  # and those of COMMAND_MODULES
    assert all(callable(cli._command(name)) for name in sub.choices)
    with pytest.raises(KeyError):
        cli._command("frobnicate")


def raising(exc: BaseException):
    def command(args):
        raise exc
    return command


def test_a_users_mistake_is_one_line_and_exit_1(monkeypatch, capsys):
    monkeypatch.setitem(cli.COMMANDS, "validate", raising(GisplanError("the layer is bad")))
    assert run(["validate", "p"], capsys) == (1, "", "error: the layer is bad\n")


def test_a_users_mistake_as_json(monkeypatch, capsys):
    monkeypatch.setitem(cli.COMMANDS, "validate", raising(PlanError("plan.toml: no [plan]")))
    code, out, err = run(["validate", "p", "--format", "json"], capsys)
    doc = json.loads(out)
    assert (code, err, doc["ok"], doc["errors"]) == (1, "", False, 1)
    assert doc["problems"][0] == {"severity": "error", "layer": "plan.toml",
                                  "check": "PlanError", "message": "plan.toml: no [plan]",
                                  "feature_id": None, "field": None}


def test_validation_errors_list_every_problem(monkeypatch, capsys):
    report = Report()
    report.add("error", "buildings", "bad_value", "value '五' is not a whole number",
               feature_id="b1", field="floors")
    report.add("error", "pipes", "duplicate_id", "used twice", feature_id="p1")
    monkeypatch.setitem(cli.COMMANDS, "validate", raising(ValidationError(report)))
    code, out, err = run(["validate", "p"], capsys)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "ERROR: buildings [b1] field 'floors': value '五' is not a whole number",
        "ERROR: pipes [p1]: used twice", "FAILED: 2 errors; nothing was written"]
    code, out, err = run(["validate", "p", "--format", "json"], capsys)
    assert code == 1 and '"duplicate_id"' in out and err == ""


def test_interrupted(monkeypatch, capsys):
    monkeypatch.setitem(cli.COMMANDS, "validate", raising(KeyboardInterrupt()))
    assert run(["validate", "p"], capsys) == (130, "", "interrupted; nothing was written\n")


def test_a_missing_plan_folder_is_a_message_not_a_traceback(tmp_path, capsys):
    code, _, err = run(["validate", str(tmp_path / "nope")], capsys)
    assert code == 1 and err.startswith("error: ") and "Traceback" not in err
    assert "plan.toml" in err
