"""The walking-access layers (roads, services, sites): each fault located, nothing written."""

from __future__ import annotations

import geopandas as gpd
import pytest
from plans import access_layers, mini_layers, point, write_access_plan

from gisplan.cli.main import main
from gisplan.inputs.validation import load_layers


def broken(change):
    layers = {**mini_layers(), **access_layers()}
    change(layers)
    return layers


def set_value(layer, row, column, value):
    def change(layers):
        layers[layer][column] = layers[layer][column].astype(object)
        layers[layer].loc[row, column] = value
    return change


def wrong_geometry(layers):
    layers["services"] = gpd.GeoDataFrame(
        layers["services"].drop(columns="geometry"),
        geometry=[layers["roads"].geometry.iloc[0], point(1, 1), point(2, 2)],
        crs=layers["services"].crs)


CASES = [
    pytest.param(set_value("services", 0, "kind", "zoo"),
                 "services [k1] field 'kind': value 'zoo' is not one of", id="unknown-kind"),
    pytest.param(set_value("services", 1, "service_id", "k1"),
                 "services [k1] field 'service_id': id 'k1' is used by 2 features",
                 id="duplicate-service"),
    pytest.param(set_value("roads", 1, "walkable", "perhaps"),
                 "roads [r2] field 'walkable': value 'perhaps' is not true or false",
                 id="walkable-not-bool"),
    pytest.param(set_value("sites", 2, "kinds", "market;zoo"),
                 "sites [s3] field 'kinds': unknown kind of service 'zoo'", id="site-kind"),
    pytest.param(set_value("sites", 0, "site_id", None),
                 "sites [row 1] field 'site_id': empty", id="site-without-id"),
    pytest.param(wrong_geometry, "services [k1]: geometry is LineString; expected Point",
                 id="service-is-a-line"),
]


@pytest.mark.parametrize(("change", "words"), CASES)
def test_fault_is_located_and_nothing_is_written(tmp_path, capsys, change, words):
    plan = write_access_plan(tmp_path / "plan", layers=broken(change))
    assert main(["validate", str(plan)]) == 1
    assert words in capsys.readouterr().out
    out = tmp_path / "out"
    assert main(["access", str(plan), "--out", str(out)]) == 1
    assert words in capsys.readouterr().err
    assert not out.exists()


def test_walkable_accepts_the_usual_spellings(tmp_path):
    layers = broken(set_value("roads", 0, "walkable", "是"))
    layers["roads"].loc[1, "walkable"] = "FALSE"
    roads = load_layers(write_access_plan(tmp_path / "plan", layers=layers)).roads
    assert roads["walkable"].astype(object).fillna("missing").tolist() == [
        True, False, "missing", False]


def test_plans_without_the_layers_still_load(mini_plan):
    layers = load_layers(mini_plan)
    assert layers.roads.empty and layers.services.empty and layers.sites.empty
