"""``gisplan sheets``: the files, the options, exit 1 with a located error and nothing written;
the sheets in the 一区一案 packages."""

from __future__ import annotations

import hashlib
import json

import pytest
from PIL import Image
from plans import mini_layers, write_plan

from gisplan.cli.main import main


def test_sheets_command_writes_every_sheet_at_the_paper_and_dpi(mini_plan, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sheets", str(mini_plan), "--out", str(out), "--paper", "A4",
                 "--dpi", "100"]) == 0
    assert "wrote 7 sheets" in capsys.readouterr().out
    scope = sorted(p.name for p in out.glob("*_scope.pdf"))
    assert scope == ["A_scope.pdf", "B_scope.pdf", "C_scope.pdf"]  # one per community
    assert (out / "00_overview.pdf").is_file() and (out / "sheets.csv").is_file()
    for png in out.glob("*.png"):
        w, h = Image.open(png).size  # A4 landscape at 100 dpi: 1169.3 x 826.8 px
        assert abs(w - 297 / 25.4 * 100) < 1 and abs(h - 210 / 25.4 * 100) < 1
    only = tmp_path / "only"
    assert main(["sheets", str(mini_plan), "--out", str(only), "--community", "B",
                 "--dpi", "72", "-q"]) == 0
    assert sorted(p.name for p in only.glob("*.pdf")) == ["B_pipes.pdf", "B_scope.pdf"]


@pytest.mark.parametrize(("options", "message"), [
    (["--paper", "B5"], "--paper must be one of A3, A4, got 'B5'"),
    (["--dpi", "20"], "--dpi must be a whole number from 72 to 600, got 20"),
    (["--dpi", "150.5"], "--dpi must be a whole number"),
    (["--community", "Z"], "communities layer: no community_id Z; known: A, B, C"),
])
def test_bad_options_exit_1_located_and_write_nothing(mini_plan, tmp_path, capsys, options,
                                                      message):
    out = tmp_path / "out"
    assert main(["sheets", str(mini_plan), "--out", str(out), *options]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(("section", "message"), [
    ('[sheets]\npaper = "B5"\n', "[sheets] 'paper' must be one of ['A3', 'A4'], got 'B5'"),
    ('[sheets]\npapr = "A4"\n', "[sheets] unknown key 'papr'; did you mean 'paper'?"),
    ("[sheets]\ndpi = 1e9\n", "[sheets] 'dpi' must be a finite number >= 72"),
])
def test_bad_sheets_section_exits_1_located(tmp_path, capsys, section, message):
    plan = write_plan(tmp_path / "plan")
    toml = plan / "plan.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + section, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sheets", str(plan), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "plan.toml" in err and message in err
    assert not out.exists()


def test_bad_layer_exits_1_located(tmp_path, capsys):
    layers = mini_layers()
    layers["communities"].loc[1, "renovation_type"] = "luxury"
    plan = write_plan(tmp_path / "plan", layers)
    out = tmp_path / "out"
    assert main(["sheets", str(plan), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "communities" in err and "B" in err and "renovation_type" in err
    assert not out.exists()


def test_packages_carry_their_sheets_listed_in_the_manifest(mini_plan, tmp_path):
    out = tmp_path / "out"
    assert main(["export", str(mini_plan), "--out", str(out), "--packages", "--community",
                 "A", "--format", "geojson", "-q"]) == 0
    pkg = out / "packages" / "A"
    manifest = json.loads((pkg / "manifest.json").read_text(encoding="utf-8"))
    sheets = {f["path"]: f for f in manifest["files"] if f["format"].startswith("map sheet")}
    assert sorted(sheets) == ["A_pipes.pdf", "A_pipes.png", "A_scope.pdf", "A_scope.png"]
    for name, entry in sheets.items():
        assert hashlib.sha256((pkg / name).read_bytes()).hexdigest() == entry["sha256"]
