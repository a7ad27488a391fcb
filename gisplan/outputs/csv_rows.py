"""CSV text of a frame in array steps: the bytes ``DataFrame.to_csv`` writes, faster.

``pandas.DataFrame.to_csv`` turns every float into text with NumPy (some
0.6 s per million) and hands each row to Python's ``csv`` writer. For the
tables gisplan writes (numbers and text), :func:`write_frame` builds the same
text with Arrow: floats through Arrow's shortest round-trip formatting where
that gives Python's ``repr`` (checked per value; the others through NumPy as
pandas does), text quoted where the ``csv`` module would quote it, the rows
joined in C++. Where a column is of another kind, or a text holds a carriage
return, it returns False and the caller writes the file with pandas.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Rows rendered at a time (bounds the memory used).
CHUNK = 250_000


def _s(text: str) -> pa.Scalar:
    """``text`` as an Arrow scalar of the type every column here has."""
    return pa.scalar(text, pa.large_string())


def _csv_line(fields: list[str]) -> str:
    """One row as Python's ``csv`` writer writes it for pandas (minimal quoting, ``\\n``)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)
    return out.getvalue()


def _quoted_characters() -> str:
    """The characters that make the ``csv`` module quote a field (version-proof: asked)."""
    return "".join(c for c in ',"\n\r\t ;' if _csv_line([f"a{c}b", "x"]).startswith('"'))


QUOTE_IF = _quoted_characters()
_QUOTE_PATTERN = "[" + "".join("\\" + c if c in '"\\' else c for c in QUOTE_IF).replace(
    "\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + "]"


def _floats(v: np.ndarray) -> pa.Array:
    """Each float as pandas writes it (``repr``; NaN as empty)."""
    text = pa.array(v).cast(pa.large_string())
    magnitude = np.abs(v)
    plain = ((magnitude >= 1e-4) & (magnitude < 1e16)) | (v == 0)
    plain &= ~pc.match_substring(text, "e").to_numpy(zero_copy_only=False)
    whole = ~pc.match_substring(text, ".").to_numpy(zero_copy_only=False)
    text = pc.if_else(pa.array(plain & whole), pc.binary_join_element_wise(text, _s(".0"), _s("")),
                      text)
    other = ~plain & ~np.isnan(v)
    if other.any():  # tiny, huge or long numbers: NumPy, as pandas does
        text = pc.replace_with_mask(text, pa.array(other),
                                    pa.array(v[other].astype(str), type=pa.large_string()))
    return pc.if_else(pa.array(np.isnan(v)), _s(""), text)


def _quote(text: pa.Array) -> pa.Array | None:
    """Distinct texts quoted as the ``csv`` module quotes them; None if one holds a
    carriage return (pandas is asked to quote every field then)."""
    if pc.any(pc.match_substring(text, "\r")).as_py():
        return None
    need = pc.match_substring_regex(text, _QUOTE_PATTERN)
    quoted = pc.binary_join_element_wise(_s('"'), pc.replace_substring(text, '"', '""'), _s('"'),
                                         _s(""))
    return pc.if_else(need, quoted, text)


def _texts(s: pd.Series) -> pa.Array | None:
    """Text fields (missing as empty), each distinct text quoted once; None where a value
    is not text or holds a carriage return."""
    values = s.cat.categories if isinstance(s.dtype, pd.CategoricalDtype) else s
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in (
            "string", "empty"):
        return None  # numbers, bytes... among the texts: pandas writes those
    try:
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes = s.cat.codes.to_numpy()
            words = pa.array(s.cat.categories.to_numpy(dtype=object), type=pa.large_string(),
                             from_pandas=True)
            indices = pa.array(codes, mask=codes < 0)
        else:
            text = (pa.array(s.array, type=pa.large_string())
                    if isinstance(s.dtype, pd.StringDtype) else
                    pa.array(s.astype(object).to_numpy(), type=pa.large_string(),
                             from_pandas=True))
            if isinstance(text, pa.ChunkedArray):
                text = text.combine_chunks()
            encoded = pc.dictionary_encode(text)
            words, indices = encoded.dictionary, encoded.indices
    except (pa.ArrowException, TypeError, ValueError):
        return None  # numbers, dates... in a text column: pandas writes those
    words = _quote(words)
    return None if words is None else pc.fill_null(pc.take(words, indices), _s(""))


def _column(s: pd.Series) -> pa.Array | None:
    """One column's CSV fields, or None where :func:`write_frame` leaves it to pandas."""
    kind = s.dtype.kind if isinstance(s.dtype, np.dtype) else None
    if kind == "f" and s.dtype.itemsize == 8:
        return _floats(s.to_numpy())
    if kind in ("i", "u"):
        return pa.array(s.to_numpy()).cast(pa.large_string())
    if kind == "O" or isinstance(s.dtype, pd.StringDtype | pd.CategoricalDtype):
        return _texts(s)
    return None


def _lines(part: pd.DataFrame) -> pa.Buffer | None:
    """The CSV text of ``part``'s rows, or None where pandas must write them."""
    fields = [_column(part.iloc[:, j]) for j in range(part.shape[1])]
    if any(f is None for f in fields):
        return None
    lines = pc.binary_join_element_wise(*fields, _s(","))
    lines = pc.binary_join_element_wise(lines, _s(""), _s("\n"))  # each line + "\n" + ""
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[
        lines.offset:lines.offset + len(lines) + 1]
    return lines.buffers()[2][offsets[0]:offsets[-1]]


def write_frame(frame: pd.DataFrame, path: Path) -> bool:
    """Write ``frame`` as ``frame.to_csv(path, index=False, encoding="utf-8-sig")`` would,
    byte for byte.

    Parameters
    ----------
    frame : DataFrame
        Columns of numbers (64-bit floats, integers) and text (str, object holding
        text, categories of text); text already made formula-safe if it needs to be.
    path : Path

    Returns
    -------
    bool
        False where this cannot: one column, labels that are not text, values that
        are neither numbers nor text, a carriage return in a text. ``path`` may then
        hold part of the table: write it again with pandas.
    """
    if frame.shape[1] < 2 or not all(isinstance(c, str) for c in frame.columns):
        return False  # csv quotes a lone empty field: pandas' business
    if any(_column(frame.iloc[:0, j]) is None for j in range(frame.shape[1])):
        return False  # a kind of column pandas writes (dates, booleans...)
    with open(path, "wb") as fh:
        fh.write(_csv_line(list(frame.columns)).encode("utf-8-sig"))
        for start in range(0, len(frame), CHUNK):
            text = _lines(frame.iloc[start:start + CHUNK])
            if text is None:
                return False
            fh.write(text)
    return True
