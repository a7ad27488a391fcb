"""The commands' own helpers: grouped warnings, the --max-gap-m check, the inputs of a
command and the staged output with its warnings.csv."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest

from gisplan.cli import commands
from gisplan.errors import GisplanError, OutputError
from gisplan.inputs.problems import Problem


def _warn(layer: str, check: str, fid: str | None, message: str = "lies in no community"):
    return Problem("warning", layer, check, message, fid)


def test_grouped_lines_count_and_name_the_first_ids():
    found = ([_warn("buildings", "outside", f"b{i}") for i in range(7)]
             + [_warn("pipes", "outside", "p1", "runs outside")])
    lines = commands.grouped_lines(found, ids=3)
    assert lines[0] == "WARNING: buildings: 7 × lies in no community (b0, b1, b2, …)"
    assert lines[1] == "WARNING: pipes: runs outside (p1)"
    assert "warnings.csv" in lines[2]


def test_grouped_lines_of_single_warnings_need_no_pointer():
    assert commands.grouped_lines([_warn("pipes", "outside", None, "x")]) == [
        "WARNING: pipes: x"]


@pytest.mark.parametrize("gap", [float("nan"), float("inf"), -0.5])
def test_max_gap_flag_rejects_what_is_not_a_distance(gap):
    with pytest.raises(GisplanError, match="--max-gap-m must be >= 0 and finite"):
        commands.check_max_gap_flag(gap)


@pytest.mark.parametrize("gap", [None, 0.0, 50.0])
def test_max_gap_flag_accepts_distances_and_nothing(gap):
    commands.check_max_gap_flag(gap)


def test_inputs_are_every_path_a_command_names():
    args = argparse.Namespace(plan_dir=Path("p"), proposal=Path("x.geojson"), rules=None,
                              markup=Path("m.geojson"))
    assert commands.input_paths(args) == [Path("p"), Path("x.geojson"), Path("m.geojson")]


def test_staged_writes_the_warnings_seen_and_refuses_inputs(tmp_path, monkeypatch):
    monkeypatch.setitem(commands.STATE, "warnings", [_warn("buildings", "outside", "b4")])
    out = tmp_path / "out"
    with commands.staged(out, [tmp_path / "plan"]) as stage:
        (stage / "a.csv").write_text("x")
    table = pd.read_csv(out / "warnings.csv", encoding="utf-8-sig")
    assert table[["layer", "check", "feature_id"]].values.tolist() == [
        ["buildings", "outside", "b4"]]
    with pytest.raises(OutputError, match="lies inside the input"), \
            commands.staged(tmp_path / "plan" / "out", [tmp_path / "plan"]):
        pass
