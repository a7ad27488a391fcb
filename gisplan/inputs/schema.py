"""The layer contract: columns, types, allowed values and geometry types.

:func:`check_columns` coerces one layer's attribute columns to the contract's
types, recording every value that does not fit; it is vectorised, and only
the failing rows are visited to word their messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from gisplan.inputs.problems import Report
from gisplan.plan.access import load_service_standards
from gisplan.plan.catalogue import load_networks

Kind = Literal["id", "text", "int", "number", "enum", "bool"]
#: What a "bool" column accepts (text compared without case or surrounding blanks).
TRUE_WORDS = ("true", "yes", "y", "1", "是")
FALSE_WORDS = ("false", "no", "n", "0", "否")


@dataclass(frozen=True)
class Column:
    """One contract column."""

    name: str
    kind: Kind
    required: bool = True
    nullable: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    #: The largest plausible value: beyond it a figure is a typo or a unit error.
    maximum: float | None = None

    def expected(self) -> str:
        if self.kind == "enum":
            return "one of " + ", ".join(f'"{c}"' for c in self.choices)
        words = {"id": "a non-empty text id", "text": "text", "int": "a whole number",
                 "number": "a number", "bool": "true or false"}[self.kind]
        if self.minimum is not None:
            words += f" >= {self.minimum:g}"
        if self.maximum is not None:
            words += f" and <= {self.maximum:,.0f}"
        return words


@dataclass(frozen=True)
class Schema:
    """One layer's contract."""

    id: str | None
    geometry: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)


POLYGONS = ("Polygon", "MultiPolygon")
LINES = ("LineString", "MultiLineString")
POINTS = ("Point", "MultiPoint")

SCHEMAS: dict[str, Schema] = {
    "communities": Schema("community_id", POLYGONS, (
        Column("community_id", "id"),
        Column("name", "text"),
        Column("street", "text"),
        Column("renovation_type", "enum", choices=("basic", "upgrade")),
        # gisplan select: a year fixed by the planner, and the weight of --objective priority
        Column("year", "int", required=False, nullable=True, minimum=1900, maximum=2199),
        Column("priority", "number", required=False, nullable=True, minimum=0, maximum=1e9),
    )),
    "buildings": Schema("building_id", POLYGONS, (
        Column("building_id", "id"),
        Column("floors", "int", minimum=1, maximum=200),
        Column("households", "int", minimum=0, maximum=100_000),
        Column("units", "int", minimum=1, maximum=10_000),
        Column("roof", "enum", choices=("flat", "pitched")),
        Column("floor_area_m2", "number", required=False, nullable=True, minimum=0,
               maximum=10_000_000),
        Column("community_id", "id", required=False, nullable=True),
    )),
    "pipes": Schema("pipe_id", LINES, (
        Column("pipe_id", "id"),
        Column("network", "enum", choices=tuple(load_networks().index)),  # data/networks.csv
        Column("diameter_mm", "int", nullable=True, minimum=1, maximum=10_000),
        Column("action", "enum", choices=("replace", "new", "keep")),
    )),
    "facilities": Schema("facility_id", POINTS + POLYGONS, (
        Column("facility_id", "id"),
        Column("item", "text"),
        Column("quantity", "number", required=False, nullable=True, minimum=0,
               maximum=1e12),
    )),
    "structures": Schema("structure_id", POLYGONS, (
        Column("structure_id", "id"),
        Column("kind", "text"),
        Column("status", "enum", choices=("identified", "confirmed", "demolished")),
    )),
    "barriers": Schema("barrier_id", LINES + POLYGONS, (
        Column("barrier_id", "id"),
        Column("kind", "text"),
    )),
    # The walking-access layers (gisplan.analysis.access); all three optional.
    "roads": Schema("road_id", LINES, (
        Column("road_id", "id", required=False, nullable=True),
        Column("walkable", "bool", required=False, nullable=True),  # missing: true
    )),
    "services": Schema("service_id", POINTS + POLYGONS, (
        Column("service_id", "id"),
        Column("kind", "enum", choices=tuple(load_service_standards().index)),
    )),
    "sites": Schema("site_id", POINTS + POLYGONS, (
        Column("site_id", "id"),
        Column("kinds", "text", required=False, nullable=True),  # "a;b", empty: any kind
    )),
    "quantities": Schema(None, (), (
        Column("target_id", "id"),
        Column("item", "text"),
        Column("quantity", "number", minimum=0, maximum=1e12),
    )),
    "stated": Schema(None, (), (
        Column("item", "text"),
        Column("quantity", "number", minimum=0, maximum=1e12),
    )),
}


class Locator:
    """How to name a row in a message: its id, else ``row N`` (1-based feature order).

    A table without ids (a CSV file) is located by ``line N`` as a spreadsheet
    or text editor shows it: the header is line 1, the first record line 2.
    Labels are made only for the rows asked about: ``where[label]`` by index
    label, ``where.iloc[position]`` by position.

    Examples
    --------
    >>> where = Locator(pd.DataFrame({"b_id": ["b1", None]}), "b_id")
    >>> where[0], where.iloc[1]
    ('b1', 'row 2')
    """

    def __init__(self, frame: pd.DataFrame, id_column: str | None) -> None:
        self._index = frame.index
        self._ids = frame[id_column] if id_column is not None and id_column in frame else None
        self._csv = id_column is None
        self.iloc = _Positional(self)

    def at_position(self, pos: int) -> str:
        if self._csv:
            return f"line {pos + 2}"
        if self._ids is not None:
            value = self._ids.iat[pos]
            if not pd.isna(value) and str(value).strip():
                return str(value)
        return f"row {pos + 1}"

    def __getitem__(self, label: object) -> str:
        return self.at_position(self._index.get_loc(label))

    def labels(self, positions: np.ndarray) -> list[str]:
        """:meth:`at_position` for many rows at once (takes the ids in one step).

        Examples
        --------
        >>> Locator(pd.DataFrame({"b_id": ["b1", None, " "]}), "b_id").labels([2, 0])
        ['row 3', 'b1']
        """
        positions = np.asarray(positions, dtype=np.intp)
        if self._csv or self._ids is None:
            return [self.at_position(p) for p in positions]
        ids = self._ids.iloc[positions].reset_index(drop=True)
        text = ids.astype(str)  # str(v) of each id, missing kept missing
        given = (ids.notna() & (text.str.strip() != "")).to_numpy(dtype=bool)
        out = text.to_numpy(dtype=object)
        out[~given] = [f"row {p + 1}" for p in positions[~given]]
        return out.tolist()


def locate(frame: pd.DataFrame, id_column: str | None) -> Locator:
    """A :class:`Locator` for ``frame``'s rows."""
    return Locator(frame, id_column)


class _Positional:
    def __init__(self, parent: Locator) -> None:
        self._parent = parent

    def __getitem__(self, pos: int) -> str:
        return self._parent.at_position(int(pos))


def as_text(values: pd.Series, *, blank_is_missing: bool = False) -> pd.Series:
    """Ids and text as stripped strings (object dtype, None where missing); whole-number
    floats (GeoJSON numbers) lose their ``.0``; with ``blank_is_missing`` blanks are None.

    Examples
    --------
    >>> as_text(pd.Series([" a ", 3.0, None, ""], dtype=object), blank_is_missing=True).tolist()
    ['a', '3', None, None]
    """
    present = values.notna()
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        num = values.astype(float)
        whole = np.isclose(num.fillna(0) % 1, 0)
        text = num.astype(str).where(~whole, num.fillna(0).astype("int64").astype(str))
    elif isinstance(values.dtype, pd.StringDtype):
        text = values.str.strip()
    else:  # object: mixed values, e.g. numbers and text in one GeoJSON property
        num = pd.to_numeric(values, errors="coerce")
        is_str = values.map(lambda v: isinstance(v, str), na_action="ignore")
        whole = num.notna() & np.isclose(num.fillna(0) % 1, 0) & ~is_str.fillna(False).astype(
            bool)
        text = values.map(lambda v: str(v).strip(), na_action="ignore").astype(object)
        text[whole] = num[whole].astype("int64").astype(str)
    text = text.astype(object).where(present, None)
    return text.where(text != "", None) if blank_is_missing else text


def as_bool(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Booleans (nullable ``boolean`` dtype) from true/false, 1/0, yes/no, 是/否 in any
    case, and where a value is none of these.

    Examples
    --------
    >>> v, bad = as_bool(pd.Series([True, "FALSE", 1.0, None, "maybe"], dtype=object))
    >>> v.tolist(), bad.tolist()
    ([True, False, True, <NA>, <NA>], [False, False, False, False, True])
    """
    def word(v: object) -> str:
        if isinstance(v, bool | np.bool_):
            return "true" if v else "false"
        if isinstance(v, int | float | np.number) and float(v) in (0.0, 1.0):
            return str(int(v))
        return str(v).strip().lower()

    values = values.astype(object)
    text = values.map(word, na_action="ignore")
    truth = pd.Series(pd.NA, index=values.index, dtype="boolean")
    truth[text.isin(TRUE_WORDS).to_numpy()] = True
    truth[text.isin(FALSE_WORDS).to_numpy()] = False
    return truth, values.notna() & truth.isna()


def _present(values: pd.Series) -> pd.Series:
    """True where a value is given: not missing and, for text, not blank."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return values.notna()  # numbers cannot be blank; no need to render them as text
    text = values if isinstance(values.dtype, pd.StringDtype) else values.astype("string")
    return values.notna() & (text.str.strip() != "").fillna(False)


def check_columns(frame: pd.DataFrame, layer: str, *, file_names: dict[str, str],
                  report: Report) -> pd.DataFrame:
    """Coerce ``frame``'s contract columns to their types; record each misfit.

    Parameters
    ----------
    frame : DataFrame
        The layer with columns already renamed to the contract.
    layer : str
        Layer name in ``SCHEMAS``.
    file_names : dict, keyword-only
        Contract column -> the column's name in the user's file, for messages.
    report : Report, keyword-only
        Problems are added here.

    Returns
    -------
    DataFrame
        A copy with typed columns; bad values become missing.
    """
    schema = SCHEMAS[layer]
    out = frame.copy()
    where = locate(frame, schema.id)

    def shown(col: Column) -> str:
        name = file_names.get(col.name, col.name)
        return name if name == col.name else f"{name} ({col.name})"

    for col in schema.columns:
        if col.name not in out:
            if col.required:
                report.add("error", layer, "missing_column",
                           f"column '{shown(col)}' is missing; expected {col.expected()}",
                           field=file_names.get(col.name, col.name))
            continue
        raw = out[col.name]
        present = _present(raw)
        bad = pd.Series(False, index=out.index)
        if col.kind in ("int", "number"):
            values = pd.to_numeric(raw.where(present), errors="coerce")
            bad |= present & ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
            if col.kind == "int":
                bad |= values.notna() & ~np.isclose(values.fillna(0) % 1, 0)
            if col.minimum is not None:
                bad |= values < col.minimum
            if col.maximum is not None:
                bad |= values > col.maximum
            values = values.where(~bad)
            out[col.name] = values.astype("Int64") if col.kind == "int" else values.astype(float)
        elif col.kind == "bool":
            values, wrong = as_bool(raw.where(present))
            bad |= present & wrong
            out[col.name] = values
        else:
            values = as_text(raw.where(present))
            if col.kind == "enum":
                bad |= present & ~values.isin(col.choices)
                values = values.where(~bad, None)
            out[col.name] = values
        for idx in bad[bad].index:
            value = raw[idx].item() if isinstance(raw[idx], np.generic) else raw[idx]
            report.add("error", layer, "bad_value",
                       f"value {value!r} is not {col.expected()}",
                       feature_id=where[idx], field=file_names.get(col.name, col.name))
        if not col.nullable:
            missing = ~present
            for idx in missing[missing].index:
                report.add("error", layer, "missing_value", f"empty; expected {col.expected()}",
                           feature_id=where[idx], field=file_names.get(col.name, col.name))

    if schema.id is not None and schema.id in out:
        for value, n in duplicate_ids(out[schema.id]).items():
            report.add("error", layer, "duplicate_id",
                       f"id '{value}' is used by {n} features; ids must be unique",
                       feature_id=str(value), field=file_names.get(schema.id, schema.id))
    return out


def duplicate_ids(ids: pd.Series) -> pd.Series:
    """How many times each id used more than once occurs, in order of first use.

    Examples
    --------
    >>> duplicate_ids(pd.Series(["b", "a", "b", None, None, "a", "c"])).to_dict()
    {'b': 2, 'a': 2}
    """
    ids = ids.dropna()
    if ids.is_unique:  # one hash pass; the common case
        return pd.Series(dtype="int64")
    counts = ids.value_counts(sort=False)  # counted once, not once per duplicated value
    return counts[counts > 1]
