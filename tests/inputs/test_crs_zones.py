"""gisplan.inputs.crs_zones: data outside the plan CRS's area of use are an error that names
the zone they fit, checked against the zone worked out from the longitude by hand."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from plans import X0, Y0, mini_layers, write_plan

from gisplan.cli.main import main
from gisplan.inputs.crs_zones import fitting_crs
from gisplan.inputs.validation import load_layers

#: (city, longitude, latitude) in China.
CITIES = [("广州 Guangzhou", 113.26, 23.13), ("乌鲁木齐 Urumqi", 87.62, 43.83),
          ("哈尔滨 Harbin", 126.63, 45.75), ("成都 Chengdu", 104.07, 30.67),
          ("上海 Shanghai", 121.47, 31.23), ("珲春 Hunchun", 130.37, 42.86)]


def gauss_kruger_3(lon: float) -> tuple[int, int]:
    """CGCS2000 3-degree Gauss-Krüger by hand: zone n spans 3n-1.5 .. 3n+1.5 °E with its
    central meridian at 3n °E; EPSG numbers zones 25..45 as 4513..4533 (false easting with
    the zone number) and central meridians 75..135 °E as 4534..4554."""
    zone = int((lon + 1.5) // 3)
    return 4534 + (3 * zone - 75) // 3, 4513 + zone - 25


@pytest.mark.parametrize(("city", "lon", "lat"), CITIES, ids=[c[0] for c in CITIES])
def test_the_zone_found_is_the_zone_by_hand(city, lon, lat):
    cm_code, zone_code = gauss_kruger_3(lon)
    extent = (lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05)
    found = [c.to_epsg() for c in fitting_crs(extent, "EPSG:4552")]
    assert found[:2] == [cm_code, zone_code], city
    # Named as the plan's CRS is: by zone number for a zone-numbered plan CRS.
    assert [c.to_epsg() for c in fitting_crs(extent, "EPSG:4530")][:2] == [zone_code, cm_code]


def test_outside_china_the_utm_zone_is_named():
    prague = (14.40, 50.08, 14.45, 50.11)
    assert [c.to_string() for c in fitting_crs(prague, "EPSG:4552")] == []  # no CGCS2000 there
    assert [c.to_string() for c in fitting_crs(prague, "EPSG:3067")] == ["EPSG:32633"]


def guangzhou_layers() -> dict[str, gpd.GeoDataFrame]:
    """The mini plan laid out in Guangzhou (its metres on the CM 114E grid), in lon/lat."""
    layers = {}
    for name, gdf in mini_layers().items():
        moved = shapely.transform(gdf.geometry.values,
                                  lambda xy: xy - [X0, Y0] + [424_000, 2_560_000])
        layers[name] = gdf.set_geometry(moved).set_crs("EPSG:4547", allow_override=True
                                                       ).to_crs("EPSG:4326")
    return layers


def test_guangzhou_under_cm_129e_is_an_error_naming_cm_114e(tmp_path, capsys):
    plan = write_plan(tmp_path / "gz", guangzhou_layers())
    out = tmp_path / "out"
    assert main(["scope", str(plan), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert not out.exists()
    for layer in ("communities", "buildings", "pipes", "facilities", "structures"):
        assert f"ERROR: {layer}: " in err
    assert "outside the area of use of the plan CRS EPSG:4552" in err
    assert ("the data fit EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E) "
            "(or EPSG:4526 (CGCS2000 / 3-degree Gauss-Kruger zone 38))") in err
    assert 'set crs = "EPSG:4547" in [plan]' in err
    assert main(["validate", str(plan), "--format", "json"]) == 1
    checks = {p["check"] for p in json.loads(capsys.readouterr().out)["problems"]
              if p["severity"] == "error"}
    assert checks == {"outside_crs_area"}


def test_guangzhou_under_the_zone_it_fits_validates_and_measures_true(tmp_path):
    plan = write_plan(tmp_path / "gz", guangzhou_layers())
    toml = plan / "plan.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("EPSG:4552", "EPSG:4547"),
                    encoding="utf-8")
    b = load_layers(plan).buildings
    # The mini plan's footprints: 60x12, 40x12, 40x10, 20x10 m.
    assert b.area.tolist() == pytest.approx([720, 480, 400, 200], rel=1e-6)
    # What CM 129E, 16° away, would have measured (the README's 7 %).
    wrong = guangzhou_layers()["buildings"].to_crs("EPSG:4552").area / b.area.to_numpy()
    assert wrong.to_numpy() == pytest.approx(1.067, abs=0.001)
