"""Shapefiles for Chinese desktop GIS: GBK or UTF-8 text named in the .cpg, 10-character
field names from the data mapping, text fields as wide as their longest value, one
geometry type per file. Every file is read back (pyogrio, fiona) and compared."""

from __future__ import annotations

import struct
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from plans import CRS, box, export_layers, load_scoped, point, shp_parts
from rfc7946 import assert_same_features

from gisplan.errors import OutputError
from gisplan.outputs.exports.layer_files import ID_COLUMNS, enrich_layers
from gisplan.outputs.exports.shapefile import shapefile_fields, write_shapefiles

ENGINES = ["pyogrio", "fiona"]


@pytest.fixture(scope="module")
def enriched(tmp_path_factory):
    return enrich_layers(*load_scoped(tmp_path_factory.mktemp("shp") / "plan", export_layers()))


@pytest.fixture(scope="module")
def out(enriched, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("shapefiles")
    write_shapefiles(enriched, folder / "shp")
    write_shapefiles(enriched, folder / "shp_utf8", encoding="UTF-8")
    return folder


def two_buildings() -> dict[str, gpd.GeoDataFrame]:
    return {"buildings": gpd.GeoDataFrame(
        {"building_id": ["b1", "b2"], "name": ["二号楼", "楼B"], "floors": [5, 6]},
        geometry=[box(0, 0, 10, 20), box(20, 0, 30, 10)], crs=CRS)}


def dbf_fields(path: Path) -> dict[str, tuple[str, int]]:
    """Field name -> (type, width) from the .dbf header, read without GDAL."""
    raw = path.read_bytes()
    header_size = struct.unpack("<H", raw[8:10])[0]
    out = {}
    for pos in range(32, header_size - 1, 32):
        name = raw[pos:pos + 11].split(b"\0")[0].decode("ascii")
        out[name] = (chr(raw[pos + 11]), raw[pos + 16])
    return out


@pytest.mark.parametrize(("encoding", "codec"), [("GBK", "gbk"), ("utf8", "utf-8"),
                                                 ("UTF-8", "utf-8")])
def test_hand_made_layer_round_trip(tmp_path, encoding, codec):
    written = write_shapefiles(two_buildings(), tmp_path, encoding=encoding)
    assert sorted(p.name for p in written) == [
        "buildings.cpg", "buildings.dbf", "buildings.prj", "buildings.shp", "buildings.shx",
        "fields.csv"]
    assert (tmp_path / "buildings.cpg").read_text() == codec.upper()
    dbf = (tmp_path / "buildings.dbf").read_bytes()
    assert "二号楼".encode(codec) in dbf
    # 二号楼 is 6 bytes in GBK, 9 in UTF-8: the text field is as wide as that
    fields = dbf_fields(tmp_path / "buildings.dbf")
    assert fields["name"] == ("C", len("二号楼".encode(codec)))
    assert fields["bldg_id"][0] == "C" and fields["floors"][0] == "N"
    got = pyogrio.read_dataframe(tmp_path / "buildings.shp")
    assert got["bldg_id"].tolist() == ["b1", "b2"] and got["name"].tolist() == ["二号楼", "楼B"]
    assert got["floors"].tolist() == [5, 6]
    assert got.crs.to_epsg() == 4552
    assert shapely.equals(got.geometry.iloc[0].normalize(), box(0, 0, 10, 20).normalize())
    table = pd.read_csv(tmp_path / "fields.csv", encoding="utf-8-sig")
    assert table.values.tolist() == [
        ["buildings.shp", "buildings", "building_id", "bldg_id", "楼栋编号"],
        ["buildings.shp", "buildings", "name", "name", "名称"],
        ["buildings.shp", "buildings", "floors", "floors", "层数"]]


def test_unknown_encoding_and_empty_layers(tmp_path):
    with pytest.raises(OutputError, match="Shapefile encoding 'latin-1': expected GBK or UTF-8"):
        write_shapefiles(two_buildings(), tmp_path / "x", encoding="latin-1")
    assert not (tmp_path / "x").exists()
    layers = {**two_buildings(), "pipes": gpd.GeoDataFrame(
        {"pipe_id": []}, geometry=[], crs=CRS)}
    names = {p.name for p in write_shapefiles(layers, tmp_path / "y")}
    assert "buildings.shp" in names and not any(n.startswith("pipes") for n in names)


def test_refused_text_is_located_by_the_layers_own_id(tmp_path):
    zones = {"zones": gpd.GeoDataFrame({"zone_id": ["Z1"], "note": ["€"]},
                                       geometry=[point(0, 0).buffer(5)], crs=CRS)}
    with pytest.raises(OutputError, match=r"Shapefile zones \[Z1\] field 'note': '€'"):
        write_shapefiles(zones, tmp_path)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=20, unique=True))
def test_field_names_are_short_unique_and_ascii(columns):
    fields = shapefile_fields(columns)
    assert list(fields) == columns
    names = list(fields.values())
    assert all(0 < len(n) <= 10 and n.isascii() for n in names)
    assert len({n.lower() for n in names}) == len(names)


@pytest.mark.parametrize("folder,codec", [("shp", "GBK"), ("shp_utf8", "UTF-8")])
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("layer", ["communities", "buildings", "pipes", "facilities",
                                   "structures", "zones"])
def test_shapefile_round_trip(out, enriched, folder, codec, engine, layer):
    fields = pd.read_csv(out / folder / "fields.csv", encoding="utf-8-sig")
    for stem, want in shp_parts(enriched, layer):
        path = out / folder / f"{stem}.shp"
        assert path.with_suffix(".cpg").read_text() == codec
        mapping = fields[fields["file"] == f"{stem}.shp"].set_index("column")["field"].to_dict()
        got = gpd.read_file(path, engine=engine)  # encoding from the .cpg
        assert got.crs.to_epsg() == 4552
        assert_same_features(want, got, ID_COLUMNS[layer], columns=mapping, tolerance_m=1e-6)


def test_mixed_layer_is_split_by_geometry_type(out):
    assert (out / "shp" / "facilities_point.shp").exists()
    assert (out / "shp" / "facilities_polygon.shp").exists()
    assert len(gpd.read_file(out / "shp" / "facilities_point.shp")) == 2


def test_shapefile_text_bytes_are_gbk_or_utf8(out):
    gbk = (out / "shp" / "buildings.dbf").read_bytes()
    utf8 = (out / "shp_utf8" / "buildings.dbf").read_bytes()
    assert "二号楼（珲春·新区）".encode("gbk") in gbk
    assert "二号楼（珲春·新区）".encode() in utf8


def test_field_names_fit_and_follow_the_data_mapping(out):
    fields = pd.read_csv(out / "shp" / "fields.csv", encoding="utf-8-sig")
    assert fields["field"].str.len().max() <= 10
    assert not fields.duplicated(["file", "field"]).any()
    got = fields.drop_duplicates("column").set_index("column")["field"]
    assert got["community_id"] == "comm_id"
    assert got["roof_flat_waterproof"] == "rf_flat_wp"
    assert got["floor_area_m2"] == "floor_area"
    dbf = pyogrio.read_info(out / "shp" / "buildings.shp")["fields"].tolist()
    mapped = fields[fields["file"] == "buildings.shp"]["field"].tolist()
    assert dbf == mapped


def test_field_mapping_data_file_is_valid():
    from gisplan.outputs.exports.shapefile import _field_map

    table = _field_map()
    names = [f for f, _ in table.values()]
    assert max(map(len, names)) <= 10
    assert len(set(n.lower() for n in names)) == len(names)
    assert shapefile_fields(["x" * 12, "x" * 11]) == {"x" * 12: "x" * 10, "x" * 11: "xxxxxxxx01"}


def test_text_gbk_cannot_hold_is_refused_with_its_location(enriched, tmp_path):
    layers = dict(enriched)
    b = layers["buildings"].copy()
    b.loc[b["building_id"] == "b2", "name"] = "楼🏠"
    layers["buildings"] = b
    with pytest.raises(OutputError, match=r"buildings \[b2\] field 'name'.*GBK.*UTF-8"):
        write_shapefiles(layers, tmp_path / "gbk")
    write_shapefiles(layers, tmp_path / "utf8", encoding="UTF-8")
    got = gpd.read_file(tmp_path / "utf8" / "buildings.shp")
    assert "楼🏠" in got["name"].tolist()


def test_long_text_is_cut_at_a_character_boundary(enriched, tmp_path):
    layers = {"buildings": enriched["buildings"].assign(name="楼" * 200)}
    for codec, chars in (("GBK", 127), ("UTF-8", 84)):
        write_shapefiles(layers, tmp_path / codec, encoding=codec)
        got = gpd.read_file(tmp_path / codec / "buildings.shp")
        assert got["name"].tolist() == ["楼" * chars] * 4


def test_a_geometry_collection_is_written_as_its_polygons(tmp_path):
    """The crash of issue #11 ("Geometry type of 'Geometry Collection' not supported in
    shapefiles"): a collection reaching the writer keeps its parts of its highest dimension."""
    gc = shapely.from_wkt("GEOMETRYCOLLECTION (POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0)), "
                          "LINESTRING (10 0, 20 0), POINT (30 30))")
    layer = gpd.GeoDataFrame({"zone_id": ["Z001", "Z002"]},
                             geometry=[gc, shapely.box(50, 0, 60, 5)], crs="EPSG:4552")
    written = write_shapefiles({"zones": layer}, tmp_path / "shp")
    assert [p.name for p in written if p.suffix == ".shp"] == ["zones.shp"]
    back = gpd.read_file(tmp_path / "shp" / "zones.shp")
    assert back.geom_type.tolist() == ["Polygon", "Polygon"]
    assert back.area.tolist() == pytest.approx([100.0, 50.0])
    assert layer.geometry.iloc[0].geom_type == "GeometryCollection"  # input left as it was
