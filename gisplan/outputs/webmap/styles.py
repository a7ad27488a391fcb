"""Map styles and labels, read from ``gisplan/plan/data/map_styles.csv`` and ``map_labels.csv``.

Colours, class ramps, pipe widths and every Chinese text the map shows are
data; this module only reads them and computes class breaks.

Examples
--------
>>> styles()["renovation_type"]["basic"]["value"]
'#fdd835'
>>> map_labels()["head.households"]
'户数'
>>> quantile_breaks([1, 2, 3, 4, 100], classes=5)
[1.8, 2.6, 3.4, 23.2]
>>> facility_kind(["bench", "sewer_manhole", "no_such_item"])
['leisure', 'drainage', 'other']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

import numpy as np
import pandas as pd

from gisplan.plan.catalogue import labels, load_networks, read_data


@cache
def styles() -> dict[str, dict[str, dict[str, str]]]:
    """``{style: {key: {"value", "label_zh", "label_en"}}}`` from map_styles.csv (shared; do
    not modify)."""
    table = read_data("map_styles.csv")
    out: dict[str, dict[str, dict[str, str]]] = {}
    for style, group in table.groupby("style", sort=False):
        out[str(style)] = group.set_index("key")[["value", "label_zh", "label_en"]].to_dict(
            orient="index")
    return out


def map_labels(*, lang: str = "zh") -> dict[str, str]:
    """Map UI texts (``head.households`` -> ``户数``) plus the shared labels.csv ones."""
    table = read_data("map_labels.csv")
    return {**labels(lang=lang), **dict(zip(table["key"], table[lang], strict=True))}


def ramp(metric: str) -> list[str]:
    """Sequential colours of a numeric choropleth metric, light to dark."""
    entries = styles()[f"ramp.{metric}"]
    return [entries[k]["value"] for k in sorted(entries, key=int)]


def quantile_breaks(values: Sequence[float] | np.ndarray, *, classes: int) -> list[float]:
    """Inner class breaks (at most ``classes - 1``, distinct, rounded) of the finite values."""
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if len(arr) < 2 or arr.min() == arr.max():
        return []
    qs = np.quantile(arr, np.linspace(0, 1, classes + 1)[1:-1])
    span = arr.max() - arr.min()
    digits = max(0, int(2 - np.floor(np.log10(span)))) if span > 0 else 0
    return sorted({float(round(q, digits)) for q in qs})


def network_styles() -> dict[str, dict[str, str]]:
    """Pipe networks: Chinese name and colour, from networks.csv."""
    nets = load_networks()
    return {str(k): {"name": r["name_zh"], "color": r["color"]} for k, r in nets.iterrows()}


def facility_kind(items: Iterable[str]) -> list[str]:
    """Map kind of each facility work item (``bench`` -> ``leisure``), from
    map_facility_kinds.csv; items it does not list are ``other``.

    The kinds are the ``facility_kind`` entries of map_styles.csv, whose colours
    are kept apart from the pipe networks' (the legend tells them apart by colour).
    """
    table = read_data("map_facility_kinds.csv")
    kinds = pd.Series(table["kind"].to_numpy(), index=table["item"].to_numpy())
    codes = pd.Series(list(items) if not isinstance(items, pd.Series) else items, dtype=object)
    return codes.map(kinds).fillna("other").astype(str).tolist()
