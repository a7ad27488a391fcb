"""gisplan.inputs.grouping: sums by keys agree with pandas' group-by, row for row."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from gisplan.inputs.grouping import as_frame, sum_by

rows = st.lists(st.tuples(st.sampled_from(["a", "b", "甲", None]),
                          st.integers(-1, 3),
                          st.one_of(st.floats(-1e6, 1e6), st.just(float("nan")))),
                max_size=40)


@settings(max_examples=200, deadline=None)
@given(rows)
def test_sum_by_is_groupby_sum_in_first_appearance_order(data):
    text = np.array([r[0] for r in data], dtype=object)
    code = np.array([r[1] for r in data], dtype=np.int64)  # integer codes, -1 missing
    value = np.array([r[2] for r in data], dtype=float)
    frame = pd.DataFrame({"text": text, "code": pd.Series(code).where(code >= 0),
                          "value": value})
    want = frame.groupby(["text", "code"], sort=False)["value"].sum().reset_index()
    first, sums = sum_by([text, code], {"value": value})
    assert text[first].tolist() == want["text"].tolist()
    assert code[first].tolist() == want["code"].astype(int).tolist()
    np.testing.assert_allclose(sums["value"], want["value"].to_numpy())


def test_missing_keys_drop_rows_and_empty_input_gives_no_groups():
    first, sums = sum_by([np.array([None, "x", None], dtype=object)], {"v": [1.0, 2.0, 4.0]})
    assert first.tolist() == [1] and sums["v"].tolist() == [2.0]
    first, sums = sum_by([np.array([], dtype=object)], {"v": np.array([])})
    assert len(first) == 0 and len(sums["v"]) == 0


def test_as_frame_keeps_object_text_as_object():
    frame = as_frame({"id": np.array(["a", "b"], dtype=object), "n": np.array([1, 2])})
    assert frame["id"].dtype == object and frame["n"].dtype == np.int64


def test_categorical_keys_group_by_their_codes():
    key = pd.Series(pd.Categorical(["y", None, "x", "y"], categories=["x", "y", "z"]))
    first, sums = sum_by([key], {"v": [1.0, 2.0, 4.0, 8.0]})
    assert first.tolist() == [0, 2] and sums["v"].tolist() == [9.0, 4.0]


def test_sums_are_compensated_like_pandas():
    # Ten times 0.1 is 0.9999999999999999 summed naively (np.bincount); planners see 1.0.
    _, sums = sum_by([np.zeros(10, dtype=np.int64)], {"v": np.full(10, 0.1)})
    assert sums["v"].tolist() == [1.0]
