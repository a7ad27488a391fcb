"""``gisplan sheets``: the files, the options, exit 1 with a located error and nothing written;
the sheets in the 一区一案 packages."""

from __future__ import annotations

import hashlib
import json

import pytest
from PIL import Image
from plans import mini_layers, write_plan

from gisplan.analysis.scope import compute_scope
from gisplan.analysis.zones import detect_zones
from gisplan.cli.main import main
from gisplan.errors import OutputError
from gisplan.inputs.validation import load_layers
from gisplan.outputs.exports.layer_files import enrich_layers, select_community
from gisplan.outputs.sheets import pool


def works_by_community(plan) -> dict[str, list[str]]:
    """Each community's networks with pipe works (replace, new) inside it, from the data."""
    layers = load_layers(plan)
    zones = detect_zones(layers)
    enriched = enrich_layers(layers, compute_scope(layers, zones=zones.membership), zones)
    out = {}
    for cid in enriched["communities"]["community_id"]:
        pipes = select_community(enriched, cid)["pipes"]
        out[cid] = sorted(set(pipes.loc[pipes["action"] != "keep", "network"]))
    return out


def test_sheets_command_writes_every_sheet_at_the_paper_and_dpi(mini_plan, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sheets", str(mini_plan), "--out", str(out), "--paper", "A4",
                 "--dpi", "100"]) == 0
    works = works_by_community(mini_plan)
    n = 1 + len(works) + sum(len(v) for v in works.values())
    assert f"wrote {n} sheets" in capsys.readouterr().out
    scope = sorted(p.name for p in out.glob("*_scope.pdf"))
    assert scope == ["A_scope.pdf", "B_scope.pdf", "C_scope.pdf"]  # one per community
    assert (out / "00_overview.pdf").is_file() and (out / "sheets.csv").is_file()
    for png in out.glob("*.png"):
        w, h = Image.open(png).size  # A4 landscape at 100 dpi: 1169.3 x 826.8 px
        assert abs(w - 297 / 25.4 * 100) < 1 and abs(h - 210 / 25.4 * 100) < 1
    only = tmp_path / "only"
    assert main(["sheets", str(mini_plan), "--out", str(only), "--community", "B",
                 "--dpi", "72", "-q"]) == 0
    assert sorted(p.name for p in only.glob("*.pdf")) == sorted(
        ["B_scope.pdf", *(f"B_pipes_{net}.pdf" for net in works["B"])])


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
    nets = works_by_community(mini_plan)["A"]
    assert len(nets) > 1  # the mini plan has works of several networks in A
    assert sorted(sheets) == sorted(f"{stem}.{ext}" for ext in ("pdf", "png")
                                    for stem in ["A_scope", *(f"A_pipes_{n}" for n in nets)])
    for name, entry in sheets.items():
        assert hashlib.sha256((pkg / name).read_bytes()).hexdigest() == entry["sha256"]


def _fail_in_a_worker(exc: Exception, pid: int):
    """A community_sheets that raises ``exc`` for community B when not in process ``pid``."""
    import os

    from gisplan.outputs.sheets import sheets

    real = sheets.community_sheets

    def fake(enriched, community_id, *args, **kwargs):
        if community_id == "B" and os.getpid() != pid:
            raise exc
        return real(enriched, community_id, *args, **kwargs)

    return fake


@pytest.mark.parametrize(("exc", "code", "message"), [
    (OutputError("communities layer: B: cannot draw (injected)"), 1,
     "communities layer: B: cannot draw (injected)"),
    (RuntimeError("injected bug"), 2, "injected bug"),
])
def test_a_failure_in_a_worker_is_the_commands_error_and_nothing_is_written(
        mini_plan, tmp_path, capsys, monkeypatch, exc, code, message):
    """Sheets drawn by two forked workers: a located error in one exits 1 with its message,
    a bug exits 2 with a report naming it; either way OUT is not created."""
    import os

    from gisplan.outputs.sheets import sheets

    monkeypatch.setattr(pool, "worker_count", lambda: 2)
    monkeypatch.setattr(sheets, "community_sheets", _fail_in_a_worker(exc, os.getpid()))
    out = tmp_path / "out"
    assert main(["sheets", str(mini_plan), "--out", str(out), "--dpi", "72"]) == code
    err = capsys.readouterr().err
    assert message in err
    assert not out.exists()
    if code == 2:  # the report holds the worker's own traceback
        report = next(tmp_path.glob("out.gisplan-error-*.txt")).read_text(encoding="utf-8")
        assert "RuntimeError: injected bug" in report and "in fake" in report
