"""Investment per project: which project pays for each cost of the scope, and what it adds up to.

A project claims the (community, item) costs of the scope whose community it
lists (or every community, ``*``) and whose item is in one of its catalogue
groups or its own item list. :func:`claim_costs` gives every community-level
cost of the scope (and the ``unassigned`` area's) to at most one project: two
projects claiming the same cost is an error naming both and one example, and
cost no project claims (always including the ``unassigned`` area's) goes to
``unallocated``. :func:`investment_table` prices each project as the plan's
investment estimate does (六、资金筹集与使用)::

    construction (建安工程费用)  = the claimed costs
    other (工程建设其他费用)     = construction x other_rate
    contingency (基本预备费)     = (construction + other) x contingency_rate
    total                      = construction + other + contingency

and sets each against what the plan states.

Examples
--------
>>> t = pd.DataFrame({"level": "community", "area_id": ["A", "A", "B"],
...                   "item": ["roof", "road", "road"], "group": ["building", "outdoor",
...                   "outdoor"], "quantity": 1.0, "cost_cny": [100.0, 50.0, 30.0]})
>>> p = pd.DataFrame({"project_id": ["P1"], "name": ["楼体"], "track": ["fiscal"],
...                   "communities": [None], "groups": [("building",)], "items": [()],
...                   "other_rate": [0.1], "contingency_rate": [0.0],
...                   "stated_total_cny": [120.0]})
>>> claim_costs(t, p)["project_id"].tolist()
['P1', 'unallocated', 'unallocated']
>>> inv = investment_table(t, p)
>>> inv.set_index("project_id").loc["P1", ["construction_cny", "total_cny", "difference_cny"]
...                                ].tolist()
[100.0, 110.0, -10.0]
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd

from gisplan.errors import ValidationError
from gisplan.inputs.assign import UNASSIGNED
from gisplan.inputs.problems import Report
from gisplan.plan.programme import InvestmentSettings

UNALLOCATED = "unallocated"
ALL = "all"
PARTS = ("construction", "other", "contingency")
COLUMNS = ["project_id", "name", "track", "construction_cny", "other_cny", "contingency_cny",
           "total_cny", "stated_total_cny", "difference_cny", "relative_difference",
           "stated_construction_cny", "construction_difference_cny", "stated_other_cny",
           "other_difference_cny", "stated_contingency_cny", "contingency_difference_cny",
           "stated_parts_cny", "stated_gap_cny", "other_rate", "contingency_rate"]
NAMES = {UNALLOCATED: "未归入项目 unallocated", ALL: "合计 all"}


def scope_costs(table: pd.DataFrame) -> pd.DataFrame:
    """The work rows of a scope table that projects can claim: community and ``unassigned``
    levels, work items only (no metrics), quantity not 0."""
    rows = table[table["level"].isin(["community", "unassigned"]).to_numpy()
                 & (table["group"].astype(object) != "metric").to_numpy()
                 & table["group"].notna().to_numpy() & (table["quantity"] != 0).to_numpy()]
    keep = [c for c in ("level", "area_id", "area_name", "item", "name_zh", "group", "funding",
                        "quantity", "unit", "cost_cny") if c in rows]
    return rows[keep].reset_index(drop=True)


def _claims(rows: pd.DataFrame, projects: pd.DataFrame) -> np.ndarray:
    """Boolean (row, project): does the project claim the row's cost?"""
    area = rows["area_id"].astype(object).to_numpy()
    group = rows["group"].astype(object).to_numpy()
    item = rows["item"].astype(object).to_numpy()
    inside = area != UNASSIGNED
    out = np.zeros((len(rows), len(projects)), dtype=bool)
    for k, p in enumerate(projects.itertuples(index=False)):  # a few projects, not features
        where = inside if p.communities is None else np.isin(area, list(p.communities))
        what = np.isin(group, list(p.groups)) | np.isin(item, list(p.items))
        out[:, k] = where & what
    return out


def claim_costs(table: pd.DataFrame, projects: pd.DataFrame) -> pd.DataFrame:
    """Each claimable cost of the scope with the project that claims it.

    Parameters
    ----------
    table : DataFrame
        A scope table (:attr:`gisplan.analysis.scope.Scope.table`).
    projects : DataFrame
        ``project_id``, ``communities`` (tuple, or None for all), ``groups``, ``items``.

    Returns
    -------
    DataFrame
        The rows of :func:`scope_costs` with ``project_id`` (``unallocated`` where
        no project claims the cost).

    Raises
    ------
    ValidationError
        Two projects claim the same (community, item) cost; one problem per pair of
        projects, naming both and an example community and item.
    """
    rows = scope_costs(table)
    claimed = _claims(rows, projects)
    many = claimed.sum(axis=1) > 1
    if many.any():
        report = Report()
        ids = projects["project_id"].to_numpy(dtype=object)
        seen = set()
        for r in np.flatnonzero(many):
            a, b = np.flatnonzero(claimed[r])[:2]
            if (a, b) in seen:
                continue
            seen.add((a, b))
            x = rows.iloc[r]
            report.add("error", "projects", "overlapping_claim",
                       f"projects '{ids[a]}' and '{ids[b]}' both claim the cost of item "
                       f"'{x['item']}' ({x.get('name_zh', '')}) in community '{x['area_id']}' "
                       f"({x.get('area_name', '')}); every (community, item) cost belongs to "
                       "at most one project", feature_id=f"{ids[a]}, {ids[b]}",
                       field="communities/groups/items")
        raise ValidationError(report)
    owner = np.where(claimed.any(axis=1), claimed.argmax(axis=1), -1)
    ids = np.append(projects["project_id"].to_numpy(dtype=object), UNALLOCATED)
    return rows.assign(project_id=ids[owner])


def _priced(construction: pd.Series, other_rate: pd.Series,
            contingency_rate: pd.Series) -> pd.DataFrame:
    other = construction * other_rate
    contingency = (construction + other) * contingency_rate
    return pd.DataFrame({"construction_cny": construction, "other_cny": other,
                         "contingency_cny": contingency,
                         "total_cny": construction + other + contingency})


def investment_table(table: pd.DataFrame, projects: pd.DataFrame, *,
                     investment: InvestmentSettings | None = None,
                     claims: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per project, then ``unallocated`` and ``all``: computed against stated figures.

    Parameters
    ----------
    table : DataFrame
        A scope table.
    projects : DataFrame
        As :attr:`gisplan.inputs.programme.Programme.projects` (rates filled in).
    investment : InvestmentSettings, optional, keyword-only
        The plan's rates (for ``unallocated``) and plan-level stated figures (for ``all``).
    claims : DataFrame, optional, keyword-only
        :func:`claim_costs` of ``table``, when already computed.

    Returns
    -------
    DataFrame
        ``COLUMNS``: ``difference_cny`` is total - stated total, ``relative_difference``
        that over the stated total; the part differences likewise (NaN where not stated).
        ``all`` sums the rows above it and carries the plan-level stated figures.
        ``stated_parts_cny`` is the sum of the stated parts where all three are stated, and
        ``stated_gap_cny`` the stated total less it: what the plan's own figures leave
        unexplained (Hunchun: 18000万 - (14000 + 1800 + 1500)万 = 700万).
    """
    investment = investment or InvestmentSettings()
    claims = claim_costs(table, projects) if claims is None else claims
    spent = claims.groupby("project_id", sort=False)["cost_cny"].sum()
    plan_stated = {f.name: getattr(investment, f.name) for f in fields(investment)
                   if f.name.startswith("stated_")}
    head = pd.DataFrame({
        "project_id": [*projects["project_id"], UNALLOCATED],
        "name": [*projects["name"], NAMES[UNALLOCATED]],
        "track": [*projects["track"], ""],
        "other_rate": [*projects["other_rate"], investment.other_rate],
        "contingency_rate": [*projects["contingency_rate"], investment.contingency_rate],
    })
    for key in plan_stated:
        head[key] = [*(projects[key] if key in projects else [np.nan] * len(projects)), np.nan]
    construction = head["project_id"].map(spent).fillna(0.0).astype(float)
    out = pd.concat([head, _priced(construction, head["other_rate"],
                                   head["contingency_rate"])], axis=1)
    total = out[[f"{p}_cny" for p in PARTS] + ["total_cny"]].sum()
    last = {"project_id": ALL, "name": NAMES[ALL], "track": "", **total.to_dict(),
            "other_rate": np.nan, "contingency_rate": np.nan,
            **{k: np.nan if v is None else v for k, v in plan_stated.items()}}
    out = pd.concat([out, pd.DataFrame([last])], ignore_index=True)
    for part in ("total", *PARTS):
        stated = out[f"stated_{part}_cny"].astype(float)
        name = "difference_cny" if part == "total" else f"{part}_difference_cny"
        out[name] = out[f"{part}_cny"] - stated
    stated_total = out["stated_total_cny"].astype(float)
    out["relative_difference"] = out["difference_cny"] / stated_total.where(stated_total != 0)
    # Where the plan states every part: how far the parts fall short of its own total.
    out["stated_parts_cny"] = out[[f"stated_{p}_cny" for p in PARTS]].astype(float).sum(
        axis=1, min_count=len(PARTS))
    out["stated_gap_cny"] = stated_total - out["stated_parts_cny"]
    return out[COLUMNS]


def unallocated_summary(claims: pd.DataFrame) -> pd.DataFrame:
    """Where the unallocated cost comes from: the ``unassigned`` area, or community items no
    project claims, per item, largest first."""
    rest = claims[claims["project_id"] == UNALLOCATED]
    where = np.where(rest["area_id"].astype(object) == UNASSIGNED, UNASSIGNED, "community")
    out = (rest.assign(source=where)
           .groupby(["source", "item"], sort=False, observed=True)
           .agg(name_zh=("name_zh", "first"), quantity=("quantity", "sum"),
                cost_cny=("cost_cny", "sum"), communities=("area_id", "nunique"))
           .reset_index())
    return out.sort_values("cost_cny", ascending=False, kind="stable").reset_index(drop=True)
