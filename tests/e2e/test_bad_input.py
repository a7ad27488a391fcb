"""Input that used to end in a traceback: each is now a message or a correct run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from gisplan.cli.main import main

HUNCHUN = Path(__file__).resolve().parents[2] / "layers" / "hunchun2020"


@pytest.fixture
def hunchun(tmp_path) -> Path:
    return Path(shutil.copytree(HUNCHUN, tmp_path / "plan"))


def _toml(plan: Path, old: str, new: str) -> None:
    path = plan / "plan.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_quantities_with_a_header_and_no_rows(hunchun, tmp_path, capsys):
    q = pd.read_csv(hunchun / "quantities.csv", encoding="utf-8-sig")
    q.iloc[:0].to_csv(hunchun / "quantities.csv", index=False)
    assert main(["run", str(hunchun), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    recon = pd.read_csv(tmp_path / "out" / "reconciliation.csv", encoding="utf-8-sig")
    assert recon["name_zh"].notna().all()


def test_a_stated_item_nothing_computes(tmp_path):
    from plans import PLAN_TOML, write_plan

    from gisplan import compute_scope, load_layers
    from gisplan.plan.catalogue import load_catalogue

    plan = write_plan(tmp_path / "plan")
    city = compute_scope(load_layers(plan)).table.query("level == 'city'")
    item = sorted(set(load_catalogue().index) - set(city["item"]))[0]
    pd.DataFrame({"item": [item, "households"], "quantity": [12, 78]}).to_csv(
        plan / "stated.csv", index=False)
    spec = "\n".join(f'{n} = "{n}.geojson"' for n in ("communities", "buildings", "pipes",
                                                      "facilities", "structures"))
    (plan / "plan.toml").write_text(PLAN_TOML.format(layers=spec).replace(
        'declared = "quantities.csv"', 'declared = "quantities.csv"\nstated = "stated.csv"'),
        encoding="utf-8")
    assert "stated.csv" in (plan / "plan.toml").read_text(encoding="utf-8")
    assert main(["scope", str(plan), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    recon = pd.read_csv(tmp_path / "out" / "reconciliation.csv", encoding="utf-8-sig")
    row = recon.set_index("item").loc[item]
    assert row["stated"] == 12 and row["computed"] == 0
    assert row["name_zh"] == load_catalogue().loc[item, "name_zh"]


def test_no_zone_left_after_the_filters(hunchun, tmp_path, capsys):
    _toml(hunchun, "[zones]", "[zones]\nmin_households = 100000")
    assert main(["run", str(hunchun), "--out", str(tmp_path / "out")]) == 0
    assert "连片片区 zones 0" in capsys.readouterr().out
    zones = json.loads((tmp_path / "out" / "zones.geojson").read_text(encoding="utf-8"))
    assert zones["features"] == []


def test_a_symlink_loop_as_a_layer_path(hunchun, tmp_path, capsys):
    (hunchun / "loop1").symlink_to(hunchun / "loop2")
    (hunchun / "loop2").symlink_to(hunchun / "loop1")
    _toml(hunchun, '"buildings.geojson"', '"loop1"')
    assert main(["validate", str(hunchun)]) == 1
    err = capsys.readouterr().err
    assert "[layers] buildings:" in err and "cannot be followed" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("gap", ["nan", "inf", "-1"])
def test_max_gap_flag_must_be_a_finite_number(hunchun, tmp_path, capsys, gap):
    out = tmp_path / "out"
    assert main(["zones", str(hunchun), "--out", str(out), "--max-gap-m", gap]) == 1
    assert "--max-gap-m must be >= 0 and finite" in capsys.readouterr().err
    assert not out.exists()


def test_out_inside_the_plan_is_refused_and_the_plan_untouched(hunchun, capsys):
    before = {p.name: p.read_bytes() for p in hunchun.iterdir()}
    assert main(["export", str(hunchun), "--out", str(hunchun), "--quiet"]) == 1
    assert "lies inside the input" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in hunchun.iterdir()} == before
