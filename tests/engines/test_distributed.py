"""The dask engine (gisplan.engines.distributed) gives the in-memory engine's numbers.

One local cluster of 2 in-process workers serves every test (processes=False
starts in a second). Tables are compared row by row: same rows in the same
order, text equal, numbers to 1e-9 relative.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import HUNCHUN
from plans import write_plan

from gisplan.analysis.scope import compute_scope
from gisplan.analysis.zones import detect_zones
from gisplan.cli.main import main
from gisplan.engines.distributed import dask_client, run_scope_dask
from gisplan.engines.partition import partition_plan, write_partitioned
from gisplan.errors import GisplanError, ValidationError
from gisplan.inputs.synthetic import make_city
from gisplan.inputs.validation import load_layers
from gisplan.outputs.plan_folder import write_plan_folder

RTOL = 1e-9
# dask's parquet reader calls reset_index(inplace=True), deprecated by pandas 3.1.
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")


@pytest.mark.parametrize("module", ["dask", "distributed", "dask_geopandas"])
def test_without_the_dask_extra_the_message_names_the_extra(module, mini_plan, tmp_path,
                                                            monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, module, None)  # importing it now fails
    advice = 'pip install "gisplan[dask]"'
    with pytest.raises(GisplanError, match=r"not installed: [^)]*\b" + module) as caught:
        run_scope_dask(mini_plan)
    assert str(caught.value).endswith(advice)
    out = tmp_path / "out"
    assert main(["scope", str(mini_plan), "--out", str(out), "--engine", "dask"]) == 1
    err = capsys.readouterr().err
    assert advice in err and "ModuleNotFoundError" not in err and "Traceback" not in err
    assert not out.exists()


@pytest.fixture(scope="module")
def client():
    with dask_client(n_workers=2, processes=False) as c:
        yield c


def _memory(plan: Path):
    layers = load_layers(plan)
    return compute_scope(layers, zones=detect_zones(layers).membership)


def assert_same_table(want: pd.DataFrame, got: pd.DataFrame) -> None:
    """Every row equal: text exactly, numbers to 1e-9 relative."""
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for col in want.columns:
        a, b = want[col], got[col]
        if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
            x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
            ok = np.isclose(y, x, rtol=RTOL, atol=1e-9, equal_nan=True)
            assert ok.all(), (col, want[~ok].head(), got[~ok].head())
        else:
            x = a.astype(object).where(a.notna(), None).to_numpy()
            y = b.astype(object).where(b.notna(), None).to_numpy()
            assert (x == y).all(), (col, want[x != y].head(), got[x != y].head())


def assert_same_scope(want, got) -> None:
    for name in ("table", "funding", "scenarios", "allocation"):
        assert_same_table(getattr(want, name), getattr(got, name))


# --------------------------------------------------------------------------- same numbers

def test_mini_plan_unpartitioned(mini_plan, client):
    """GeoJSON layers: one partition each, read by a worker."""
    run = run_scope_dask(mini_plan, client=client)
    assert run.partitions == {"buildings": 1, "pipes": 1, "facilities": 1, "structures": 1}
    assert_same_scope(_memory(mini_plan), run.scope)
    assert len(run.layers.report.warnings) == len(load_layers(mini_plan).report.warnings)


def test_mini_plan_partitioned(mini_plan, tmp_path, client):
    parts = partition_plan(mini_plan, tmp_path / "parts", npartitions=3)
    assert len(list((parts / "buildings.parquet").glob("part.*.parquet"))) == 3
    want = _memory(mini_plan)
    assert_same_scope(want, run_scope_dask(parts, client=client).scope)
    # The in-memory engine reads a partitioned plan too (GeoParquet folders).
    assert_same_scope(want, _memory(parts))


def test_hunchun_plan(tmp_path, client):
    """The bundled 2020 Hunchun plan (stated totals, surveys, barriers), both layouts."""
    want = _memory(HUNCHUN)
    assert_same_scope(want, run_scope_dask(HUNCHUN, client=client).scope)
    parts = partition_plan(HUNCHUN, tmp_path / "hc", npartitions=3)
    got = run_scope_dask(parts, client=client).scope
    assert_same_scope(want, got)
    assert_same_table(want.reconciliation, got.reconciliation)


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    """A 3,000-building city with surveyed figures for buildings and communities,
    stated plan totals, and a household threshold for zones (zones then need the
    buildings)."""
    folder = write_plan_folder(make_city(3000, seed=3), tmp_path_factory.mktemp("city") / "plan")
    layers = load_layers(folder)
    b = layers.buildings["building_id"].to_numpy()[::97]
    c = layers.communities["community_id"].to_numpy()[::7]
    pd.DataFrame({
        "target_id": [*b, *b[:5], *c, *c[:3]],
        "item": ["roof_flat_waterproof"] * len(b) + ["unit_door"] * 5
        + ["asphalt_rebuild"] * len(c) + ["facade_paint"] * 3,
        "quantity": np.arange(len(b) + 5 + len(c) + 3) * 10.0 + 5,
    }).to_csv(folder / "quantities.csv", index=False)
    pd.DataFrame({"item": ["buildings", "households", "roof_flat_waterproof"],
                  "quantity": [3000, 90000, 250000],
                  "source_text": ["3000栋", "9万户", "屋面防水25万平方米"]}).to_csv(
        folder / "stated.csv", index=False)
    toml = (folder / "plan.toml").read_text(encoding="utf-8")
    (folder / "plan.toml").write_text(
        toml + '\n[quantities]\ndeclared = "quantities.csv"\nstated = "stated.csv"\n'
        '\n[zones]\nmin_households = 4000\n', encoding="utf-8")
    return folder


def test_generated_city(city, tmp_path, client):
    parts = partition_plan(city, tmp_path / "parts", npartitions=6)
    run = run_scope_dask(parts, client=client)
    assert run.partitions["buildings"] == 6 and run.partitions["pipes"] == 3
    want = _memory(city)
    assert_same_scope(want, run.scope)
    assert want.table["level"].eq("zone").any()  # zones survive the household threshold
    assert want.reconciliation["item"].tolist()[:3] == ["buildings", "households",
                                                        "roof_flat_waterproof"]
    assert want.reconciliation["stated"].tolist()[:3] == [3000, 90000, 250000]
    assert_same_table(want.reconciliation, run.scope.reconciliation)


def test_partitions_cutting_through_communities(city, tmp_path, client):
    """Parts split by x at community middles: communities and pipes straddle parts,
    yet every building and pipe is counted once."""
    layers = load_layers(city)
    middles = np.unique(np.round(layers.communities.geometry.centroid.x.to_numpy(), -1))
    parts = partition_plan(city, tmp_path / "cut", npartitions=1)
    spread = {}
    for name in ("buildings", "pipes", "facilities", "structures"):
        gdf = layers.layer(name)
        x = gdf.geometry.centroid.x.to_numpy()
        labels = np.searchsorted(middles, x)
        write_partitioned(gdf, parts / f"{name}.parquet", labels=labels)
        spread[name] = labels
    # The cut really goes through communities and pipes.
    home = layers.geo_community.to_numpy()
    per_community = pd.Series(spread["buildings"]).groupby(home).nunique()
    assert (per_community.drop("unassigned", errors="ignore") >= 2).sum() >= 10
    bounds = layers.pipes.geometry.bounds
    lo, hi = np.searchsorted(middles, bounds["minx"]), np.searchsorted(middles, bounds["maxx"])
    assert (lo != hi).sum() >= 50  # pipes crossing a partition border

    run = run_scope_dask(parts, client=client)
    assert run.partitions["buildings"] == len(np.unique(spread["buildings"])) >= 5
    want = _memory(city)
    assert_same_scope(want, run.scope)
    city_row = run.scope.table[run.scope.table["level"] == "city"].set_index("item")
    assert city_row.loc["buildings", "quantity"] == len(layers.buildings)
    scope_pipes = layers.pipes[layers.pipes["action"] != "keep"]
    total = city_row.loc[city_row.index.str.startswith("pipe:"), "quantity"].sum()
    assert total == pytest.approx(shapely.length(scope_pipes.geometry.values).sum(), rel=RTOL)


# --------------------------------------------------------------------------- validation

def test_problems_across_partitions(tmp_path, client):
    """A duplicate id in two parts, a bad value and an unknown survey target are found,
    located as in the whole layer."""
    from plans import MINI_QUANTITIES, mini_layers

    layers = mini_layers()
    b = layers["buildings"]
    b.loc[3, "building_id"] = "b1"          # b1 again, far east: another partition
    b.loc[2, "floors"] = -1
    b.loc[1, "building_id"] = None           # located by its row
    q = pd.concat([MINI_QUANTITIES, pd.DataFrame({"target_id": ["nobody"], "item": ["bench"],
                                                   "quantity": [1]})])
    plan = write_plan(tmp_path / "bad", layers, quantities=q)
    with pytest.raises(ValidationError) as memory:
        load_layers(plan)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "plan.toml").write_text((plan / "plan.toml").read_text(encoding="utf-8").replace(
        ".geojson", ".parquet"), encoding="utf-8")
    (raw / "quantities.csv").write_text((plan / "quantities.csv").read_text())
    for name, gdf in layers.items():
        if name == "buildings":
            write_partitioned(gdf, raw / "buildings.parquet", labels=np.array([0, 0, 1, 1]))
        else:
            gdf.to_parquet(raw / f"{name}.parquet", index=False)
    with pytest.raises(ValidationError) as dask_run:
        run_scope_dask(raw, client=client)

    def located(exc):
        return sorted((p.check, p.feature_id, p.field) for p in exc.value.report.errors)

    assert located(dask_run) == located(memory)
    assert ("duplicate_id", "b1", "building_id") in located(dask_run)
    assert ("missing_value", "row 2", "building_id") in located(dask_run)


def test_bad_communities_stop_before_the_features(tmp_path, client):
    from plans import mini_layers

    layers = mini_layers()
    layers["communities"].loc[1, "community_id"] = "A"
    plan = write_plan(tmp_path / "dup", layers)
    with pytest.raises(ValidationError) as exc:
        run_scope_dask(plan, client=client)
    assert [p.check for p in exc.value.report.errors] == ["duplicate_id"]


# --------------------------------------------------------------------------- command line

def test_cli_partition_and_dask_scope(mini_plan, tmp_path, client, capsys):
    parts = tmp_path / "parts"
    assert main(["partition", str(mini_plan), "--out", str(parts), "--npartitions", "2"]) == 0
    assert (parts / "plan.toml").is_file()
    assert main(["scope", str(mini_plan), "--out", str(tmp_path / "mem")]) == 0
    assert main(["scope", str(parts), "--out", str(tmp_path / "dask"), "--engine", "dask",
                 "--scheduler", client.scheduler.address]) == 0
    for name in ("scope", "funding", "scenarios", "allocation"):
        want = pd.read_csv(tmp_path / "mem" / f"{name}.csv", encoding="utf-8-sig")
        got = pd.read_csv(tmp_path / "dask" / f"{name}.csv", encoding="utf-8-sig")
        assert_same_table(want, got)
    assert (tmp_path / "dask" / "scope.xlsx").is_file()
    assert main(["partition", str(mini_plan), "--out", str(mini_plan), "--npartitions",
                 "2"]) == 1
    assert "lies inside the input" in capsys.readouterr().err


def test_core_does_not_import_dask():
    code = ("import sys, gisplan.cli.main, gisplan.analysis.scope, gisplan.engines.partition;"
            "sys.exit(any(m.split('.')[0] in ('dask', 'distributed', 'dask_geopandas')"
            " for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
