"""Many worksheet rows at once: the XML xlsxwriter writes, built a column at a time.

xlsxwriter spends some 6 µs of Python on a cell (type dispatch, a cell
object, then its XML one attribute at a time); a city's workbook has
millions. :func:`write_rows` writes a frame's rows into a constant-memory
worksheet as ``ws.write_row(r, 0, row)`` for each row would, byte for byte,
but renders each distinct text once and joins the cells of a column with
Arrow operations. It writes into xlsxwriter's own constant-memory row file
and keeps its bookkeeping (dimensions, the last row written), which are
xlsxwriter's internals: it checks they are there, and tests compare its
output with xlsxwriter's, byte for byte. It only does what it can do
exactly: where a value, the worksheet or the installed xlsxwriter is not
what it expects, it writes nothing and returns False, and the caller writes
the rows one by one.
"""

from __future__ import annotations

import math
import re
from numbers import Number

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from xlsxwriter.utility import _preserve_whitespace

#: Rows joined into one string before it is written (bounds the memory used).
CHUNK = 50_000
#: Text xlsxwriter writes unchanged: no control character, no ``&<>``, no underscore (which
#: could start an ``_xHHHH_`` escape). Other text goes through xlsxwriter's own escaping.
_PLAIN = re.compile(r"[^\x00-\x08\x0b-\x1f\ufffe\uffff&<>_]*")
#: The same in Arrow's regular expressions (RE2), for a whole column of text at once.
_PLAIN_RE2 = r"^[^\x00-\x08\x0b-\x1f\x{fffe}\x{ffff}&<>_]+$"
#: The longest text a cell holds (UTF-16 units); longer text is left to xlsxwriter.
STRMAX = 32_767


def _s(text: str) -> pa.Scalar:
    """``text`` as an Arrow scalar of the type every array here has."""
    return pa.scalar(text, pa.large_string())


def _ready(ws) -> bool:
    """Whether ``ws`` is a constant-memory worksheet this module knows how to extend."""
    needed = ("fh", "previous_row", "table", "row_info", "comments", "_check_dimensions",
              "_write_single_row", "_escape_control_characters", "_escape_data",
              "default_row_height", "original_row_height", "excel_version")
    return (getattr(ws, "constant_memory", False) and all(hasattr(ws, a) for a in needed)
            and ws.default_row_height == ws.original_row_height and ws.excel_version != 2010)


def _text(ws, value: str) -> str | None:
    """The cell XML after ``r="A1"`` and its style for a text, as xlsxwriter writes it
    inline."""
    if len(value) > STRMAX // 2:
        return None  # may need truncating: xlsxwriter's business
    if value.startswith("<r>") and value.endswith("</r>"):
        return None  # xlsxwriter writes these as rich text
    if _PLAIN.fullmatch(value):  # nothing to escape (most text): skip xlsxwriter's four passes
        space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
        return f' t="inlineStr"><is><t{space}>{value}</t></is></c>'
    text = ws._escape_control_characters(value)
    space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    return f' t="inlineStr"><is><t{space}>{ws._escape_data(text)}</t></is></c>'


def _value(ws, value: object) -> str | None:
    """One value's cell XML after its style: "" for no cell, None where not handled."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return "" if value == "" else _text(ws, value)
    if isinstance(value, bool | np.bool_) or not isinstance(value, Number) or isinstance(
            value, complex):
        return None
    number = float(value)
    if math.isnan(number):
        return ""  # a missing value in a text column: a blank cell, not written
    return f"><v>{number:.16G}</v></c>" if math.isfinite(number) else None


def _column(ws, s: pd.Series) -> np.ndarray | None:
    """Each row's cell XML after its style for column ``s`` ("" for no cell); None if
    any value is not handled."""
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        return None
    if pd.api.types.is_numeric_dtype(s):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        if np.isinf(v).any():
            return None  # xlsxwriter refuses infinity: leave the error to it
        cells = np.array([f"><v>{x:.16G}</v></c>" for x in v.tolist()], dtype=object)
        cells[np.isnan(v)] = ""
        return cells
    values = s.astype(object)
    if s.dtype == object and not {bool, np.bool_}.isdisjoint(map(type, values)):
        return None  # True and 1 would share a code below
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    rendered = _rendered(ws, np.asarray(uniques, dtype=object))
    if rendered is None:
        return None
    return np.append(rendered, "")[codes]  # code -1 (missing): no cell


def _plain(uniques: np.ndarray) -> np.ndarray:
    """True for each text that xlsxwriter writes unchanged (:data:`_PLAIN`, not empty,
    not long enough to be cut), checked in one Arrow pass."""
    is_text = np.fromiter((type(u) is str for u in uniques), dtype=bool, count=len(uniques))
    plain = np.zeros(len(uniques), dtype=bool)
    if is_text.any():
        text = pa.array(uniques[is_text], type=pa.large_string())
        length = pc.utf8_length(text)
        ok = pc.and_(pc.match_substring_regex(text, _PLAIN_RE2),
                     pc.less_equal(length, STRMAX // 2))
        plain[is_text] = ok.to_numpy(zero_copy_only=False)
    return plain


def _rendered(ws, uniques: np.ndarray) -> np.ndarray | None:
    """:func:`_value` of each distinct value; the plain texts (nearly all) at once."""
    out = np.empty(len(uniques), dtype=object)
    plain = _plain(uniques)
    if plain.any():
        words = uniques[plain]
        space = [' xml:space="preserve"' if w[:1].isspace() or w[-1:].isspace() else ""
                 for w in words]
        out[plain] = pc.binary_join_element_wise(
            _s(' t="inlineStr"><is><t'), pa.array(space, type=pa.large_string()), _s(">"),
            pa.array(words, type=pa.large_string()), _s("</t></is></c>"), _s("")
        ).to_numpy(zero_copy_only=False)
    rest = [_value(ws, u) for u in uniques[~plain]]
    if any(r is None for r in rest):
        return None
    out[~plain] = rest
    return out


def _letters(j: int) -> str:
    """Column ``j`` (0-based) as Excel names it: A, B, ..., Z, AA, ..."""
    name = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        name = chr(65 + r) + name
    return name


def _styles(filled: list[np.ndarray], formats: list) -> list[str]:
    """Each column's style attribute; formats are numbered in the order xlsxwriter would
    number them (as their first cells go out, row by row)."""
    first = [(int(np.argmax(f)), j) for j, f in enumerate(filled)
             if formats[j] is not None and f.any()]
    for _, j in sorted(first):
        formats[j]._get_xf_index()
    return [f' s="{f._get_xf_index()}"' if f is not None else "" for f in formats]


def _rows_xml(cells: list[np.ndarray], filled: list[np.ndarray], numbers: np.ndarray,
              styles: list[str]) -> str:
    """``<row>`` elements of rows numbered ``numbers`` (1-based), joined in Arrow; rows
    without a cell are left out, as xlsxwriter leaves them."""
    rows = pa.array(numbers.astype(str), type=pa.large_string())
    pieces = [pc.binary_join_element_wise(  # null (no cell) where the value is none
        _s(f'<c r="{_letters(j)}'), rows, _s(f'"{styles[j]}'),
        pa.array(col, type=pa.large_string(), mask=~filled[j]), _s(""))
        for j, col in enumerate(cells)]
    xml = pc.binary_join_element_wise(_s('<row r="'), rows, _s('">'), *pieces, _s("</row>"),
                                      _s(""), null_handling="replace")
    xml = xml.filter(pa.array(np.logical_or.reduce(filled)))
    if isinstance(xml, pa.ChunkedArray):
        xml = xml.combine_chunks()
    offsets = np.frombuffer(xml.buffers()[1], dtype=np.int64)[xml.offset:xml.offset + len(xml) + 1]
    return xml.buffers()[2][offsets[0]:offsets[-1]].to_pybytes().decode("utf-8")


def write_rows(ws, frame: pd.DataFrame, first_row: int, formats: list) -> bool:
    """Write ``frame``'s rows from row ``first_row`` (0-based) into ``ws``, as
    ``ws.write_row(first_row + i, 0, row)`` for each row would, no cell format.

    Parameters
    ----------
    ws : xlsxwriter.worksheet.Worksheet
        A worksheet of a ``constant_memory`` workbook, with nothing written at or
        after ``first_row``.
    frame : DataFrame
        Values as written: numbers as numbers, text inline, missing values and
        empty text as no cell.
    first_row : int
    formats : list
        Each column's format (as given to ``set_column``; None for none), which
        xlsxwriter puts on the column's cells.

    Returns
    -------
    bool
        False, with nothing written, where a value or the worksheet is not one
        this function writes exactly (booleans, dates, infinities, very long text,
        another xlsxwriter); write the rows one by one then.
    """
    if frame.empty or not _ready(ws) or ws.row_info or ws.comments:
        return frame.empty
    cells = [_column(ws, frame.iloc[:, j]) for j in range(frame.shape[1])]
    if any(c is None for c in cells):
        return False
    filled = [c != "" for c in cells]
    rows = np.flatnonzero(np.logical_or.reduce(filled)) + first_row
    if not len(rows):
        return True
    ws._write_single_row(first_row)  # the rows before go out first
    styles = _styles(filled, list(formats))
    numbers = np.arange(first_row + 1, first_row + len(frame) + 1)
    for start in range(0, len(frame), CHUNK):
        part = slice(start, start + CHUNK)
        ws.fh.write(_rows_xml([c[part] for c in cells], [f[part] for f in filled],
                              numbers[part], styles))
    used = [j for j, f in enumerate(filled) if f.any()]
    ws._check_dimensions(int(rows[0]), used[0])
    ws._check_dimensions(int(rows[-1]), used[-1])
    ws.previous_row = int(rows[-1])
    return True
