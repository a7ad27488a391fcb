"""Rows written in bulk are the rows xlsxwriter writes one by one, byte for byte."""

from __future__ import annotations

import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter

from gisplan.outputs import xlsx_rows
from gisplan.outputs.tables import write_sheets
from gisplan.outputs.xlsx_rows import write_rows

TEXTS = ["永新社区", "a & b <c>", "_x0041_ stays", "bell\x07", "tab\there", " lead", "trail ",
         "new\nline", "\u3000全角", "'=1+1", "", None, 'quote "x"', "\ufffe", "ok_x00"]


def _frame(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    texts = [TEXTS[i % len(TEXTS)] for i in range(n)]
    return pd.DataFrame({
        "text": pd.Series(texts, dtype=object),
        "str": pd.Series([t if t is not None else None for t in texts], dtype="str"),
        "cat": pd.Categorical([["甲", "乙", None][i % 3] for i in range(n)]),
        "mixed": pd.Series([i if i % 5 else "合计 total" for i in range(n)], dtype=object),
        "whole": rng.integers(-10**6, 10**6, n).astype(float),
        "int": np.arange(n, dtype=np.int64) * 10**12,
        "dec": np.where(np.arange(n) % 4 == 0, np.nan, rng.normal(0, 1e6, n)),
        "tiny": [0.1 + 0.2, -0.0, 1e-300, 1e16, 2.5e15, 123456789.123, 7.0, np.nan] * (n // 8),
        "share": rng.random(n)})


def _sheets(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if not n.endswith("core.xml")}


def _both(tmp_path, monkeypatch, sheets, **kw):
    taken = []
    with monkeypatch.context() as m:
        m.setattr(xlsx_rows, "write_rows", lambda *a: taken.append(write_rows(*a)) or taken[-1])
        fast = write_sheets(tmp_path / "fast.xlsx", sheets, **kw)
    assert all(taken), "the bulk writer left a sheet to xlsxwriter"
    with monkeypatch.context() as m:
        m.setattr(xlsx_rows, "write_rows", lambda *a: False)
        slow = write_sheets(tmp_path / "slow.xlsx", sheets, **kw)
    return fast, slow


def test_bulk_rows_are_xlsxwriters_own_bytes(tmp_path, monkeypatch):
    frame = _frame()
    total = pd.DataFrame({"text": ["合计 total"], "whole": [frame["whole"].sum()]})
    blank = pd.DataFrame({"text": [None, "x", None], "whole": [np.nan, np.nan, 1.0]})
    sheets = {"a": frame, "b 合计": pd.concat([frame, total], ignore_index=True), "c": blank,
              "d": frame.iloc[:0], "e": frame.iloc[:1]}
    fast, slow = _both(tmp_path, monkeypatch, sheets, notes={"a": "全部明细见 scope.csv"},
                       percent=("share",))
    assert _sheets(fast) == _sheets(slow)


def test_bulk_rows_read_back_as_written(tmp_path, monkeypatch):
    fast, slow = _both(tmp_path, monkeypatch, {"s": _frame()})
    a, b = openpyxl.load_workbook(fast)["s"], openpyxl.load_workbook(slow)["s"]
    cells = [(c.value, c.number_format, c.font.b) for row in a.iter_rows() for c in row]
    assert cells == [(c.value, c.number_format, c.font.b) for row in b.iter_rows() for c in row]
    assert a.max_row == 41 and a.cell(row=2, column=1).value == "永新社区"


@pytest.mark.parametrize("column", [
    pd.Series([True, False]), pd.Series([1, True], dtype=object), pd.Series([1.0, np.inf]),
    pd.Series(["x" * 20_000, "y"]), pd.Series(["<r>rich?</r>"]),
    pd.Series(pd.to_datetime(["2026-01-01", "2026-01-02"]))])
def test_what_it_cannot_write_exactly_is_left_to_xlsxwriter(tmp_path, column):
    book = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), {"constant_memory": True})
    ws = book.add_worksheet()
    assert write_rows(ws, pd.DataFrame({"v": column}), 1, [None]) is False
    assert ws.dim_rowmax is None  # nothing was written
    book.close()


def test_a_workbook_not_in_constant_memory_is_left_to_xlsxwriter(tmp_path):
    book = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    assert write_rows(book.add_worksheet(), pd.DataFrame({"v": [1.0]}), 1, [None]) is False
    book.close()
