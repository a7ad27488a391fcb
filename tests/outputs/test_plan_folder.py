"""Writing layers as a plan folder: plan.toml plus one file per layer, in three formats,
read back by gisplan's own loader."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pyogrio
import pytest
from plans import mini_layers

from gisplan.inputs.synthetic import make_city
from gisplan.inputs.validation import load_layers
from gisplan.outputs.plan_folder import write_plan_folder


@pytest.mark.parametrize(("fmt", "spec"), [
    ("parquet", 'buildings = "buildings.parquet"'),
    ("geojson", 'buildings = "buildings.geojson"'),
    ("gpkg", 'buildings = "city.gpkg:buildings"'),
])
def test_mini_layers_come_back(tmp_path, fmt, spec):
    layers = mini_layers()
    folder = write_plan_folder(layers, tmp_path / "p", fmt=fmt, name="小城")
    toml = (folder / "plan.toml").read_text(encoding="utf-8")
    assert spec in toml
    plan = tomllib.loads(toml)
    assert plan["plan"] == {"name": "小城", "crs": "EPSG:4552"}
    assert list(plan["layers"]) == list(layers)
    loaded = load_layers(folder)
    assert loaded.report.ok
    assert loaded.buildings["building_id"].tolist() == ["b1", "b2", "b3", "b4"]
    assert loaded.buildings["households"].tolist() == [30, 24, 16, 8]
    assert loaded.buildings.geometry.area.tolist() == pytest.approx([720, 480, 400, 200])
    assert loaded.pipes.geometry.length.tolist() == pytest.approx([300, 60, 100])


def test_one_geopackage_holds_every_layer(tmp_path):
    folder = write_plan_folder(mini_layers(), tmp_path, fmt="gpkg")
    names = [row[0] for row in pyogrio.list_layers(folder / "city.gpkg")]
    assert sorted(names) == sorted(mini_layers())
    assert sorted(p.name for p in folder.iterdir()) == ["city.gpkg", "plan.toml"]


def test_unknown_format_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="fmt must be one of"):
        write_plan_folder(mini_layers(), tmp_path / "x", fmt="shp")
    assert not (tmp_path / "x").exists()


def test_files_of_the_same_name_are_replaced(tmp_path):
    write_plan_folder(mini_layers(), tmp_path, fmt="geojson")
    layers = mini_layers()
    layers["buildings"] = layers["buildings"].iloc[:2]
    write_plan_folder(layers, tmp_path, fmt="geojson")
    assert load_layers(Path(tmp_path)).buildings["building_id"].tolist() == ["b1", "b2"]


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_other_formats_load(fmt: str, tmp_path: Path) -> None:
    layers = make_city(300, seed=2)
    loaded = load_layers(write_plan_folder(layers, tmp_path, fmt=fmt))
    assert loaded.report.ok and len(loaded.pipes) == 150



def test_a_plan_name_with_quotes_stays_valid_toml(tmp_path):
    from gisplan.inputs.synthetic import make_city
    from gisplan.outputs.plan_folder import write_plan_folder
    from gisplan.plan.settings import read_plan

    name = 'He said "改造" \\ done'
    folder = write_plan_folder(make_city(50), tmp_path / "p", name=name)
    assert read_plan(folder).name == name
