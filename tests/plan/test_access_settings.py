"""``[access]`` in plan.toml and the service standards it overrides."""

from __future__ import annotations

import pytest
from plans import PLAN_TOML

from gisplan.cli.main import main
from gisplan.errors import PlanError
from gisplan.plan.access import LIFE_CIRCLES, load_service_standards
from gisplan.plan.settings import read_plan

LAYERS = 'communities = "c.geojson"\nbuildings = "b.geojson"\npipes = "p.geojson"\n' \
         'roads = "r.geojson"\nservices = "s.geojson"\nsites = "x.geojson"'


def plan_file(tmp_path, access: str):
    (tmp_path / "plan.toml").write_text(PLAN_TOML.format(layers=LAYERS) + access,
                                        encoding="utf-8")
    return tmp_path


def test_standards_table_is_complete_and_cites_its_source():
    s = load_service_standards()
    assert s.index.is_unique and len(s) >= 10
    assert s["life_circle"].isin(LIFE_CIRCLES).all() and (s["max_walk_m"] > 0).all()
    assert s["source"].str.contains("GB 50180-2018").all()
    # the life circles' walking distances: 5 min 300 m, 10 min 500 m, 15 min 1000 m
    assert s.loc["kindergarten", "max_walk_m"] == 300 and s.loc["market", "max_walk_m"] == 500
    assert s.loc["middle_school", "max_walk_m"] == 1000
    assert {"kindergarten", "elderly_care", "market", "fitness", "property_office",
            "refuse_station", "public_toilet"} <= set(s.index)


def test_defaults_and_overrides(tmp_path):
    plan = read_plan(plan_file(tmp_path, ""))
    assert plan.access.snap_max_m == 200 and plan.access.max_walk("kindergarten") == 300
    assert set(plan.layers) >= {"roads", "services", "sites"}
    plan = read_plan(plan_file(tmp_path, "[access]\nmax_walk_m = { kindergarten = 250, "
                                         "market = 600.5 }\nsnap_max_m = 80\n"))
    assert plan.access.max_walk("kindergarten") == 250
    assert plan.access.max_walk("market") == 600.5
    assert plan.access.max_walk("nursery") == 300 and plan.access.snap_max_m == 80


WALK = "must be a finite number >= 1 and <= 100000"
BAD = [
    ("max_walk_m = { zoo = 300 }", "[access.max_walk_m] unknown kind of service 'zoo'"),
    ("max_walk_m = { kindergarden = 300 }", "did you mean 'kindergarten'?"),
    ("max_walk_m = { market = -1 }", f"[access.max_walk_m] 'market' {WALK}, got -1"),
    ("max_walk_m = { market = 0.5 }", f"'market' {WALK}, got 0.5"),
    ("max_walk_m = { market = 1e6 }", f"'market' {WALK}, got 1000000.0"),
    ("max_walk_m = { market = nan }", f"'market' {WALK}, got nan"),
    ("max_walk_m = { market = inf }", f"'market' {WALK}, got inf"),
    ("max_walk_m = { market = true }", f"'market' {WALK}, got True"),
    ("max_walk_m = { market = \"500\" }", f"'market' {WALK}, got '500'"),
    ("max_walk_m = 300", "[access] 'max_walk_m' must be a table of kind = metres"),
    ("snap_max_m = 0", "[access] 'snap_max_m' must be a finite number >= 1 and <= 10000"),
    ("snap_max_m = nan", "[access] 'snap_max_m' must be a finite number >= 1 and <= 10000"),
    ("walk_speed = 1.2", "[access] unknown key 'walk_speed'"),
    ("snap_max = 100", "did you mean 'snap_max_m'?"),
]


@pytest.mark.parametrize(("line", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_access_section_is_located(tmp_path, capsys, line, words):
    plan_file(tmp_path, f"[access]\n{line}\n")
    with pytest.raises(PlanError) as err:
        read_plan(tmp_path)
    assert words in str(err.value) and str(tmp_path / "plan.toml") in str(err.value)
    assert main(["validate", str(tmp_path)]) == 1
    assert words in capsys.readouterr().err


def test_every_problem_at_once(tmp_path):
    plan_file(tmp_path, "[access]\nmax_walk_m = { zoo = 1, market = 0 }\nsnap_max_m = -3\n")
    with pytest.raises(PlanError) as err:
        read_plan(tmp_path)
    assert str(err.value).count("[access") == 3
