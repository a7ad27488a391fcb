"""CSV text built in Arrow is the text pandas writes, byte for byte, or pandas writes it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gisplan.outputs import csv_rows
from gisplan.outputs.csv_rows import write_frame
from gisplan.outputs.tables import write_csv

TEXTS = ["永新社区", "a,b", 'say "hi"', "two\nlines", "tab\tin", " lead", "trail ", "semi;colon",
         "", None, np.nan, "'=1+1", "x"]
FLOATS = [0.0, -0.0, 1.0, 0.1 + 0.2, 1e-4, 9.99e-5, 1e-5, 5e-324, 123456789012345.6, 1e15,
          999999999999999.9, 1e16, 1.7976931348623157e308, np.nan, np.inf, -np.inf, -2.5, 7e22]


def _pandas(frame, path):
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path.read_bytes()


def _same(frame, tmp_path):
    assert write_frame(frame, tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_bytes() == _pandas(frame, tmp_path / "b.csv")


def test_text_numbers_and_categories_are_pandas_bytes(tmp_path):
    n = 3 * len(FLOATS)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "obj": pd.Series([TEXTS[i % len(TEXTS)] for i in range(n)], dtype=object),
        "str": pd.Series([TEXTS[i % len(TEXTS)] for i in range(n)], dtype="str"),
        "cat": pd.Categorical([TEXTS[i % 5] for i in range(n)]),
        "f": FLOATS * 3, "int": rng.integers(-10**12, 10**12, n),
        "random": rng.normal(0, 1, n) * 10.0 ** rng.integers(-20, 25, n),
        'odd "name", too': np.arange(n, dtype=np.uint8)})
    _same(frame, tmp_path)
    _same(frame.iloc[:0], tmp_path)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(width=64), min_size=1, max_size=50))
def test_any_float_is_written_as_pandas_writes_it(tmp_path_factory, values):
    _same(pd.DataFrame({"v": values, "w": values[::-1]}), tmp_path_factory.mktemp("f"))


def test_chunks_join_up(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_rows, "CHUNK", 7)
    _same(pd.DataFrame({"t": [f"r{i}" for i in range(30)], "v": np.arange(30) / 3}), tmp_path)


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"t": ["a\rb", "c"], "v": [1.0, 2.0]}),
    pd.DataFrame({"b": [True, False], "v": [1.0, 2.0]}),
    pd.DataFrame({"i": pd.array([1, None], dtype="Int64"), "v": [1.0, 2.0]}),
    pd.DataFrame({"o": pd.Series([1, "a"], dtype=object), "v": [1.0, 2.0]}),
    pd.DataFrame({"o": pd.Series([b"x", "a"], dtype=object), "v": [1.0, 2.0]}),
    pd.DataFrame({"c": pd.Categorical([1.5, 2.5]), "v": [1.0, 2.0]}),
    pd.DataFrame({"d": pd.to_datetime(["2026-01-01", None]), "v": [1.0, 2.0]}),
    pd.DataFrame({"v": [1.0, np.nan]}), pd.DataFrame({0: ["a"], 1: ["b"]})])
def test_what_it_cannot_write_is_left_to_pandas(tmp_path, frame):
    assert write_frame(frame, tmp_path / "a.csv") is False
    # write_csv then writes it with pandas, as before
    back = pd.read_csv(write_csv(frame, tmp_path / "b.csv"), encoding="utf-8-sig")
    assert back.shape == frame.shape
