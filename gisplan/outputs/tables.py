"""Scope tables for people: CSV files and one formatted Excel workbook.

CSV files are UTF-8 with a byte-order mark so that Excel opens the Chinese
text correctly; the workbook has one sheet per level (areas as rows, items as
columns with Chinese headers and units, a totals row, frozen header).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from gisplan.analysis.scope import LEVELS, Scope
from gisplan.plan.catalogue import labels

#: Characters that make Excel, WPS or LibreOffice read a cell as a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot be read as formulas.

    A text cell starting with ``= + - @``, a tab or a carriage return gets a
    leading apostrophe, as OWASP recommends for CSV injection; numbers and
    other text are unchanged.

    Examples
    --------
    >>> neutralise_text(pd.DataFrame({"name": ["=1+1", "永新社区"], "n": [-1, 2]}))
        name  n
    0  '=1+1 -1
    1   永新社区  2
    """
    out = None
    for col in frame.columns:
        s = frame[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = s.cat.categories.to_series().astype(object)
            risky_cats = cats.str.startswith(FORMULA_START, na=False)
            if risky_cats.any():
                out = frame.copy() if out is None else out
                out[col] = s.cat.rename_categories(
                    cats.where(~risky_cats, "'" + cats.astype(str)).to_numpy())
            continue
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        risky = s.str.startswith(FORMULA_START, na=False).to_numpy(dtype=bool)
        if risky.any():
            out = frame.copy() if out is None else out
            fixed = s.astype(object).to_numpy(copy=True)
            fixed[risky] = ["'" + v for v in fixed[risky]]
            out[col] = fixed
    return frame if out is None else out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as UTF-8 CSV with a byte-order mark (Excel shows the Chinese),
    text cells neutralised against formula injection (:func:`neutralise_text`)."""
    neutralise_text(frame).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def write_warnings(problems: list, path: Path) -> Path:
    """Every warning of the run, one a row: ``severity``, ``layer``, ``check``,
    ``feature_id``, ``field``, ``message`` (formula-safe CSV)."""
    frame = pd.DataFrame([(p.severity, p.layer, p.check, p.feature_id, p.field, p.message)
                          for p in problems],
                         columns=["severity", "layer", "check", "feature_id", "field", "message"])
    return write_csv(frame, path)


SHEETS = {"community": "社区 community", "unassigned": "未归属 unassigned",
          "street": "街道 street", "zone": "连片片区 zone", "city": "全市 city"}


def write_scope_tables(scope: Scope, folder: Path) -> list[Path]:
    """Write ``scope.csv``, ``scope.xlsx``, ``reconciliation.csv``, ``funding.csv``,
    ``scenarios.csv`` and ``allocation.csv`` into ``folder``; return their paths."""
    written = []
    frames = {"scope": scope.table, "funding": scope.funding, "scenarios": scope.scenarios,
              "allocation": scope.allocation}
    if scope.reconciliation is not None:
        frames["reconciliation"] = scope.reconciliation
    for name, frame in frames.items():
        path = folder / f"{name}.csv"
        written.append(write_csv(frame, path))
    path = folder / "scope.xlsx"
    write_workbook(scope, path)
    written.append(path)
    return written


def _level_sheet(table: pd.DataFrame, level: str) -> pd.DataFrame:
    rows = table[table["level"] == level]
    header = {item: f"{zh}（{unit}）" for item, zh, unit in
              rows[["item", "name_zh", "unit"]].drop_duplicates("item").itertuples(index=False)}
    wide = rows.pivot_table(index=["area_id", "area_name"], columns="item", values="quantity",
                            aggfunc="sum", sort=False)
    wide = wide.reindex(columns=list(header))
    wide["cost_cny"] = rows.groupby(["area_id", "area_name"], sort=False)["cost_cny"].sum()
    wide = wide.reset_index()
    zh = labels()
    total = {"area_id": zh["col.total"], "area_name": "", **wide.drop(
        columns=["area_id", "area_name"]).sum(numeric_only=True).to_dict()}
    if len(wide) > 1:
        wide = pd.concat([wide, pd.DataFrame([total])], ignore_index=True)
    return wide.rename(columns={**header, "area_id": zh["col.area_id"],
                                "area_name": zh["col.area_name"],
                                "cost_cny": zh["col.cost_cny"]})


def _zh_columns(frame: pd.DataFrame) -> pd.DataFrame:
    zh = labels()
    return frame.rename(columns={c: f"{zh[f'col.{c}']} {c}" for c in frame.columns
                                 if f"col.{c}" in zh})


def write_workbook(scope: Scope, path: Path) -> None:
    """Write the formatted ``scope.xlsx``."""
    sheets: dict[str, pd.DataFrame] = {}
    for level in LEVELS:
        if (scope.table["level"] == level).any():
            sheets[SHEETS[level]] = _level_sheet(scope.table, level)
    if scope.reconciliation is not None:
        sheets["核对 reconciliation"] = _zh_columns(scope.reconciliation)
    sheets["资金来源 funding"] = _zh_columns(scope.funding)
    sheets["改造类型 scenarios"] = scope.scenarios
    sheets["因素法 allocation"] = scope.allocation
    sheets["明细 long"] = _zh_columns(scope.table)
    write_sheets(path, sheets, freeze="C2")


def write_sheets(path: Path, sheets: dict[str, pd.DataFrame], *, freeze: str = "A2") -> Path:
    """Write ``sheets`` into one workbook: bold frozen header, sized columns,
    thousands separators on decimals, and a bold totals row where there is one."""
    total = labels()["col.total"]
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            ws = writer.sheets[name]
            ws.freeze_panes = freeze
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for idx, col in enumerate(frame.columns, start=1):
                # CJK characters are about twice as wide as Latin ones.
                width = max([len(str(col))] + [len(str(v)) for v in frame[col].head(200)])
                ws.column_dimensions[get_column_letter(idx)].width = min(max(width * 1.6, 8), 40)
                if pd.api.types.is_float_dtype(frame[col]):
                    for (cell,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                        cell.number_format = "#,##0.00"
            if len(frame) > 1 and str(frame.iloc[-1, 0]) == total:
                for cell in ws[ws.max_row]:
                    cell.font = Font(bold=True)
    return path
