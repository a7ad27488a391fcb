"""A community's sheets: one pipe-works sheet per network with works, each naming its
network and showing only it in colour; the shared map's PNG equals a full render."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pypdf
import pytest
from PIL import Image
from plans import write_plan

from gisplan.analysis.scope import compute_scope
from gisplan.analysis.zones import detect_zones
from gisplan.inputs.validation import load_layers
from gisplan.outputs.exports.layer_files import enrich_layers, select_community
from gisplan.outputs.sheets.community import community_sheets, networks_with_works
from gisplan.outputs.sheets.font import rc_params
from gisplan.outputs.sheets.sheets import SheetOptions, sheet_texts, write_sheets
from gisplan.plan.catalogue import read_data
from gisplan.plan.sheets import SheetSettings


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    plan = write_plan(tmp_path_factory.mktemp("plan") / "mini")
    layers = load_layers(plan)
    zones = detect_zones(layers)
    enriched = enrich_layers(layers, compute_scope(layers, zones=zones.membership), zones)
    options = SheetOptions(layers.plan.name, layers.plan.crs,
                           SheetSettings(dpi=72), date="2026-01-02")
    return enriched, options


def _works(enriched, cid) -> set[str]:
    pipes = select_community(enriched, cid)["pipes"]
    return set(pipes.loc[pipes["action"] != "keep", "network"])


def test_one_pipe_sheet_per_network_with_works_in_each_community(mini, tmp_path):
    enriched, options = mini
    write_sheets(enriched, tmp_path, options, workers=1)
    index = pd.read_csv(tmp_path / "sheets.csv", encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    pipes = index[index["管网 network"] != ""]
    names = read_data("networks.csv").set_index("network")
    for cid in enriched["communities"]["community_id"]:
        mine = pipes[pipes["社区编号 community_id"] == cid]
        assert set(mine["管网 network"]) == _works(enriched, cid)
        assert len(mine) == len(_works(enriched, cid))  # one each
        for _, row in mine.iterrows():
            zh, en = names.loc[row["管网 network"], ["name_zh", "name_en"]]
            assert f"{zh}管网改造图" in row["图名 title"] and en in row["图名 title"]
            assert row["文件 files"] == (f"{cid}_pipes_{row['管网 network']}.pdf "
                                         f"{cid}_pipes_{row['管网 network']}.png")
    assert sum(len(_works(enriched, c)) for c in enriched["communities"]["community_id"]) \
        == len(pipes) > len(enriched["communities"])  # more sheets than one per community


def test_a_network_sheet_names_only_its_network(mini, tmp_path):
    enriched, options = mini
    options = SheetOptions(options.plan_name, options.crs, options.settings, options.date,
                           formats=("pdf",))
    with matplotlib.rc_context(rc_params(sheet_texts(enriched, options))):
        sheets = community_sheets(enriched, "A", tmp_path, options, number="01")
    nets = read_data("networks.csv").set_index("network")["name_zh"]
    drawn = [s for s in sheets if s.network]
    assert [s.network for s in drawn] == networks_with_works(select_community(enriched,
                                                                              "A")["pipes"])
    for sheet in drawn:
        text = pypdf.PdfReader(sheet.files[0]).pages[0].extract_text()
        assert f"{nets[sheet.network]}管网改造图" in text
        others = [nets[n] for n in nets.index if n != sheet.network]
        assert not [o for o in others if o in text]  # no other network's legend row or label


def test_the_shared_maps_png_equals_a_full_render(mini, tmp_path):
    enriched, options = mini
    options = SheetOptions(options.plan_name, options.crs, options.settings, options.date,
                           formats=("png",))
    out = {}
    for reuse in (True, False):
        folder = tmp_path / str(reuse)
        folder.mkdir()
        with matplotlib.rc_context(rc_params(sheet_texts(enriched, options))):
            sheets = community_sheets(enriched, "A", folder, options, number="01", reuse=reuse)
        out[reuse] = {p.name: np.asarray(Image.open(p), dtype=int)
                      for s in sheets if s.network for p in s.files}
    assert len(out[True]) > 1 and out[True].keys() == out[False].keys()
    for name, shared in out[True].items():
        full = out[False][name]
        assert shared.shape == full.shape and (shared == full).all(), name  # pixel for pixel
