"""Tables for people: CSV files and formatted Excel workbooks, safe to open.

CSV files are UTF-8 with a byte-order mark so that Excel opens the Chinese
text correctly; workbooks are streamed with a bold frozen header, number
formats by column and print setup. Text that a spreadsheet would read as a
formula is neutralised in both.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gisplan.plan.catalogue import labels

if TYPE_CHECKING:
    from gisplan.analysis.programme import ProgrammeResult

#: Characters that make Excel, WPS or LibreOffice read a cell as a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(frame: pd.DataFrame, *, xlsx: bool = False) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot be read as formulas.

    A text cell starting with ``= + - @``, a tab or a carriage return gets a
    leading apostrophe, as OWASP recommends for CSV injection; numbers and
    other text are unchanged. With ``xlsx``, so does text of the form
    ``<r>…</r>``, which xlsxwriter's constant-memory mode would put into the
    sheet's XML unescaped as rich text (a name could then rewrite or blank
    its cell).

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
            risky_cats = _risky(cats, xlsx=xlsx)
            if risky_cats.any():
                out = frame.copy() if out is None else out
                out[col] = s.cat.rename_categories(
                    cats.where(~risky_cats, "'" + cats.astype(str)).to_numpy())
            continue
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        risky = _risky(s, xlsx=xlsx)
        if risky.any():
            out = frame.copy() if out is None else out
            fixed = s.astype(object).to_numpy(copy=True)
            fixed[risky] = ["'" + v for v in fixed[risky]]
            out[col] = fixed
    return frame if out is None else out


def _risky(values: pd.Series, *, xlsx: bool = False) -> np.ndarray:
    """True where a value is text starting with a :data:`FORMULA_START` character (or,
    with ``xlsx``, shaped as xlsxwriter's inline rich text ``<r>…</r>``).

    Arrow-backed text is checked in one Arrow pass; other columns once per distinct
    value (a column of ids and names has far fewer names than rows)."""
    if isinstance(values.dtype, pd.StringDtype):
        out = values.str.startswith(FORMULA_START, na=False)
        if xlsx:
            out |= values.str.startswith("<r>", na=False) & values.str.endswith("</r>", na=False)
        return out.to_numpy(dtype=bool)
    codes, uniques = pd.factorize(values)
    flags = [isinstance(u, str) and (u.startswith(FORMULA_START) or (
        xlsx and u.startswith("<r>") and u.endswith("</r>"))) for u in uniques]
    return np.array([*flags, False], dtype=bool)[codes]  # code -1 (missing): not risky


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as UTF-8 CSV with a byte-order mark (Excel shows the Chinese),
    text cells neutralised against formula injection (:func:`neutralise_text`)."""
    from gisplan.outputs.csv_rows import write_frame

    safe = neutralise_text(frame)
    if write_frame(safe, path):  # the bytes to_csv writes, built in Arrow
        return path
    # A bare carriage return inside a cell is not quoted by Python's csv writer, and a
    # spreadsheet would start a new row there (a row that could begin with "="): quote all.
    carriage = False
    for c in safe.columns:
        if pd.api.types.is_object_dtype(safe[c]) or pd.api.types.is_string_dtype(safe[c]):
            try:
                carriage |= bool(safe[c].str.contains("\r", regex=False, na=False).any())
            except AttributeError:  # no text in this column
                pass
    safe.to_csv(path, index=False, encoding="utf-8-sig",
                quoting=csv.QUOTE_ALL if carriage else csv.QUOTE_MINIMAL)
    return path


def write_warnings(problems: list, path: Path) -> Path:
    """Every warning of the run, one a row: ``severity``, ``layer``, ``check``,
    ``feature_id``, ``field``, ``message`` (formula-safe CSV). ``problems`` holds
    :class:`~gisplan.inputs.problems.Problem` objects and frames of those columns
    (:meth:`~gisplan.inputs.problems.Report.table`), in order."""
    columns = ["severity", "layer", "check", "feature_id", "field", "message"]
    parts: list[pd.DataFrame] = []
    rows: list[tuple] = []
    for item in [*problems, None]:
        if isinstance(item, pd.DataFrame) or item is None:
            if rows:
                parts.append(pd.DataFrame(rows, columns=columns))
                rows = []
            if item is not None and len(item):
                parts.append(item[columns])
        else:
            rows.append((item.severity, item.layer, item.check, item.feature_id, item.field,
                         item.message))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    return write_csv(frame, path)


#: Rows an Excel sheet holds, header included.
EXCEL_ROWS = 1_048_576


def _cells(frame: pd.DataFrame) -> list[list[object]]:
    """Rows of plain Python values, missing values as None (blank cells)."""
    values = frame.astype(object).where(frame.notna(), None)
    return values.to_numpy().tolist()


def _formats(book) -> tuple[dict, dict, object]:
    """Number formats by kind (``int``, ``dec``, ``pct``), their bold twins, and bold."""
    formats = {"int": book.add_format({"num_format": "#,##0"}),
               "dec": book.add_format({"num_format": "#,##0.00"}),
               "pct": book.add_format({"num_format": "0.00%"})}
    bold_formats = {k: book.add_format({"num_format": f.num_format, "bold": True})
                    for k, f in formats.items()}
    return formats, bold_formats, book.add_format({"bold": True})


def _kinds(frame: pd.DataFrame, percent: tuple[str, ...]) -> list[str | None]:
    """Each column's number kind: ``int`` (whole numbers), ``dec``, ``pct`` or None (text)."""
    kinds: list[str | None] = []
    for c in frame.columns:
        s = frame[c]
        kind = None
        if pd.api.types.is_float_dtype(s) or pd.api.types.is_integer_dtype(s):
            v = s.to_numpy(dtype=float, na_value=np.nan)
            kind = "int" if np.all(np.isnan(v) | (v == np.round(v))) else "dec"
            if str(c) in percent:
                kind = "pct"
        kinds.append(kind)
    return kinds


def _setup(ws, name: str, frame: pd.DataFrame, formats: list, frozen: tuple[int, int],
           print_setup: bool) -> None:
    """Column widths and formats, frozen panes and (``print_setup``) A4 landscape printing."""
    for idx, c in enumerate(frame.columns):
        # CJK characters are about twice as wide as Latin ones.
        width = max([len(str(c))] + [len(str(v)) for v in frame[c].head(200)])
        ws.set_column(idx, idx, min(max(width * 1.6, 8), 40), formats[idx])
    ws.freeze_panes(*frozen)
    if print_setup:
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.repeat_rows(0)
        ws.fit_to_pages(1, 0)
        ws.set_header(f"&C{name}")
        ws.set_footer("&C&P / &N")


def _write_body(ws, frame: pd.DataFrame, formats: list, bold_formats: list) -> None:
    """The rows of ``frame`` under the header; a last row that is a total in bold.

    The rows go out in bulk (:func:`gisplan.outputs.xlsx_rows.write_rows`), or one by one
    where that cannot write them exactly."""
    from gisplan.outputs.xlsx_rows import write_rows

    total = labels()["col.total"]
    bold_last = len(frame) > 1 and str(frame.iat[-1, 0]).startswith(total)
    body = frame.iloc[:-1] if bold_last else frame
    if not write_rows(ws, body, 1, formats):
        for r, row in enumerate(_cells(body)):
            ws.write_row(r + 1, 0, row)
    if bold_last:
        for j, v in enumerate(_cells(frame.iloc[-1:])[0]):
            ws.write(len(frame), j, v, bold_formats[j])


def write_sheets(path: Path, sheets: dict[str, pd.DataFrame], *, freeze: str = "A2",
                 notes: dict[str, str] | None = None, percent: tuple[str, ...] = (),
                 print_setup: bool = True) -> Path:
    """Write ``sheets`` into one workbook, streaming (xlsxwriter, constant memory).

    Bold frozen header, sized columns, whole-number columns as ``#,##0`` and
    decimals as ``#,##0.00``, a bold totals row where there is one. Text is
    never written as a formula and is neutralised against formula injection;
    a sheet longer than Excel holds stops there with a line saying so, and
    ``notes`` add a line under a sheet (e.g. where the full table is). Columns
    named in ``percent`` show as percentages. With ``print_setup`` every sheet
    prints on A4 landscape, fitted to the page width, the header repeated.
    """
    import xlsxwriter

    notes = dict(notes or {})
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_urls": False,
                                           "strings_to_numbers": False})
    formats, bold_formats, bold = _formats(book)
    col = "".join(ch for ch in freeze if ch.isalpha())
    frozen = (int(freeze[len(col):]) - 1, sum((ord(c) - 64) * 26 ** i
                                              for i, c in enumerate(reversed(col))) - 1)
    for name, frame in sheets.items():
        ws = book.add_worksheet(name[:31])
        frame = neutralise_text(frame, xlsx=True)
        fits = min(len(frame), EXCEL_ROWS - 3)
        if fits < len(frame):
            notes[name] = (f"仅列出前 {fits:,} 行 only the first {fits:,} of {len(frame):,} rows; "
                           + notes.get(name, "the full table is in the CSV file"))
        kinds = _kinds(frame, percent)
        _setup(ws, name, frame, [formats[k] if k else None for k in kinds], frozen, print_setup)
        ws.write_row(0, 0, [str(c) for c in frame.columns], bold)
        _write_body(ws, frame.iloc[:fits], [formats[k] if k else None for k in kinds],
                    [bold_formats[k] if k else bold for k in kinds])
        if name in notes:
            ws.write(fits + 2, 0, notes[name])
    book.close()
    return path


def _iso_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its date columns as ``YYYY-MM-DD`` text (empty where missing)."""
    dates = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    return frame.assign(**{c: frame[c].dt.strftime("%Y-%m-%d").astype(object)
                           .where(frame[c].notna(), None) for c in dates})


def write_programme_tables(result: ProgrammeResult, folder: Path) -> list[Path]:
    """Write ``investment.csv`` (one row per project, ``unallocated`` and ``all``; yuan to
    the fen) and ``schedule.csv`` (one row per project and milestone, dates ``YYYY-MM-DD``)."""
    inv = result.investment
    money = {c: 2 for c in inv.columns if c.endswith("_cny")}
    inv = inv.round({**money, "relative_difference": 6})
    return [write_csv(inv, folder / "investment.csv"),
            write_csv(_iso_dates(result.schedule), folder / "schedule.csv")]
