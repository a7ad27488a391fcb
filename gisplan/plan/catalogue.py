"""The work-item catalogue and the other reference tables shipped as data.

The catalogue (``gisplan/plan/data/work_items.csv``) lists every work item of the
Hunchun 2020 plan's two quantity lists with its Chinese name, unit, aspect,
tier (basic/upgrade), funding source and an editable unit price. Metrics
(households, floor area...), pipe networks, funding sources and UI labels are
data files beside it.

Examples
--------
>>> from gisplan.plan.catalogue import load_catalogue
>>> cat = load_catalogue()
>>> cat.loc["pipe:sewer:300", "name_zh"]
'DN300污水管网'
>>> load_catalogue(prices={"pipe:sewer:300": 1.0}).loc["pipe:sewer:300", "unit_price_cny"]
np.float64(1.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from importlib.resources import files

import numpy as np
import pandas as pd

from gisplan.errors import PlanError

ITEM_COLUMNS = ["name_zh", "name_en", "unit", "group", "aspect", "tier", "funding",
                "unit_price_cny", "derived_from"]


@cache
def read_data(name: str) -> pd.DataFrame:
    """``gisplan/plan/data/<name>``, a CSV, as text (no NA parsing); read once, then cached.

    The frame is shared by every caller: do not modify it.
    """
    with (files("gisplan.plan") / "data" / name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def load_catalogue(*, prices: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The work-item catalogue, indexed by ``code``.

    Parameters
    ----------
    prices : mapping, optional, keyword-only
        Unit prices (CNY) that override the catalogue's assumptions, by code.

    Raises
    ------
    PlanError
        If a price is given for a code the catalogue does not know.
    """
    cat = read_data("work_items.csv").set_index("code")
    cat["unit_price_cny"] = pd.to_numeric(cat["unit_price_cny"]).astype(float)
    if prices:
        unknown = sorted(set(prices) - set(cat.index))
        if unknown:
            raise PlanError(f"plan.toml [prices]: unknown work-item codes {unknown}; "
                            "see gisplan/plan/data/work_items.csv for the codes")
        cat.loc[list(prices), "unit_price_cny"] = [float(v) for v in prices.values()]
    return cat


def load_metrics() -> pd.DataFrame:
    """Headline metrics (buildings, households, floor area...) indexed by code."""
    return read_data("metrics.csv").set_index("code")


def load_networks() -> pd.DataFrame:
    """Pipe networks with Chinese names, default funding and map colour."""
    return read_data("networks.csv").set_index("network")


def load_funding_sources() -> pd.DataFrame:
    """Funding sources of the seed's 资金使用 section, indexed by code."""
    return read_data("funding_sources.csv").set_index("code")


def labels(*, lang: str = "zh") -> dict[str, str]:
    """UI labels (``level.street`` -> ``街道``) in ``lang`` ("zh" or "en")."""
    table = read_data("labels.csv")
    return dict(zip(table["key"], table[lang], strict=True))


def pipe_item(network: pd.Series, diameter_mm: pd.Series) -> pd.Series:
    """Item codes ``pipe:<network>:<diameter_mm>``, or ``pipe:<network>`` without a diameter.

    Examples
    --------
    >>> pipe_item(pd.Series(["gas", "water", "gas"]), pd.Series([None, 110.0, None])).tolist()
    ['pipe:gas', 'pipe:water:110', 'pipe:gas']
    """
    # A city has a few dozen (network, diameter) pairs: spell each once, then take.
    net = pd.factorize(network, use_na_sentinel=False)[0].astype(np.int64)
    dia = pd.factorize(diameter_mm, use_na_sentinel=False)[0].astype(np.int64)
    pair, _ = pd.factorize(net * (int(dia.max(initial=0)) + 1) + dia)
    first = np.unique(pair, return_index=True)[1]  # first row of each pair, in code order
    size = diameter_mm.iloc[first].astype("Int64").astype("string")
    code = "pipe:" + network.iloc[first].astype("string")
    text = code.where(size.isna(), code + ":" + size).to_numpy(dtype=object)
    return pd.Series(text[pair], index=network.index, dtype=object)


def describe_items(codes: Iterable[str], catalogue: pd.DataFrame) -> pd.DataFrame:
    """Catalogue rows for ``codes``, including metrics and pipe sizes the catalogue lacks.

    A pipe size outside the catalogue (e.g. ``pipe:water:200``) gets a row built
    from its network: name ``给水管 DN200``, unit m, the network's funding
    source, tier basic and price 0 until the plan prices it.
    """
    codes = pd.Index(pd.unique(np.asarray(codes, dtype=object)), name="code").astype(str)
    out = catalogue.reindex(codes)[ITEM_COLUMNS].copy()
    metrics = load_metrics()
    is_metric = codes.isin(metrics.index)
    out.loc[is_metric, ["name_zh", "name_en", "unit"]] = (
        metrics.reindex(codes[is_metric])[["name_zh", "name_en", "unit"]].to_numpy())
    out.loc[is_metric, "group"] = "metric"
    missing_pipe = out["name_zh"].isna() & codes.str.startswith("pipe:")
    if missing_pipe.any():
        nets = load_networks()
        parts = codes[missing_pipe].str.split(":")
        net = [p[1] for p in parts]
        dia = [f" DN{p[2]}" if len(p) > 2 else "" for p in parts]
        known = nets.reindex(net)
        out.loc[missing_pipe, "name_zh"] = [f"{z}管{d}" for z, d in
                                            zip(known["name_zh"].fillna("管线"), dia, strict=True)]
        out.loc[missing_pipe, "name_en"] = [f"{e} pipe{d}" for e, d in
                                            zip(known["name_en"].fillna("pipe"), dia, strict=True)]
        out.loc[missing_pipe, "unit"] = "m"
        out.loc[missing_pipe, "group"] = "pipes"
        out.loc[missing_pipe, "tier"] = "basic"
        out.loc[missing_pipe, "funding"] = known["funding"].fillna("pipeline_operator").to_numpy()
        out.loc[missing_pipe, "unit_price_cny"] = 0.0
    out["unit_price_cny"] = pd.to_numeric(out["unit_price_cny"]).astype(float)
    return out
