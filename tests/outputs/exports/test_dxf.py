"""CAD drawings: one DXF in the working CRS, a layer per kind of feature, every ring a
closed LWPOLYLINE, id labels that never overlap. Files are read back with ezdxf and GDAL."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import ezdxf
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from plans import X0, Y0, box, export_layers, line, load_scoped, point

from gisplan.outputs.exports.dxf import dxf_layers, write_dxf
from gisplan.outputs.exports.layer_files import enrich_layers


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dxf")
    layers, scope, zones = load_scoped(folder / "plan", export_layers())
    write_dxf(enrich_layers(layers, scope, zones), folder / "layers.dxf", crs=layers.plan.crs)
    return folder


def test_layer_names_by_hand():
    pipes = pd.DataFrame({"network": ["sewer", "gas", "water"], "diameter_mm": [300, None, 110],
                          "action": ["replace", "new", "keep"]})
    assert dxf_layers("pipes", pipes).tolist() == ["PIPE_SEWER_DN300", "PIPE_GAS",
                                                   "PIPE_WATER_DN110_KEEP"]
    fac = pd.DataFrame({"item": ["ev_charger", "bike shed/2", "a<b>:c"]})
    assert dxf_layers("facilities", fac).tolist() == ["FAC_EV_CHARGER", "FAC_BIKE_SHED_2",
                                                      "FAC_A_B__C"]
    com = pd.DataFrame({"x": [1, 2]}, index=[5, 6])
    assert dxf_layers("communities", com).to_dict() == {5: "COMMUNITIES", 6: "COMMUNITIES"}
    assert dxf_layers("greenways", com).tolist() == ["GREENWAYS", "GREENWAYS"]


def test_hand_made_drawing(tmp_path):
    holed = box(0, 0, 100, 100).difference(box(40, 40, 60, 60))
    layers = {
        "communities": gpd.GeoDataFrame({"community_id": ["甲"]}, geometry=[holed]),
        "pipes": gpd.GeoDataFrame({"network": ["sewer"], "diameter_mm": [300],
                                   "action": ["replace"]},
                                  geometry=[line((0, 50), (30, 50), (30, 90))]),
        "facilities": gpd.GeoDataFrame({"item": ["bench"]}, geometry=[
            shapely.MultiPoint([point(10, 10), point(20, 10)])]),
        "structures": gpd.GeoDataFrame({"structure_id": []}, geometry=[]),
    }
    path = write_dxf(layers, tmp_path / "d.dxf", crs="EPSG:4552")
    doc = ezdxf.readfile(path)
    msp = doc.modelspace()
    counts = Counter((e.dxftype(), e.dxf.layer) for e in msp)
    assert dict(counts) == {("LWPOLYLINE", "COMMUNITIES"): 2, ("LWPOLYLINE", "PIPE_SEWER_DN300"): 1,
                            ("INSERT", "FAC_BENCH"): 2, ("TEXT", "LABELS"): 1}
    rings = sorted((abs(shapely.Polygon(e.get_points("xy")).area), e.closed)
                   for e in msp.query('LWPOLYLINE[layer=="COMMUNITIES"]'))
    assert rings == [(400.0, True), (10000.0, True)]  # the hole and the outline
    [pipe] = msp.query('LWPOLYLINE[layer=="PIPE_SEWER_DN300"]')
    assert not pipe.closed
    assert np.array(pipe.get_points("xy")).tolist() == [[X0, Y0 + 50], [X0 + 30, Y0 + 50],
                                                        [X0 + 30, Y0 + 90]]
    # point facilities are inserts of a symbol block with their attributes
    inserts = msp.query("INSERT")
    assert sorted(tuple(e.dxf.insert)[:2] for e in inserts) == [
        (X0 + 10, Y0 + 10), (X0 + 20, Y0 + 10)]
    assert {e.dxf.name for e in inserts} == {"SYM_BENCH"}
    assert {a.dxf.tag: a.dxf.text for a in inserts[0].attribs}["ITEM"] == "座椅"
    assert len(doc.blocks.get("SYM_BENCH").query("CIRCLE")) == 1
    [label] = msp.query("TEXT")
    assert label.dxf.text == "甲" and label.dxf.style == "GISPLAN_CJK"
    assert doc.layers.get("PIPE_SEWER_DN300").rgb == (0x8C, 0x51, 0x0A)  # networks.csv sewer
    assert doc.layers.get("COMMUNITIES").color == 3
    assert doc.header.custom_vars.get("CRS") == "EPSG:4552"
    assert "STRUCTURES" not in doc.layers  # an empty layer draws nothing


def test_labels_can_be_left_out(tmp_path):
    layers = {"buildings": gpd.GeoDataFrame({"building_id": ["b1"]}, geometry=[box(0, 0, 9, 9)])}
    doc = ezdxf.readfile(write_dxf(layers, tmp_path / "d.dxf", labels=False))
    assert [e.dxftype() for e in doc.modelspace()] == ["LWPOLYLINE"]
    assert "LABELS" not in doc.layers and doc.header.custom_vars.get("CRS") is None


EXPECTED_DXF = {
    # one LWPOLYLINE per ring: C has a courtyard hole
    ("LWPOLYLINE", "COMMUNITIES"): 4, ("LWPOLYLINE", "BUILDINGS"): 4,
    ("LWPOLYLINE", "PIPE_SEWER_DN300"): 1, ("LWPOLYLINE", "PIPE_WATER_DN110"): 1,
    ("LWPOLYLINE", "PIPE_GAS_KEEP"): 1, ("INSERT", "FAC_BENCH"): 1,
    ("INSERT", "FAC_EV_CHARGER"): 1, ("LWPOLYLINE", "FAC_GREENING"): 1,
    ("LWPOLYLINE", "STRUCTURES"): 2, ("LWPOLYLINE", "ZONES"): 2,
    ("TEXT", "LABELS"): 3 + 4 + 2 + 2,
}


def test_dxf_layers_and_entity_counts(out):
    doc = ezdxf.readfile(out / "layers.dxf")
    assert not doc.audit().has_errors
    counts = Counter((e.dxftype(), e.dxf.layer) for e in doc.modelspace())
    assert dict(counts) == EXPECTED_DXF
    assert {name for _, name in EXPECTED_DXF} <= {layer.dxf.name for layer in doc.layers}
    assert doc.units == ezdxf.units.M
    assert doc.header.custom_vars.get("CRS") == "EPSG:4552"


def test_dxf_coordinates_are_in_the_working_crs(out):
    msp = ezdxf.readfile(out / "layers.dxf").modelspace()
    b1 = next(iter(msp.query('LWPOLYLINE[layer=="BUILDINGS"]')))
    assert b1.closed
    xy = np.array(b1.get_points("xy"))
    assert shapely.Polygon(xy).equals(box(10, 10, 70, 22))
    sewer = next(iter(msp.query('LWPOLYLINE[layer=="PIPE_SEWER_DN300"]')))
    assert np.array(sewer.get_points("xy")).tolist() == [[X0 + 50, Y0 + 50], [X0 + 350, Y0 + 50]]
    labels = {t.dxf.text for t in msp.query("TEXT")}
    assert {"甲社区", "b1", "s1", "Z001"} <= labels  # communities by name


def test_dxf_reads_through_gdal(out):
    got = pyogrio.read_dataframe(out / "layers.dxf")
    assert got["Layer"].value_counts()["BUILDINGS"] == 4


def test_dxf_labels_never_overlap_and_keep_community_and_zone_ids():
    import geopandas as gpd
    import shapely

    from gisplan.outputs.exports.dxf import label_table

    sq = shapely.box(0, 0, 100, 100)
    enriched = {
        "communities": gpd.GeoDataFrame({"community_id": ["A"]}, geometry=[sq]),
        "zones": gpd.GeoDataFrame({"zone_id": ["Z001"]}, geometry=[sq]),
        # two buildings 1 m apart: 2 m high labels "B1"/"B2" (2.8 m wide) would overlap
        "buildings": gpd.GeoDataFrame({"building_id": ["B1", "B2", "B3"]}, geometry=[
            shapely.box(10, 10, 12, 12), shapely.box(11, 10, 13, 12), shapely.box(70, 10, 72, 12)]),
    }
    table = label_table(enriched)
    assert table["text"].tolist() == ["A", "Z001", "B1", "B3"]
    assert table.set_index("text").loc["Z001", "y"] == table.set_index("text").loc["A", "y"] + 9


def test_parts_of_nested_collections_are_drawn(tmp_path):
    nested = shapely.from_wkt(
        "GEOMETRYCOLLECTION (POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 4 2, 4 4, 2 2)), "
        "GEOMETRYCOLLECTION (LINESTRING (20 0, 30 0), POINT (40 40)))")
    zones = gpd.GeoDataFrame({"zone_id": ["Z001"]}, geometry=[nested], crs="EPSG:4552")
    path = write_dxf({"zones": zones}, tmp_path / "z.dxf", labels=False)
    msp = ezdxf.readfile(path).modelspace()
    polylines = msp.query("LWPOLYLINE")
    assert sorted(e.closed for e in polylines) == [False, True, True]  # line, shell, hole
    assert [tuple(e.dxf.location)[:2] for e in msp.query("POINT")] == [(40.0, 40.0)]


def test_a_pipe_of_a_million_vertices_is_written_whole(tmp_path):
    # ezdxf's add_lwpolyline appends point by point, copying the array each time
    # (quadratic: 10^5 vertices took minutes); the writer sets the vertices in one go.
    n = 1_000_000
    x = X0 + np.arange(n) * 0.5
    y = Y0 + (np.arange(n) % 2) * 0.25
    pipes = gpd.GeoDataFrame({"pipe_id": ["P1"], "network": ["water"],
                              "diameter_mm": pd.array([300], dtype="Int64"),
                              "action": ["replace"]},
                             geometry=[shapely.linestrings(x, y)], crs="EPSG:4552")
    path = write_dxf({"pipes": pipes}, tmp_path / "long.dxf", labels=False)
    (polyline,) = ezdxf.readfile(path).modelspace().query("LWPOLYLINE")
    assert len(polyline) == n and not polyline.closed
    assert polyline.dxf.layer == "PIPE_WATER_DN300"
    xy = np.asarray(polyline.get_points("xy"))
    np.testing.assert_allclose(xy[[0, 1, -1]], [[x[0], y[0]], [x[1], y[1]], [x[-1], y[-1]]])
