"""DXF site plans as a CAD program writes them, read as review proposals."""

from __future__ import annotations

from pathlib import Path

import ezdxf
import pandas as pd
import pytest
from plans import X0, Y0, write_plan

from gisplan.cli.main import main
from gisplan.errors import LayerReadError, ValidationError
from gisplan.inputs.cad import read_cad_proposal, read_mapping
from gisplan.inputs.validation import load_layers

MAPPING = """crs = "EPSG:4552"
[layers]
"充电桩" = "ev_charger"
"健身场地" = "fitness_equipment"
[blocks]
"BIKE-SHED" = "bike_shed"
"""


def _drawing(path: Path) -> Path:
    """A site plan as CAD software writes one: a block with an ID attribute inserted twice,
    closed and open polylines, a circle, points, text on a mapped layer, an unmapped layer,
    in plan coordinates (the mini plan's communities A, B, C lie from X0, Y0 on)."""
    doc = ezdxf.new("R2010")
    for name in ("充电桩", "健身场地", "自行车棚", "标注", "道路中线"):
        doc.layers.add(name)
    block = doc.blocks.new("BIKE-SHED")
    block.add_lwpolyline([(0, 0), (4, 0), (4, 2), (0, 2)], close=True)
    block.add_attdef("ID", (0, 0))
    msp = doc.modelspace()
    for i, (x, y) in enumerate([(20, 80), (120, 80)]):
        ref = msp.add_blockref("BIKE-SHED", (X0 + x, Y0 + y), dxfattribs={"layer": "自行车棚"})
        ref.add_attrib("ID", f"SHED-{i + 1}", (X0 + x, Y0 + y))
    msp.add_lwpolyline([(X0 + 30, Y0 + 30), (X0 + 40, Y0 + 30), (X0 + 40, Y0 + 40),
                        (X0 + 30, Y0 + 40)], close=True, dxfattribs={"layer": "健身场地"})
    msp.add_lwpolyline([(X0 + 50, Y0 + 30), (X0 + 60, Y0 + 30)],
                       dxfattribs={"layer": "健身场地"})  # open: not a site
    msp.add_circle((X0 + 150, Y0 + 30), 1.5, dxfattribs={"layer": "充电桩"})
    msp.add_point((X0 + 160, Y0 + 30), dxfattribs={"layer": "充电桩"})
    msp.add_text("充电桩 2 处", dxfattribs={"layer": "充电桩", "insert": (X0 + 150, Y0 + 35)})
    msp.add_line((X0, Y0), (X0 + 300, Y0), dxfattribs={"layer": "道路中线"})
    msp.add_text("审查用", dxfattribs={"layer": "标注"})
    doc.saveas(path)
    return path


@pytest.fixture
def site(tmp_path):
    plan = write_plan(tmp_path / "plan")
    (tmp_path / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    return load_layers(plan), _drawing(tmp_path / "site.dxf"), tmp_path / "mapping.toml"


def test_blocks_polylines_circles_and_points_become_proposals(site):
    layers, dxf, mapping = site
    read = read_cad_proposal(dxf, layers, mapping=mapping)
    p = read.proposals.set_index("facility_id")
    assert sorted(p.index[p["item"] == "bike_shed"]) == ["SHED-1", "SHED-2"]
    assert (p["item"] == "fitness_equipment").sum() == 1
    assert (p["item"] == "ev_charger").sum() == 2
    fit = p[p["item"] == "fitness_equipment"].geometry.iloc[0]
    assert fit.area == pytest.approx(100.0)  # the 10 x 10 closed polyline
    assert p.loc["SHED-1", "community_id"] == "A" and p.loc["SHED-2", "community_id"] == "B"
    circle = p[(p["item"] == "ev_charger") & (p["cad_type"] == "CIRCLE")].geometry.iloc[0]
    assert circle.area == pytest.approx(3.14159 * 1.5 ** 2, rel=0.01)


def test_what_maps_to_nothing_is_listed_never_dropped(site):
    layers, dxf, mapping = site
    un = read_cad_proposal(dxf, layers, mapping=mapping).unmapped
    got = {(r.cad_layer, r.cad_type): r.count for r in un.itertuples()}
    assert got[("健身场地", "LWPOLYLINE")] == 1  # the open polyline
    assert got[("充电桩", "TEXT")] == 1
    assert got[("道路中线", "LINE")] == 1 and got[("标注", "TEXT")] == 1
    assert un["count"].sum() == 4


def test_bad_mappings_are_located_errors(site, tmp_path):
    layers, dxf, _ = site
    bad = tmp_path / "bad.toml"
    bad.write_text('[layers]\n"充电桩" = "ev_charger"\n', encoding="utf-8")
    with pytest.raises(LayerReadError, match="'crs' is required"):
        read_mapping(bad)
    bad.write_text('crs = "EPSG:4552"\n[layers]\n"充电桩" = "charging_pole"\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="'charging_pole', which is not a work item"):
        read_cad_proposal(dxf, layers, mapping=bad)
    bad.write_text('crs = "EPSG:4326"\n[layers]\n"充电桩" = "ev_charger"\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="lies in no community"):
        read_cad_proposal(dxf, layers, mapping=bad)


def test_cli_reviews_a_dxf_and_warns_about_unmapped_layers(site, tmp_path, capsys):
    layers, dxf, mapping = site
    out = tmp_path / "out"
    plan = layers.plan.root
    assert main(["review", str(plan), "--proposal", str(dxf), "--out", str(out)]) == 1
    assert "needs --cad-mapping" in capsys.readouterr().err
    assert main(["review", str(plan), "--proposal", str(dxf), "--cad-mapping", str(mapping),
                 "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "CAD layer '道路中线': 1 × LINE not reviewed" in err
    review = pd.read_csv(out / "review.csv", encoding="utf-8-sig")
    assert {"SHED-1", "SHED-2"} <= set(review["feature_id"])
    warnings = pd.read_csv(out / "warnings.csv", encoding="utf-8-sig")
    assert (warnings["check"] == "unmapped_cad").sum() == 4
