"""Checks of the walking-access layers (roads, services, sites) beyond their columns.

A site's ``kinds`` names the kinds of service it may take, separated by ``;``
(empty: any kind); every name must be a kind of
``gisplan/plan/data/service_standards.csv``.

Examples
--------
>>> import pandas as pd
>>> from gisplan.inputs.problems import Report
>>> report = Report()
>>> sites = pd.DataFrame({"site_id": ["s1", "s2"], "kinds": ["kindergarten; market", "zoo"]})
>>> site_kinds(sites, report=report, field="kinds").tolist()
[('kindergarten', 'market'), ()]
>>> print(report.format_text()[:66])
ERROR: sites [s2] field 'kinds': unknown kind of service 'zoo'; ex
"""

from __future__ import annotations

import pandas as pd

from gisplan.inputs.problems import Report
from gisplan.inputs.schema import locate
from gisplan.plan.access import load_service_standards

__all__ = ["site_kinds"]


def site_kinds(sites: pd.DataFrame, *, report: Report, field: str = "kinds") -> pd.Series:
    """Each site's allowed kinds as a tuple (empty: any kind); unknown names are errors.

    Parameters
    ----------
    sites : DataFrame
        The sites layer, with ``site_id`` and optionally ``kinds``.
    report : Report, keyword-only
        Unknown kinds are added here as errors located by site and field.
    field : str, keyword-only
        The column's name in the user's file, for messages.

    Returns
    -------
    Series
        Tuples of kind names by the layer's index; a site with an unknown kind gets ``()``
        (the report then holds an error, so the layer is not used).
    """
    if "kinds" not in sites:
        return pd.Series([()] * len(sites), index=sites.index, dtype=object)
    known = set(load_service_standards().index)
    parts = sites["kinds"].map(lambda v: tuple(dict.fromkeys(
        p.strip() for p in str(v).split(";") if p.strip())), na_action="ignore")
    parts = parts.where(parts.notna(), pd.Series([()] * len(sites), index=sites.index))
    flat = parts.explode().dropna()
    unknown = flat[~flat.isin(known)]
    where = locate(sites, "site_id")
    for idx, kind in unknown.items():  # only the wrong ones are visited, to word them
        report.add("error", "sites", "unknown_kind",
                   f"unknown kind of service '{kind}'; expected kinds of "
                   "service_standards.csv separated by ';' (e.g. \"kindergarten;nursery\"), "
                   "or empty for any kind", feature_id=where[idx], field=field)
    bad = parts.index.isin(unknown.index)
    return parts.where(~bad, pd.Series([()] * len(sites), index=sites.index)).astype(object)
