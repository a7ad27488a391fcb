"""Loading a plan from every supported layer format (issue #2, 'Layer formats').

Every writer below stores the mini plan (``tests/plans.py``) in one format;
whatever the format, :func:`gisplan.inputs.validation.load_layers` must give the same
typed layers, with Chinese text intact, in the working CRS.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from plans import CRS, PLAN_TOML, mini_layers, write_plan

from gisplan.cli.main import main
from gisplan.errors import ValidationError
from gisplan.inputs.validation import load_layers

# Shapefile field names are cut to 10 bytes: what GDAL would make of the long ones.
SHORT = {"building_id": "building_i", "floor_area_m2": "floor_area", "community_id": "community_",
         "renovation_type": "renovation", "diameter_mm": "diameter_m",
         "structure_id": "structure_"}
SHP_LAYERS = ("communities", "buildings", "pipes", "structures")  # facilities mix points/polygons


def write_toml(d: Path, entries: dict[str, str], extra: str = "") -> Path:
    """plan.toml with [layers] ``entries`` (raw TOML values) and the mini quantities."""
    text = PLAN_TOML.format(layers="\n".join(f"{k} = {v}" for k, v in entries.items()))
    (d / "plan.toml").write_text(text + extra, encoding="utf-8")
    return d


def geojson(d: Path) -> Path:
    return write_plan(d)


def gpkg_per_layer(d: Path) -> Path:
    return write_plan(d, driver="GPKG", suffix=".gpkg")


def gpkg_multi(d: Path) -> Path:
    """All layers in one GeoPackage, named by layer; one of them in Chinese."""
    write_plan(d)
    names = {n: n for n in mini_layers()} | {"communities": "社区"}
    for name, gdf in mini_layers().items():
        gdf.to_file(d / "mini.gpkg", layer=names[name], driver="GPKG", engine="pyogrio")
    entries = {n: f'"mini.gpkg:{names[n]}"' for n in names}
    entries["buildings"] = '{ path = "mini.gpkg", layer = "buildings" }'
    return write_toml(d, entries)


def shapefiles(encoding: str, cpg: str | None, plan_encoding: str | None = None):
    """Writer: SHP_LAYERS as Shapefiles in ``encoding`` with a .cpg saying ``cpg``."""
    def write(d: Path) -> Path:
        write_plan(d)
        entries = {n: f'"{n}.geojson"' for n in mini_layers()}
        extra = ""
        for name in SHP_LAYERS:
            gdf = mini_layers()[name]
            short = {k: v for k, v in SHORT.items() if k in gdf}
            path = d / f"{name}.shp"
            gdf.rename(columns=short).to_file(path, engine="pyogrio", encoding=encoding)
            (d / f"{name}.geojson").unlink()
            if cpg is None:
                path.with_suffix(".cpg").unlink()
            else:
                path.with_suffix(".cpg").write_text(cpg)
            entries[name] = (f'{{ path = "{name}.shp", encoding = "{plan_encoding}" }}'
                             if plan_encoding else f'"{name}.shp"')
            extra += f"\n[fields.{name}]\n" + "".join(f'{k} = "{v}"\n' for k, v in short.items())
        return write_toml(d, entries, extra)
    return write


def geoparquet(d: Path) -> Path:
    write_plan(d)
    for name, gdf in mini_layers().items():
        gdf.to_parquet(d / f"{name}.parquet")
        (d / f"{name}.geojson").unlink()
    return write_toml(d, {n: f'"{n}.parquet"' for n in mini_layers()})


def wgs84(d: Path) -> Path:
    """Communities and buildings stored in EPSG:4326 (GeoJSON's own CRS)."""
    write_plan(d)
    for name in ("communities", "buildings"):
        mini_layers()[name].to_crs("EPSG:4326").to_file(d / f"{name}.geojson", engine="pyogrio")
    return d


WRITERS = [
    pytest.param(geojson, id="geojson"),
    pytest.param(gpkg_per_layer, id="gpkg"),
    pytest.param(gpkg_multi, id="gpkg-multi-layer"),
    pytest.param(shapefiles("UTF-8", "UTF-8"), id="shp-utf8"),
    pytest.param(shapefiles("GBK", "GBK"), id="shp-gbk-cpg"),
    pytest.param(shapefiles("GBK", "936"), id="shp-gbk-cpg-936"),
    pytest.param(shapefiles("GBK", None, plan_encoding="GBK"), id="shp-gbk-plan-encoding"),
    pytest.param(geoparquet, id="geoparquet"),
    pytest.param(wgs84, id="epsg4326"),
]


def check_mini(layers) -> None:
    """Hand-checked facts of the mini plan that every format must reproduce."""
    com, bld, pipes = layers.communities, layers.buildings, layers.pipes
    assert list(com["community_id"]) == ["A", "B", "C"]
    assert list(com["name"]) == ["甲社区", "乙社区", "丙社区"]
    assert list(layers.structures["kind"]) == ["违建", "仓房"]
    assert list(bld["building_id"]) == ["b1", "b2", "b3", "b4"]
    for frame, column in ((com, "community_id"), (bld, "building_id"), (pipes, "pipe_id"),
                          (layers.facilities, "facility_id")):
        assert all(type(v) is str for v in frame[column])
    for column, values in (("floors", [5, 6, 4, 4]), ("households", [30, 24, 16, 8]),
                           ("units", [3, 2, 2, 1])):
        assert pd.api.types.is_integer_dtype(bld[column]), bld[column].dtype
        assert list(bld[column]) == values
    assert list(bld["roof"]) == ["flat", "pitched", "flat", "flat"]
    assert bld["floor_area_m2"].isna().tolist() == [True, True, False, True]
    assert bld["floor_area_m2"].iloc[2] == 1500.0
    assert pd.api.types.is_integer_dtype(pipes["diameter_mm"])
    assert pipes["diameter_mm"].iloc[:2].tolist() == [300, 110]
    assert list(pipes["network"]) == ["sewer", "water", "gas"]
    for frame in (com, bld, pipes, layers.facilities, layers.structures):
        assert frame.crs == CRS
    # areas in the working CRS: 100x100 communities; 60x12, 40x12, 40x10, 20x10 buildings
    np.testing.assert_allclose(com.area, [10000, 10000, 10000], rtol=1e-3)
    np.testing.assert_allclose(bld.area, [720, 480, 400, 200], rtol=1e-3)
    np.testing.assert_allclose(pipes.length, [300, 60, 100], rtol=1e-3)


@pytest.mark.parametrize("writer", WRITERS)
def test_every_format_loads_the_same_plan(tmp_path, writer):
    layers = load_layers(writer(tmp_path))
    check_mini(layers)
    assert layers.report.ok


def test_epsg4326_layer_is_reprojected_to_the_working_crs(tmp_path):
    layers = load_layers(wgs84(tmp_path))
    ref = mini_layers()
    for name in ("communities", "buildings"):
        got = layers.layer(name)
        assert got.crs == CRS
        np.testing.assert_allclose(got.area, ref[name].area, rtol=1e-3)
        assert shapely.equals_exact(got.geometry.array, ref[name].geometry.array,
                                    tolerance=0.01).all()


def test_multi_layer_gpkg_without_a_layer_name_is_an_error(tmp_path, capsys):
    gpkg_multi(tmp_path)
    write_toml(tmp_path, {n: f'"mini.gpkg:{n}"' for n in mini_layers()}
               | {"communities": '"mini.gpkg"'})
    with pytest.raises(ValidationError) as err:
        load_layers(tmp_path)
    [problem] = err.value.report.errors
    assert (problem.layer, problem.check) == ("communities", "unreadable")
    assert "holds 5 layers" in problem.message
    for name in ("社区", "buildings", "pipes", "facilities", "structures"):
        assert name in problem.message
    assert '"mini.gpkg:<layer>"' in problem.message
    assert main(["validate", str(tmp_path)]) == 1
    assert "mini.gpkg:<layer>" in capsys.readouterr().out


def test_gpkg_layer_that_does_not_exist(tmp_path):
    gpkg_multi(tmp_path)
    write_toml(tmp_path, {n: f'"mini.gpkg:{n}"' for n in mini_layers()}
               | {"communities": '"mini.gpkg:社区"', "pipes": '"mini.gpkg:管线"'})
    with pytest.raises(ValidationError) as err:
        load_layers(tmp_path)
    [problem] = err.value.report.errors
    assert (problem.layer, problem.check) == ("pipes", "unreadable")
    assert "mini.gpkg:管线" in problem.message
    # GDAL's own words (passed through by pyogrio): the file is there, the layer is not.
    assert "GDAL cannot read it: Layer '管线' could not be opened" in problem.message


@pytest.mark.parametrize("writer", [geojson, gpkg_per_layer, gpkg_multi],
                         ids=["geojson", "gpkg", "gpkg-multi-layer"])
def test_fiona_engine_gives_the_same_layers(tmp_path, writer):
    plan = writer(tmp_path)
    fast, slow = load_layers(plan), load_layers(plan, engine="fiona")
    check_mini(slow)
    for name in ("communities", "buildings", "pipes", "facilities", "structures"):
        a, b = fast.layer(name), slow.layer(name)
        pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                      pd.DataFrame(b.drop(columns="geometry")))
        assert shapely.equals(a.geometry.array, b.geometry.array).all()
    pd.testing.assert_frame_equal(fast.declared, slow.declared)
    assert main(["validate", str(plan), "--engine", "fiona"]) == 0


@pytest.mark.parametrize("engine", ["pyogrio", "fiona"])
def test_gbk_shapefile_read_as_utf8_fails_loudly(tmp_path, engine):
    """Not silent mojibake or missing names: a located error that says what to do."""
    shapefiles("GBK", "UTF-8")(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may be swallowed as a mere warning
        with pytest.raises(ValidationError) as err:
            load_layers(tmp_path, engine=engine)
    problems = {(p.layer, p.check) for p in err.value.report.errors}
    assert problems == {("communities", "unreadable"), ("structures", "unreadable")}
    for p in err.value.report.errors:
        assert "not valid utf-8" in p.message and 'encoding = "GBK"' in p.message


def test_shapefile_cpg_with_unknown_encoding(tmp_path):
    shapefiles("GBK", "GBKX")(tmp_path)
    with pytest.raises(ValidationError) as err:
        load_layers(tmp_path, engine="fiona")
    assert all("'GBKX' is not a known text encoding" in p.message
               for p in err.value.report.errors)
    assert len(err.value.report.errors) == len(SHP_LAYERS)
