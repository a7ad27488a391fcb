"""A plan's communities as selection candidates (the mini plan: zone Z001 = A+B, Z002 = C)."""

from __future__ import annotations

import numpy as np
import pytest
from plans import load_scoped, mini_layers

from gisplan.analysis.selection_candidates import candidates
from gisplan.errors import ValidationError


def test_cost_households_and_zones_come_from_scope(tmp_path):
    layers, scope, zones = load_scoped(tmp_path / "p")
    c = candidates(layers, scope, zones)
    rows = scope.table[scope.table["level"] == "community"]
    for cid in ("A", "B", "C"):
        mine = rows[rows["area_id"] == cid]
        assert c.loc[cid, "cost_cny"] == pytest.approx(mine["cost_cny"].sum())
        assert c.loc[cid, "households"] == mine.set_index("item").loc["households", "quantity"]
    assert c["households"].tolist() == [30, 24, 16]  # b2 (24) is B's; b4 is in no community
    assert c["weight"].tolist() == c["households"].tolist()
    assert c["unit"].tolist() == ["Z001", "Z001", "Z002"] == c["zone_id"].tolist()
    assert c["year"].tolist() == [None, None, None]
    alone = candidates(layers, scope, zones, keep_zones_together=False)
    assert alone["unit"].tolist() == [None, None, None]
    assert alone["zone_id"].tolist() == ["Z001", "Z001", "Z002"]


def test_year_and_priority_columns(tmp_path):
    layers = mini_layers()
    layers["communities"]["year"] = [2022, None, 2021]
    layers["communities"]["priority"] = [1.5, 0.0, 7.0]
    loaded, scope, zones = load_scoped(tmp_path / "p", layers)
    c = candidates(loaded, scope, zones, objective="priority")
    assert c["year"].tolist() == ["2022", None, "2021"]
    assert np.allclose(c["weight"], [1.5, 0.0, 7.0])


def test_priority_missing_is_located(tmp_path):
    loaded, scope, zones = load_scoped(tmp_path / "p")
    with pytest.raises(ValidationError) as err:
        candidates(loaded, scope, zones, objective="priority")
    [p] = err.value.report.errors
    assert (p.layer, p.field, p.check) == ("communities", "priority", "missing_column")
    layers = mini_layers()
    layers["communities"]["priority"] = [1.0, None, 2.0]
    loaded, scope, zones = load_scoped(tmp_path / "q", layers)
    with pytest.raises(ValidationError) as err:
        candidates(loaded, scope, zones, objective="priority")
    [p] = err.value.report.errors
    assert (p.feature_id, p.field, p.check) == ("B", "priority", "missing_value")


def test_bad_year_is_a_validation_error(tmp_path):
    from plans import write_plan

    from gisplan.inputs.validation import load_layers

    layers = mini_layers()
    layers["communities"]["year"] = [2022.5, None, 1800]
    with pytest.raises(ValidationError) as err:
        load_layers(write_plan(tmp_path / "p", layers))
    found = {(p.feature_id, p.field) for p in err.value.report.errors}
    assert found == {("A", "year"), ("C", "year")}
