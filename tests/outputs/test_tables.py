"""Tables for people: CSV and XLSX safe from formula injection, sheets within Excel's rows."""

from __future__ import annotations

import openpyxl
import pandas as pd

from gisplan.outputs import tables
from gisplan.outputs.tables import neutralise_text, write_csv, write_sheets

RISKY = ['=HYPERLINK("http://x","click")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)",
         "\t=1", "\r=1"]


def test_neutralise_text_prefixes_every_risky_cell_and_nothing_else():
    frame = pd.DataFrame({"t": [*RISKY, "永新社区", "a=b", None],
                          "c": pd.Categorical([*RISKY, "x", "y", "x"]),
                          "n": range(10)})
    out = neutralise_text(frame)
    assert list(out["t"][:7]) == ["'" + v for v in RISKY]
    assert list(out["t"][7:9]) == ["永新社区", "a=b"] and pd.isna(out["t"][9])
    assert list(out["c"][:7]) == ["'" + v for v in RISKY]
    assert list(out["n"]) == list(range(10))
    assert list(frame["t"][:7]) == RISKY  # the input is not changed


def test_csv_read_back_has_no_formula(tmp_path):
    path = write_csv(pd.DataFrame({"name": RISKY}), tmp_path / "a.csv")
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert all(v.startswith("'") for v in back["name"])


def test_xlsx_cells_are_text_never_formulas(tmp_path):
    path = write_sheets(tmp_path / "a.xlsx", {"s": pd.DataFrame({"name": RISKY,
                                                                 "n": [1.0] * 7})})
    ws = openpyxl.load_workbook(path)["s"]
    cells = [ws.cell(row=r, column=1) for r in range(2, 9)]
    assert all(c.data_type == "s" for c in cells)
    # xlsxwriter stores a carriage return as _x000D_, which Excel shows as one
    assert [c.value.replace("_x000D_", "\r") for c in cells] == ["'" + v for v in RISKY]
    assert ws.cell(row=2, column=2).number_format == "#,##0"


def test_xlsx_text_shaped_as_rich_text_stays_text(tmp_path):
    # xlsxwriter's constant-memory mode writes "<r>…</r>" into the XML unescaped: the
    # first name would read back blank, the second as "x"; both stay whole, as text.
    names = ["<r>broken</r>", "<r><t>x</t></r>", "<r>open", "a<r>b</r>"]
    for kind in (object, "string"):
        path = write_sheets(tmp_path / "r.xlsx", {"s": pd.DataFrame(
            {"name": pd.Series(names, dtype=kind), "n": [1, 2, 3, 4]})})
        ws = openpyxl.load_workbook(path)["s"]
        assert [ws.cell(row=r, column=1).value for r in range(2, 6)] == [
            "'<r>broken</r>", "'<r><t>x</t></r>", "<r>open", "a<r>b</r>"]
    # CSV has no such shape: only formulas are neutralised there
    assert neutralise_text(pd.DataFrame({"t": names}))["t"].tolist() == names


def test_whole_numbers_and_decimals_get_their_formats(tmp_path):
    frame = pd.DataFrame({"户数": [5054.0, 12.0], "面积": [1.5, 2.25]})
    ws = openpyxl.load_workbook(write_sheets(tmp_path / "b.xlsx", {"s": frame}))["s"]
    assert ws.cell(row=2, column=1).number_format == "#,##0"
    assert ws.cell(row=2, column=2).number_format == "#,##0.00"
    assert ws.freeze_panes == "A2"


def test_a_sheet_longer_than_excel_says_where_the_rest_is(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "EXCEL_ROWS", 10)
    frame = pd.DataFrame({"a": range(20)})
    ws = openpyxl.load_workbook(write_sheets(tmp_path / "c.xlsx", {"s": frame}))["s"]
    values = [r[0] for r in ws.iter_rows(values_only=True) if r[0] is not None]
    assert values[1:8] == list(range(7))
    assert "only the first 7 of 20 rows" in values[-1]


def test_neutralise_text_leaves_numbers_among_text_and_number_categories():
    frame = pd.DataFrame({"o": pd.Series([1, "=x", None, -2.0], dtype=object),
                          "c": pd.Categorical([1.5, -2.5, 1.5, 1.5])})
    out = neutralise_text(frame)
    assert out["o"].tolist() == [1, "'=x", None, -2.0]
    assert out["c"].tolist() == [1.5, -2.5, 1.5, 1.5]
