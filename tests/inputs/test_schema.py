"""The layer contract: each value that does not fit its column is reported, located by the
feature's id (or row, or CSV line) and the column's name in the user's file."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gisplan.inputs.problems import Report
from gisplan.inputs.schema import (
    SCHEMAS,
    Column,
    Locator,
    as_text,
    check_columns,
    duplicate_ids,
    locate,
)


def buildings(**columns) -> pd.DataFrame:
    base = {"building_id": ["b1", "b2", "b3"], "floors": [5, 6, 4],
            "households": [30, 24, 16], "units": [3, 2, 2], "roof": ["flat", "pitched", "flat"]}
    return pd.DataFrame({**base, **columns})


def check(frame: pd.DataFrame, layer: str = "buildings", names: dict | None = None):
    report = Report()
    out = check_columns(frame, layer, file_names=names or {}, report=report)
    return out, [(p.check, p.feature_id, p.field, p.message) for p in report.problems]


def test_a_good_layer_comes_back_typed():
    frame = buildings(floors=[5.0, 6.0, 4.0], building_id=[1.0, "b2", " b3 "])
    before = frame.copy()
    out, problems = check(frame)
    assert problems == []
    assert out["floors"].dtype == "Int64" and out["floors"].tolist() == [5, 6, 4]
    assert out["building_id"].tolist() == ["1", "b2", "b3"]
    pd.testing.assert_frame_equal(frame, before)  # the input is not changed


def test_wrong_types_are_located_in_the_users_words():
    frame = buildings(floors=[5, "五", 2.5], roof=["flat", "flatt", None])
    out, problems = check(frame, names={"floors": "层数"})
    assert problems == [
        ("bad_value", "b2", "层数", "value '五' is not a whole number >= 1 and <= 200"),
        ("bad_value", "b3", "层数", "value 2.5 is not a whole number >= 1 and <= 200"),
        ("bad_value", "b2", "roof", 'value \'flatt\' is not one of "flat", "pitched"'),
        ("missing_value", "b3", "roof", 'empty; expected one of "flat", "pitched"'),
    ]
    assert out["floors"].isna().tolist() == [False, True, True]
    assert out["roof"].tolist() == ["flat", None, None]


def test_duplicate_ids_and_blank_ids():
    frame = buildings(building_id=["b1", " ", "b1"])
    _, problems = check(frame)
    assert ("missing_value", "row 2", "building_id", "empty; expected a non-empty text id") \
        in problems
    assert ("duplicate_id", "b1", "building_id",
            "id 'b1' is used by 2 features; ids must be unique") in problems
    assert len(problems) == 2


def test_missing_columns_name_the_mapped_file_column():
    frame = buildings().drop(columns=["households", "roof"])
    _, problems = check(frame, names={"households": "户数"})
    assert problems == [
        ("missing_column", None, "户数", "column '户数 (households)' is missing; expected a "
         "whole number >= 0 and <= 100,000"),
        ("missing_column", None, "roof", 'column \'roof\' is missing; expected one of "flat", '
         '"pitched"'),
    ]


def test_optional_nullable_and_minimum():
    frame = buildings(floor_area_m2=[None, -5, "1,200"], households=[30, 24, 1e30])
    out, problems = check(frame)
    words = "a number >= 0 and <= 10,000,000"
    assert problems == [
        ("bad_value", "b3", "households", "value 1e+30 is not a whole number >= 0 and <= 100,000"),
        ("bad_value", "b2", "floor_area_m2", f"value -5 is not {words}"),
        ("bad_value", "b3", "floor_area_m2", f"value '1,200' is not {words}"),
    ]
    assert out["floor_area_m2"].isna().all()


def test_tables_without_ids_are_located_by_csv_line():
    q = pd.DataFrame({"target_id": ["b1", None, "b2"], "item": ["bench"] * 3,
                      "quantity": ["x", 2, "Infinity"]})
    _, problems = check(q, "quantities")
    # the header is line 1: the first record is line 2; columns in the contract's order
    assert problems == [("missing_value", "line 3", "target_id",
                         "empty; expected a non-empty text id"),
                        ("bad_value", "line 2", "quantity",
                         "value 'x' is not a number >= 0 and <= 1,000,000,000,000"),
                        ("bad_value", "line 4", "quantity",
                         "value 'Infinity' is not a number >= 0 and <= 1,000,000,000,000")]


def test_locator_and_expected_words():
    where = locate(pd.DataFrame({"id": ["a", None, "c"]}, index=[10, 20, 30]), "id")
    assert (where[20], where[30], where.iloc[0]) == ("row 2", "c", "a")
    assert where.labels(np.array([1, 2])) == ["row 2", "c"]
    assert Column("x", "enum", choices=("a", "b")).expected() == 'one of "a", "b"'
    assert Column("x", "number", minimum=0.5).expected() == "a number >= 0.5"
    assert Column("x", "int", minimum=1, maximum=1e6).expected() == (
        "a whole number >= 1 and <= 1,000,000")
    assert Column("x", "text").expected() == "text"


def test_text_and_duplicates():
    assert as_text(pd.Series([1.0, 2.5, np.nan])).tolist() == ["1", "2.5", None]
    assert as_text(pd.Series([" a", ""], dtype="string"), blank_is_missing=True).tolist() == [
        "a", None]
    assert duplicate_ids(pd.Series(["x", "y", "x", "x", None, None])).to_dict() == {"x": 3}
    assert duplicate_ids(pd.Series(["x", "y"])).empty


def test_every_layer_has_an_id_column_in_its_contract():
    for name, schema in SCHEMAS.items():
        names = [c.name for c in schema.columns]
        assert len(names) == len(set(names)), name
        if schema.id is not None:
            assert names[0] == schema.id and schema.geometry, name


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.integers(-3, 400), st.floats(-3, 400, allow_nan=False),
                          st.sampled_from(["5", "五", "", " 7 ", "3.0", "x", "inf", "200",
                                           "201"]), st.none()),
                min_size=1, max_size=12))
def test_floors_fit_exactly_when_whole_numbers_from_1_to_200(values):
    def fits(v) -> bool | None:  # None: missing
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        try:
            x = float(v)
        except ValueError:
            return False
        return math.isfinite(x) and 1 <= x <= 200 and x == int(x)

    n = len(values)
    frame = pd.DataFrame({"building_id": [f"b{i}" for i in range(n)],
                          "floors": pd.Series(values, dtype=object), "households": [1] * n,
                          "units": [1] * n, "roof": ["flat"] * n})
    out, problems = check(frame)
    bad = {fid for c, fid, field, _ in problems if c == "bad_value" and field == "floors"}
    missing = {fid for c, fid, field, _ in problems if c == "missing_value"}
    assert bad == {f"b{i}" for i, v in enumerate(values) if fits(v) is False}
    assert missing == {f"b{i}" for i, v in enumerate(values) if fits(v) is None}
    ok = [i for i, v in enumerate(values) if fits(v)]
    assert out["floors"].iloc[ok].tolist() == [int(float(values[i])) for i in ok]


@pytest.mark.parametrize("layer", ["communities", "pipes", "structures"])
def test_unknown_choice_names_the_allowed_ones(layer):
    frames = {
        "communities": pd.DataFrame({"community_id": ["c1"], "name": ["n"], "street": ["s"],
                                     "renovation_type": ["deluxe"]}),
        "pipes": pd.DataFrame({"pipe_id": ["p1"], "network": ["oil"], "diameter_mm": [100],
                               "action": ["replace"]}),
        "structures": pd.DataFrame({"structure_id": ["s1"], "kind": ["违建"],
                                    "status": ["gone"]}),
    }
    _, problems = check(frames[layer], layer)
    [(kind, fid, _, message)] = problems
    assert (kind, fid) == ("bad_value", frames[layer].iloc[0, 0])
    assert "is not one of" in message


@pytest.mark.parametrize("ids", [
    pd.Series(["b1", None, " ", "x"], dtype=object), pd.Series([1.0, np.nan, 3.5, 2.0]),
    pd.Series(["a", None, "", " b "], dtype="str"), pd.array([1, None, 3, 4], dtype="Int64"),
    pd.Series([3, "a", None, True], dtype=object)])
def test_labels_of_many_rows_are_those_of_each_row(ids):
    where = Locator(pd.DataFrame({"i": pd.array(ids)}, index=[10, 11, 12, 13]), "i")
    assert where.labels(np.array([3, 2, 1, 0])) == [where.at_position(p) for p in (3, 2, 1, 0)]
