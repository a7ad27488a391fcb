"""Sums by keys, groups in order of first appearance, on integer codes.

The same as ``frame.groupby(keys, sort=False)[columns].sum()`` (a row with a
missing key is left out, a missing value counts as 0), built from
:func:`pandas.factorize` and :func:`numpy.bincount`. The scope roll-up and
costing group tables of ~730,000 rows at 10^6 buildings several times over;
keys they already hold as integer codes are not hashed again, and no index
is built for results that are turned back into columns at once.

Examples
--------
>>> import numpy as np
>>> first, sums = sum_by([np.array(["b", "a", "b", None], dtype=object)],
...                      {"x": np.array([1.0, 2.0, 3.0, 4.0])})
>>> first.tolist(), sums["x"].tolist()
([0, 1], [4.0, 2.0])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray


def _codes(key: ArrayLike) -> tuple[NDArray[np.int64], int]:
    """Integer codes of ``key`` (-1 where missing) and how many distinct values it has.

    An integer array is taken as codes already, negative meaning missing; so are the
    codes of a categorical.
    """
    key = np.asarray(key) if not isinstance(key, pd.Series | pd.Index) else key
    if isinstance(key.dtype, pd.CategoricalDtype):  # coded already
        codes = np.asarray(key.cat.codes if isinstance(key, pd.Series) else key.codes)
        return codes.astype(np.int64), len(key.dtype.categories)
    if isinstance(key, np.ndarray) and np.issubdtype(key.dtype, np.integer):
        codes = key.astype(np.int64, copy=False)
        return np.where(codes < 0, -1, codes), int(codes.max(initial=-1)) + 1
    codes, uniques = pd.factorize(key)
    return codes.astype(np.int64, copy=False), len(uniques)


def group_of(keys: Sequence[ArrayLike]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Group number of each row (-1 where any key is missing) and each group's first row.

    Groups are numbered in order of first appearance, as ``groupby(sort=False)``.
    """
    n = len(keys[0])
    combined = np.zeros(n, dtype=np.int64)
    valid = np.ones(n, dtype=bool)
    for key in keys:
        codes, size = _codes(key)
        valid &= codes >= 0
        combined = combined * (size + 1) + codes
    rows = np.flatnonzero(valid)
    groups, _ = pd.factorize(combined[rows])
    group = np.full(n, -1, dtype=np.int64)
    group[rows] = groups
    # Groups are numbered as they first appear: a row starts a group iff its number
    # exceeds every number before it (no sort needed).
    seen = np.maximum.accumulate(np.concatenate([[-1], groups[:-1]])) if len(groups) else groups
    first = rows[groups > seen]
    return group, first


def sum_by(keys: Sequence[ArrayLike], values: Mapping[str, ArrayLike]
           ) -> tuple[NDArray[np.int64], dict[str, NDArray[np.float64]]]:
    """Sum each of ``values`` by the combination of ``keys``.

    Parameters
    ----------
    keys : sequence of array-like
        Equal-length key columns (text, numbers, or integer codes with -1 for missing).
    values : mapping of str to array-like
        Columns to sum, as long as the keys.

    Returns
    -------
    first : ndarray of int
        Position of each group's first row (take the key columns from there).
    sums : dict of str to ndarray
        Each column's sum per group, in the order of ``first``.
    """
    group, first = group_of(keys)
    return first, sum_in_groups(group, values)


def sum_in_groups(group: NDArray[np.int64], values: Mapping[str, ArrayLike]
                  ) -> dict[str, NDArray[np.float64]]:
    """Sum each of ``values`` per group number (0, 1, ...; -1 leaves the row out).

    pandas' group-by sums integer group numbers fast and, unlike ``np.bincount``,
    with compensated (Kahan) summation: 386,400 m² stays 386400.0, not 386399.9999999999.
    """
    inside = group >= 0
    frame = pd.DataFrame({name: np.asarray(v, dtype=float)[inside]
                          for name, v in values.items()})
    sums = frame.groupby(group[inside], sort=True).sum()
    return {name: sums[name].to_numpy() for name in values}


def as_frame(columns: Mapping[str, ArrayLike]) -> pd.DataFrame:
    """A DataFrame of ``columns`` with object arrays kept as they are.

    pandas >= 3 turns an object array of text into Arrow strings on the way
    in, and ``to_numpy(dtype=object)`` turns it back: ~30 ms per 700,000 rows
    each way, paid at every step of the roll-up. Tables between steps keep
    object columns; only the finished tables are converted (by whoever
    writes them).
    """
    return pd.DataFrame({name: pd.Series(v, dtype=object, copy=False)
                         if isinstance(v, np.ndarray) and v.dtype == object else v
                         for name, v in columns.items()})


#: pandas' own dtype for text (Arrow-backed ``str`` from pandas 3; object before).
TEXT = pd.Series([], dtype=str).dtype


def text_column(codes: NDArray[np.integer], texts: ArrayLike) -> pd.api.extensions.ExtensionArray:
    """``texts[codes]`` as pandas' text dtype, taken in Arrow.

    Converting 733,646 Python strings to Arrow costs ~30 ms; taking from the few
    distinct texts in Arrow costs ~3 ms.

    Examples
    --------
    >>> list(text_column(np.array([1, 0, 1]), ["a", "b"]))
    ['b', 'a', 'b']
    """
    texts = np.asarray(texts, dtype=object)
    if isinstance(TEXT, pd.StringDtype) and TEXT.storage == "pyarrow":
        taken = pa.array(texts, pa.large_string()).take(pa.array(np.asarray(codes)))
        return pd.array(taken, dtype=TEXT)
    return pd.array(texts[codes], dtype=TEXT)

