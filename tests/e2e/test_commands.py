"""gisplan run: the whole job, with progress for its long steps."""

import re

from plans import mini_layers, write_plan

from gisplan.cli import main as cli
from gisplan.cli.main import main
from gisplan.outputs.staging import staged_output


def test_run_reports_progress_and_writes_everything(mini_plan, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(mini_plan), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    steps = re.findall(r"\[(\d)/8\] (\S+) \S+ \.\.\. \d+\.\d\d s", err)
    assert [int(s) for s, _ in steps] == list(range(1, 9))
    names = {p.name for p in out.iterdir()}
    assert {"scope.csv", "scope.xlsx", "funding.csv", "zones.geojson", "zone_links.csv",
            "map.html", "report.html", "exports", "sheets", "packages"} <= names
    # the sheets (出图), and each package's own copies of its community's
    assert {p.name for p in (out / "sheets").glob("*_scope.pdf")} == {
        "A_scope.pdf", "B_scope.pdf", "C_scope.pdf"}
    for cid in "ABC":
        assert ((out / "packages" / cid / f"{cid}_scope.pdf").read_bytes()
                == (out / "sheets" / f"{cid}_scope.pdf").read_bytes())


def test_run_stops_at_validation_and_writes_nothing(tmp_path, capsys):
    layers = mini_layers()
    layers["buildings"].loc[0, "roof"] = "curved"
    plan = write_plan(tmp_path / "bad", layers)
    out = tmp_path / "out"
    assert main(["run", str(plan), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "[1/8] 校验 validate ... stopped" in err and "[2/8]" not in err
    assert "buildings [b1] field 'roof'" in err
    assert not out.exists() and not list(tmp_path.glob(".out.staging-*"))


def test_bad_options_exit_1_with_a_message_and_write_nothing(mini_plan, tmp_path, capsys):
    out = tmp_path / "out"
    cases = [
        (["zones", str(mini_plan), "--out", str(out), "--max-gap-m", "-5"],
         "--max-gap-m must be >= 0"),
        (["run", str(mini_plan), "--out", str(out), "--max-gap-m", "-1"],
         "--max-gap-m must be >= 0"),
        (["diff", str(mini_plan), str(mini_plan), "--out", str(out), "--tolerance-m", "-1"],
         "--tolerance-m must be >= 0"),
        (["partition", str(mini_plan), "--out", str(mini_plan), "--npartitions", "2"],
         "lies inside the input"),
        (["partition", str(mini_plan), "--out", str(out), "--npartitions", "0"],
         "--npartitions must be >= 1"),
        (["scope", str(mini_plan), "--out", str(out), "--engine", "dask", "--max-gap-m", "-1"],
         "--max-gap-m must be >= 0"),
    ]
    for argv, words in cases:
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err, argv
        assert not out.exists()
    assert not list(tmp_path.glob(".out.staging-*"))


def test_out_that_is_a_file_or_under_one_exits_1_and_leaves_it(mini_plan, tmp_path, capsys):
    file = tmp_path / "notes.txt"
    file.write_text("先别动", encoding="utf-8")
    for out, words in ((file, "exists and is not a folder"),
                       (file / "out", "cannot write there")):
        assert main(["scope", str(mini_plan), "--out", str(out)]) == 1, out
        err = capsys.readouterr().err
        assert f"error: --out {out}: {words}" in err and "Traceback" not in err, err
        assert file.read_text(encoding="utf-8") == "先别动"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mini", "notes.txt"]


def test_ctrl_c_exits_130_and_leaves_no_half_written_output(mini_plan, tmp_path, capsys,
                                                              monkeypatch):
    def interrupted(args):
        with staged_output(args.out) as stage:
            (stage / "scope.csv").write_text("half", encoding="utf-8")
            raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "scope", interrupted)
    out = tmp_path / "out"
    assert main(["scope", str(mini_plan), "--out", str(out)]) == 130
    assert capsys.readouterr().err == "interrupted; nothing was written\n"
    assert not out.exists() and not list(tmp_path.glob(".out.staging-*"))
