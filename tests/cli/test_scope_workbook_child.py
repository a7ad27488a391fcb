"""``gisplan scope`` writes scope.xlsx in a second process: the same workbook, and a
failure there fails the command the usual way with nothing swapped in."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from gisplan.cli.main import main
from gisplan.errors import OutputError
from gisplan.outputs.background import can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="no os.fork here")


def _cells(path):
    book = load_workbook(path)
    return {ws.title: [[(c.value, c.number_format, c.font.b) for c in row]
                       for row in ws.iter_rows()] for ws in book}


def _files(out):
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


def test_the_workbook_is_the_one_written_in_process(mini_plan, tmp_path, monkeypatch):
    assert main(["scope", str(mini_plan), "--out", str(tmp_path / "child"), "-q"]) == 0
    monkeypatch.setenv("GISPLAN_NO_FORK", "1")
    assert main(["scope", str(mini_plan), "--out", str(tmp_path / "here"), "-q"]) == 0
    assert _cells(tmp_path / "child" / "scope.xlsx") == _cells(tmp_path / "here" / "scope.xlsx")


@pytest.mark.parametrize("error, code", [(RuntimeError("disk on fire"), 2),
                                         (OutputError("disk on fire"), 1)])
def test_a_failure_writing_the_workbook_leaves_the_old_output(mini_plan, tmp_path, capsys,
                                                             monkeypatch, error, code):
    out = tmp_path / "out"
    assert main(["scope", str(mini_plan), "--out", str(out), "-q"]) == 0
    before = _files(out)

    def broken(*_a, **_k):
        raise error

    monkeypatch.setattr("gisplan.outputs.workbook.write_workbook", broken)
    assert main(["scope", str(mini_plan), "--out", str(out), "-q"]) == code
    err = capsys.readouterr().err
    assert "disk on fire" in err
    assert _files(out) == before  # the old folder, whole
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []
    if code == 2:
        report = err.rsplit("full report: ", 1)[1].strip()
        text = open(report, encoding="utf-8").read()
        assert "in the process writing scope.xlsx" in text and "broken" in text
