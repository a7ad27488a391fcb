"""gisplan diff as a reviewer reads it: Chinese labels, sources, no float noise."""

from __future__ import annotations

import pandas as pd
from plans import mini_layers, write_plan

from gisplan.cli.main import main


def test_diff_speaks_chinese_names_its_sources_and_rounds(tmp_path):
    old = write_plan(tmp_path / "v1")
    layers = mini_layers()
    layers["buildings"].loc[1, "households"] = 30  # b2: 24 -> 30
    new = write_plan(tmp_path / "v2", layers)
    out = tmp_path / "out"
    assert main(["diff", str(old), str(new), "--out", str(out), "--quiet"]) == 0
    page = (out / "diff.html").read_text(encoding="utf-8")
    assert "户数 households: 24 → 30" in page
    assert "全市 city" in page and str(old) in page and str(new) in page
    assert "未变化 unchanged: 社区 3，楼栋 3" in page  # b1, b3, b4 unchanged; b2 changed
    scope = pd.read_csv(out / "diff_scope.csv", encoding="utf-8-sig")
    for col in ("quantity_change", "cost_change_cny"):
        text = scope[col].astype(str)
        assert not text.str.contains(r"\d\.\d*0000000\d|\d\.\d*9999999\d").any(), col
    hh = scope[(scope["level"] == "city") & (scope["item"] == "households")]
    assert hh["quantity_change"].tolist() == [6.0]
