"""gisplan.inputs.geometry: repairs stay in their family; coordinates that mean nothing are
located errors (issue #11, geometry hygiene)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from plans import X0, Y0, box, line, mini_layers, write_plan

from gisplan.cli.main import main
from gisplan.inputs.geometry import repaired
from gisplan.inputs.validation import load_layers, validate_plan

BOWTIE = shapely.Polygon([(X0 + 10, Y0 + 10), (X0 + 30, Y0 + 30), (X0 + 30, Y0 + 10),
                          (X0 + 10, Y0 + 30)])
#: A ring that goes out and back: OpenStreetMap has such "buildings".
COLLAPSED = shapely.from_wkt(f"POLYGON (({X0 + 10} {Y0 + 10}, {X0 + 20} {Y0 + 10}, "
                             f"{X0 + 10} {Y0 + 10}, {X0 + 10} {Y0 + 10}))")


def problems(folder, **kw) -> list[dict]:
    return json.loads(validate_plan(folder, **kw).to_json())["problems"]


def test_repair_keeps_each_family_and_drops_what_collapsed():
    gc_maker = shapely.Polygon([(0, 0), (4, 0), (4, 4), (2, 4), (2, 6), (2, 4), (0, 4)])
    lines = shapely.from_wkt(["LINESTRING (0 0, 0 0)",
                              "MULTILINESTRING ((0 0, 5 0), (1 1, 1 1))"])
    out = repaired(np.array([BOWTIE, COLLAPSED, gc_maker, *lines]))
    assert out[0].geom_type == "MultiPolygon" and out[0].area == pytest.approx(200)
    assert out[1].wkt == "POLYGON EMPTY"
    assert out[2].geom_type == "Polygon" and out[2].area == pytest.approx(16)  # spike dropped
    assert out[3].wkt == "LINESTRING EMPTY"
    assert out[4].wkt == "LINESTRING (0 0, 5 0)"


def test_a_repair_that_leaves_nothing_is_an_error_naming_the_feature(tmp_path):
    layers = mini_layers()
    layers["buildings"].loc[0, "geometry"] = COLLAPSED
    layers["buildings"].loc[1, "geometry"] = BOWTIE
    layers["pipes"].loc[1, "geometry"] = line((20, 80), (20, 80))
    write_plan(tmp_path, layers)
    found = {(p["layer"], p["feature_id"], p["severity"]) for p in problems(tmp_path, repair=True)
             if p["check"] == "invalid_geometry"}
    assert found == {("buildings", "b1", "error"), ("buildings", "b2", "warning"),
                     ("pipes", "p2", "error")}
    text = [p["message"] for p in problems(tmp_path, repair=True) if p["feature_id"] == "b1"]
    assert "make_valid leaves no polygon of it" in text[0]


def test_repaired_layers_hold_only_their_family(tmp_path):
    layers = mini_layers()
    layers["buildings"].loc[1, "geometry"] = BOWTIE
    write_plan(tmp_path, layers)
    got = load_layers(tmp_path, repair=True)
    for name in ("communities", "buildings", "pipes", "facilities", "structures"):
        kinds = set(got.layer(name).geom_type)
        assert "GeometryCollection" not in kinds, name
    assert got.buildings.geom_type.iat[1] == "MultiPolygon"


@pytest.mark.filterwarnings("ignore:Infinite or NaN coordinate")
@pytest.mark.parametrize("bad", [1e20, np.inf])
def test_absurd_or_infinite_coordinates_are_located_errors(tmp_path, capsys, bad):
    layers = mini_layers()
    far = shapely.box(bad, Y0, X0 + 10, Y0 + 10) if np.isfinite(bad) else shapely.Polygon(
        [(X0, Y0), (bad, Y0), (X0, Y0 + 10)])
    layers["buildings"].loc[2, "geometry"] = far
    # GeoPackage keeps an infinite coordinate as it is (GeoJSON would drop the geometry).
    write_plan(tmp_path / "p", layers, driver="GPKG", suffix=".gpkg")
    out = tmp_path / "out"
    assert main(["scope", str(tmp_path / "p"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "buildings [b3]" in err and "not finite or absurd" in err, err
    assert not out.exists()


def test_swapped_axes_are_errors_naming_each_feature(tmp_path):
    """A lon/lat layer written lat/lon: latitudes of 130° cannot be reprojected."""
    layers = mini_layers()
    b = layers["buildings"].to_crs("EPSG:4326")
    b = b.set_geometry(shapely.transform(b.geometry.values, lambda xy: xy[:, ::-1]))
    layers["buildings"] = b
    write_plan(tmp_path, layers)
    bad = {p["feature_id"] for p in problems(tmp_path) if p["check"] == "bad_coordinates"}
    assert bad == {"b1", "b2", "b3", "b4"}


def test_one_feature_far_from_the_rest_is_named(tmp_path):
    layers = mini_layers()
    # b4 moved 900 km east: finite, but 8° of longitude past the edge of CM 129E.
    layers["buildings"].loc[3, "geometry"] = box(900_000, 0, 900_020, 10)
    write_plan(tmp_path, layers)
    found = [(p["layer"], p["feature_id"]) for p in problems(tmp_path)
             if p["check"] == "outside_crs_area"]
    assert found == [("buildings", "b4")]


def test_the_bundled_plan_lies_in_its_crs_area():
    from conftest import HUNCHUN

    report = validate_plan(HUNCHUN)
    assert report.ok
    assert not [p for p in report.problems if p.check in ("outside_crs_area", "bad_coordinates")]
