"""The plan's sheets: one scope sheet per community, pipe sheets where there are pipe works,
the index, the CJK font embedded and every name drawable; Hunchun's names on its sheets."""

from __future__ import annotations

import pandas as pd
import pypdf
import pytest
from fontTools.ttLib import TTFont
from matplotlib import pyplot as plt
from plans import mini_layers, write_plan

from gisplan.analysis.scope import compute_scope
from gisplan.analysis.zones import detect_zones
from gisplan.errors import OutputError
from gisplan.inputs.validation import load_layers
from gisplan.outputs.exports.layer_files import enrich_layers
from gisplan.outputs.sheets import font
from gisplan.outputs.sheets.sheets import (
    SheetOptions,
    glyph_report,
    write_sheets,
    write_sheets_for_plan,
)


def _plan(path):
    layers = load_layers(path)
    zones = detect_zones(layers)
    return layers, compute_scope(layers, zones=zones.membership), zones


def _fonts(pdf) -> set[tuple[str, str, tuple[str, ...]]]:
    out = set()
    for page in pypdf.PdfReader(pdf).pages:
        for res in page["/Resources"]["/Font"].values():
            res = res.get_object()
            for d in res.get("/DescendantFonts", [None]):
                d = d.get_object() if d is not None else {}
                desc = d.get("/FontDescriptor")
                files = tuple(k for k in desc.get_object() if k.startswith("/FontFile")) \
                    if desc is not None else ()
                out.add((str(res["/Subtype"]), str(res["/BaseFont"]).split("+")[-1], files))
    return out


def test_one_scope_sheet_per_community_and_pipe_sheets_where_pipes_are(tmp_path):
    layers = mini_layers()
    layers["pipes"] = layers["pipes"][layers["pipes"]["pipe_id"] == "p2"]  # water in A only
    layers, scope, zones = _plan(write_plan(tmp_path / "plan", layers))
    out = tmp_path / "sheets"
    written = write_sheets_for_plan(layers, scope, zones, out, dpi=72, date="2026-01-02")
    names = sorted(p.name for p in written)
    assert names == sorted(["00_overview.pdf", "00_overview.png", "A_scope.pdf", "A_scope.png",
                            "B_scope.pdf", "B_scope.png", "C_scope.pdf", "C_scope.png",
                            "A_pipes_water.pdf", "A_pipes_water.png", "sheets.csv"])
    index = pd.read_csv(out / "sheets.csv", encoding="utf-8-sig", dtype=str)
    assert index["图号 number"].tolist() == ["00", "01-1", "01-2", "02-1", "03-1"]
    assert index["图名 title"].tolist()[1:3] == ["S1 甲社区 改造范围图",
                                              "S1 甲社区 给水管网改造图 water supply"]
    assert index["管网 network"].fillna("").tolist() == ["", "", "water", "", ""]
    assert plt.get_fignums() == []  # no figure left open
    text = pypdf.PdfReader(out / "A_pipes_water.pdf").pages[0].extract_text()
    for expected in ("测试计划", "S1 甲社区 给水管网改造图", "给水DN110", "1:500", "2026-01-02",
                     "乙社区"):  # plan, title, pipe label, scale, date, the neighbour named
        assert expected in text
    assert _fonts(out / "A_scope.pdf") == {("/Type0", "WenQuanYiMicroHei", ("/FontFile2",))}


def test_unknown_community_is_an_error_naming_the_known(mini_plan, tmp_path):
    layers, scope, zones = _plan(mini_plan)
    with pytest.raises(OutputError, match="no community_id Z; known: A, B, C"):
        write_sheets_for_plan(layers, scope, zones, tmp_path / "s", communities=["Z"])
    assert not (tmp_path / "s").exists()


def test_a_name_the_font_cannot_draw_is_a_located_warning(tmp_path):
    layers = mini_layers()
    layers["communities"].loc[1, "name"] = "𠀀乙社区"
    layers, scope, zones = _plan(write_plan(tmp_path / "plan", layers))
    found = glyph_report(enrich_layers(layers, scope, zones)).warnings
    assert [(p.layer, p.feature_id, p.field) for p in found] == [("communities", "B", "name")]
    assert "𠀀" in found[0].message and font.FAMILY in found[0].message


@pytest.fixture(scope="module")
def hunchun_sheets(tmp_path_factory):
    from conftest import HUNCHUN

    layers, scope, zones = _plan(HUNCHUN)
    out = tmp_path_factory.mktemp("hunchun")
    options = SheetOptions(layers.plan.name, layers.plan.crs, layers.plan.sheets,
                           formats=("pdf",))
    # the overview, and one community of each street (长安: two parts)
    some = layers.communities.drop_duplicates("street")["community_id"].tolist()
    some.append(layers.communities.set_index("name").loc["长安社区", "community_id"])
    write_sheets(enrich_layers(layers, scope, zones), out, options, communities=some)
    return layers, some, out


def test_hunchun_every_name_has_glyphs_and_is_on_its_sheet(hunchun_sheets):
    layers, some, out = hunchun_sheets
    com, b = layers.communities, layers.buildings
    with TTFont(str(font.font_path()), fontNumber=0, lazy=True) as f:
        cmap = f.getBestCmap()
    names = {*com["name"], *com["street"], *b["name"].dropna(), layers.plan.name}
    lacking = {n: [c for c in n if ord(c) not in cmap] for n in names}
    assert not any(lacking.values()), lacking
    overview = pypdf.PdfReader(out / "00_overview.pdf").pages[0].extract_text()
    assert all(n in overview for n in com["name"])  # all 17 communities named
    for _, row in com[com["community_id"].isin(some)].iterrows():
        pdf = out / f"{row['community_id']}_scope.pdf"
        text = pypdf.PdfReader(pdf).pages[0].extract_text()
        assert f"{row['street']} {row['name']} 改造范围图" in text
        assert "图形为示意" in text  # the bundled plan says its geometry is generated
        assert _fonts(pdf) == {("/Type0", "WenQuanYiMicroHei", ("/FontFile2",))}
    assert len(list(out.glob("*_scope.pdf"))) == len(some) == 4 and not list(out.glob("*.png"))


def test_hunchun_pipe_sheets_one_per_network_with_works(hunchun_sheets):
    from gisplan.outputs.exports.layer_files import select_community

    layers, some, out = hunchun_sheets
    zones = detect_zones(layers)
    enriched = enrich_layers(layers, compute_scope(layers, zones=zones.membership), zones)
    for cid in some:
        pipes = select_community(enriched, cid)["pipes"]
        works = set(pipes.loc[pipes["action"] != "keep", "network"])
        assert {p.stem.split("_pipes_")[1] for p in out.glob(f"{cid}_pipes_*.pdf")} == works
