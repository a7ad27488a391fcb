"""一区一案 packages: one folder (or zip) per community with layers, DXF, scope sheet,
optional map and a manifest with checksums."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections import Counter
from pathlib import Path

import ezdxf
import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from rfc7946 import check_rfc7946

from gisplan.analysis.scope import compute_scope
from gisplan.analysis.zones import detect_zones
from gisplan.cli.main import main
from gisplan.errors import GisplanError
from gisplan.inputs.validation import load_layers
from gisplan.outputs.exports.layer_files import enrich_layers
from gisplan.outputs.packages import folder_name, folder_names, write_package, write_packages


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    from plans import write_plan

    layers = load_layers(write_plan(tmp_path_factory.mktemp("pk") / "plan"))
    zones = detect_zones(layers)
    return layers, compute_scope(layers, zones=zones.membership), zones


@pytest.fixture(scope="module")
def calls():
    return []


@pytest.fixture(scope="module")
def packages(plan, calls, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("out") / "packages"

    def map_writer(layers, path):
        calls.append((sorted(layers), path.name))
        path.write_text("<html>map</html>", encoding="utf-8")

    write_packages(*plan, folder, map_writer=map_writer)
    return folder


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_one_folder_per_community(packages):
    assert sorted(p.name for p in packages.iterdir()) == ["A", "B", "C"]
    assert sorted(p.name for p in (packages / "A").iterdir()) == [
        "A.dxf", "buildings.geojson", "communities.geojson", "facilities.geojson",
        "manifest.json", "map.html", "pipes.geojson", "scope.xlsx", "structures.geojson",
        "zones.geojson"]


def test_manifest_lists_every_file_with_its_checksum(packages):
    for folder in packages.iterdir():
        m = _manifest(folder)
        listed = {f["path"] for f in m["files"]}
        assert listed == {p.name for p in folder.iterdir()} - {"manifest.json"}
        for f in m["files"]:
            data = (folder / f["path"]).read_bytes()
            assert f["sha256"] == hashlib.sha256(data).hexdigest()
            assert f["bytes"] == len(data)


def test_manifest_counts_crs_and_figures(packages):
    m = _manifest(packages / "A")
    assert m["community"]["community_id"] == "A"
    assert m["community"]["name"] == "甲社区"
    assert m["community"]["zone_id"] == "Z001"
    assert m["crs"] == {"working": "EPSG:4552", "geojson": "EPSG:4326", "dxf": "EPSG:4552"}
    # A holds b1, f1, s1 and pieces of p1 (sewer), p2 (water), p3 (gas, kept)
    assert m["counts"] == {"communities": 1, "buildings": 1, "pipes": 3, "facilities": 1,
                           "structures": 1, "barriers": 0, "zones": 1}
    assert m["figures"]["households"] == 30
    for f in m["files"]:
        if f["path"].endswith(".geojson"):
            doc = check_rfc7946(packages / "A" / f["path"])
            assert len(doc["features"]) == f["features"] == m["counts"][f["layer"]]
            assert f["crs"] == "EPSG:4326"


def test_package_layers_are_the_communitys_share(packages, plan):
    pipes = gpd.read_file(packages / "A" / "pipes.geojson").to_crs("EPSG:4552")
    length = dict(zip(pipes["pipe_id"], pipes.geometry.length, strict=True))
    assert length == pytest.approx({"p1": 50.0, "p2": 60.0, "p3": 100.0}, abs=0.01)
    t = plan[1].table.set_index(["level", "area_id", "item"])
    assert t.loc[("community", "A", "pipe:sewer:300"), "quantity"] == pytest.approx(50)
    b = gpd.read_file(packages / "B" / "buildings.geojson")
    assert b["building_id"].tolist() == ["b2"]  # straddles A|B, counted in B


def test_package_dxf(packages):
    doc = ezdxf.readfile(packages / "A" / "A.dxf")
    counts = Counter((e.dxftype(), e.dxf.layer) for e in doc.modelspace())
    assert counts[("LWPOLYLINE", "BUILDINGS")] == 1
    assert counts[("LWPOLYLINE", "PIPE_SEWER_DN300")] == 1
    assert counts[("INSERT", "FAC_BENCH")] == 1


def test_scope_sheet_in_chinese(packages, plan):
    wb = openpyxl.load_workbook(packages / "A" / "scope.xlsx")
    assert wb.sheetnames == ["概况", "工程量清单", "资金来源"]
    rows = list(wb["工程量清单"].values)
    assert rows[0] == ("序号", "项目名称", "单位", "工程量", "单价（元）", "合价（元）", "资金来源",
                       "备注")
    by_item = {r[7].split("；")[0]: r for r in rows[1:] if r[7]}
    assert by_item["roof_flat_waterproof"][1:4] == ("平屋面防水", "㎡", 700)
    assert by_item["roof_flat_waterproof"][7].endswith("调查申报")
    t = plan[1].table
    cost = t[(t["level"] == "community") & (t["area_id"] == "A")]["cost_cny"].sum()
    total = next(r for r in rows if r[0] == "合计 total")
    assert total[5] == pytest.approx(cost, abs=0.01)
    overview = dict(list(wb["概况"].values)[1:])
    assert overview["社区名称"] == "甲社区" and overview["户数"] == 30


def test_map_writer_hook(packages, calls):
    assert len(calls) == 3
    assert calls[0] == (["barriers", "buildings", "communities", "facilities", "pipes",
                         "structures", "zones"], "map.html")
    assert (packages / "A" / "map.html").read_text(encoding="utf-8") == "<html>map</html>"


def test_zip_packages(plan, tmp_path):
    written = write_packages(*plan, tmp_path / "packages", as_zip=True, communities=["C"])
    assert written == [tmp_path / "packages" / "C.zip"]
    assert sorted(p.name for p in (tmp_path / "packages").iterdir()) == ["C.zip"]
    with zipfile.ZipFile(written[0]) as zf:
        m = json.loads(zf.read("C/manifest.json"))
        for f in m["files"]:
            data = zf.read(f"C/{f['path']}")
            assert hashlib.sha256(data).hexdigest() == f["sha256"]
        assert "map.html" not in {f["path"] for f in m["files"]}


def test_unknown_community_and_folder_names(plan, tmp_path):
    layers, scope, zones = plan
    with pytest.raises(GisplanError, match="'Q' is not in the communities layer"):
        write_package(enrich_layers(layers, scope, zones), scope, "Q", tmp_path,
                      crs=layers.plan.crs)
    # unsafe characters replaced, and a hash of the id keeps cleaned names apart
    name = folder_name('a/b:c*?"<>| d')
    assert name.startswith("a_b_c_______d_") and len(name) == len("a_b_c_______d_") + 8
    assert folder_name("x" * 300) != folder_name("x" * 299)
    assert len(folder_name("长" * 300).encode()) <= 60
    assert folder_name("!") != folder_name("?")


def test_community_ids_that_would_share_a_folder_get_their_own(tmp_path):
    from plans import MINI_QUANTITIES, mini_layers, write_plan

    from gisplan.cli.main import main

    layers = mini_layers()
    # X/1 and X:1 clean to one name; a and A differ only in case (one folder on Windows)
    ids = {"A": "X/1", "B": "X:1", "C": "a"}
    layers["communities"]["community_id"] = layers["communities"]["community_id"].replace(ids)
    extra = layers["communities"].iloc[[2]].copy()
    extra["community_id"] = "A"
    extra["geometry"] = extra.geometry.translate(1000, 0)
    layers["communities"] = pd.concat([layers["communities"], extra], ignore_index=True)
    plan = write_plan(tmp_path / "plan", layers,
                      quantities=MINI_QUANTITIES.replace({"target_id": ids}))
    out = tmp_path / "out"
    assert main(["export", str(plan), "--out", str(out), "--format", "geojson",
                 "--packages", "--quiet"]) == 0
    folders = sorted(p.name for p in (out / "packages").iterdir())
    assert len(folders) == 4 and len({f.lower() for f in folders}) == 4
    all_ids = ["X/1", "X:1", "a", "A"]
    expected = dict(zip(all_ids, folder_names(all_ids), strict=True))
    assert expected["a"] != expected["A"] and expected["X/1"] != expected["X:1"]
    for folder in (out / "packages").iterdir():
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert folder.name == expected[manifest["community"]["community_id"]]


def test_cli_run_writes_exports_and_packages(plan, tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(plan[0].plan.root), "--out", str(out)]) == 0
    assert {"scope.csv", "zones.geojson", "exports", "packages"} <= {p.name for p in
                                                                      out.iterdir()}
    assert {p.name for p in (out / "exports").iterdir()} == {"geojson", "layers.gpkg", "shp",
                                                            "layers.dxf"}
    assert sorted(p.name for p in (out / "packages").iterdir()) == ["A", "B", "C"]


def test_cli_export_packages_zip_for_one_community(plan, tmp_path):
    out = tmp_path / "out"
    assert main(["export", str(plan[0].plan.root), "--out", str(out), "--format", "gpkg",
                 "--community", "A", "--zip"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [".gisplan-files", "layers.gpkg", "packages",
                                                    "warnings.csv"]
    assert [p.name for p in (out / "packages").iterdir()] == ["A.zip"]


def _page_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="gisplan-data">(.*?)</script>', html,
                  re.S)
    return json.loads(m.group(1))


def test_package_map_agrees_with_its_files(tmp_path):
    """Every pipe on a package's map is the package's own piece: p1 (300 m, sewer DN300)
    has 50 m in A (tests/plans.py), and the page says 50 m and the file's cost."""
    from plans import write_plan

    from gisplan.cli.main import main

    plan = write_plan(tmp_path / "plan")
    out = tmp_path / "out"
    assert main(["export", str(plan), "--out", str(out), "--packages", "--quiet",
                 "--format", "geojson"]) == 0
    pkg = out / "packages" / "A"
    pipes = gpd.read_file(pkg / "pipes.geojson").set_index("pipe_id")
    data = _page_data((pkg / "map.html").read_text(encoding="utf-8"))
    cols = data["layers"]["pipes"]["cols"]
    page = pd.DataFrame({"len": cols["len"], "cost": cols["cost"]}, index=cols["id"])
    assert set(page.index) == set(pipes.index)
    assert page.loc["p1", "len"] == pytest.approx(50.0)
    assert pipes.loc["p1", "length_m"] == pytest.approx(50.0)
    for pid in pipes.index:
        assert page.loc[pid, "len"] == pytest.approx(pipes.loc[pid, "length_m"], abs=0.05)
        if pipes.loc[pid, "action"] == "keep":  # kept pipes are not work: no cost either side
            assert pd.isna(page.loc[pid, "cost"]) and not pipes.loc[pid, "cost_cny"]
        else:
            assert page.loc[pid, "cost"] == pytest.approx(pipes.loc[pid, "cost_cny"], abs=1)
    # each pipe's pieces on the page count only in A (no 未归属 stretch beside it)
    coms = data["layers"]["pipes"]["rows"]["com"]
    assert set(coms) <= {0}
