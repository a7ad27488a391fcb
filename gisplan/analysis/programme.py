"""The schedule: every project's milestones, and where each stands on a given day.

:func:`schedule_table` gives one row per (project, milestone whose track is the
project's or ``*``) with its status as of day D (:func:`milestone_status`):

- ``done`` if a ``done`` progress row (for that project or ``*``) is dated on or
  before D; ``days_late`` = max(0, done_on - due);
- else ``overdue`` if due < D; ``days_late`` = D - due;
- else ``in_progress`` if a ``started`` row is dated on or before D;
- else ``due_soon`` if due - D <= 14 days;
- else ``not_started``.

``days_late`` is 0 where not late; a milestone without a due date is never
overdue nor due soon. :func:`current_phases` names the phase each project is
in, and :func:`community_phases` colours each community by its projects.

Examples
--------
>>> day = pd.Timestamp
>>> s = milestone_status(due=pd.Series([day("2020-09-01")] * 3),
...                      started_on=pd.Series([pd.NaT, day("2020-08-01"), pd.NaT]),
...                      done_on=pd.Series([day("2020-09-03"), pd.NaT, pd.NaT]),
...                      as_of=day("2020-08-20"))
>>> s["status"].tolist(), s["days_late"].tolist()
(['done', 'in_progress', 'due_soon'], [2, 0, 0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gisplan.analysis.investment import (
    claim_costs,
    investment_table,
    unallocated_summary,
)
from gisplan.analysis.scope import Scope
from gisplan.inputs.assign import UNASSIGNED
from gisplan.inputs.programme import ALL, Programme

STATUSES = ("done", "overdue", "in_progress", "due_soon", "not_started")
DUE_SOON_DAYS = 14
COMPLETE = "已完成 complete"
NO_MILESTONES = "无事项 no milestones"
COLUMNS = ["project_id", "milestone_id", "phase", "name", "track", "start", "due", "lead",
           "support", "status", "started_on", "done_on", "days_late", "as_of"]


def milestone_status(*, due: pd.Series, started_on: pd.Series, done_on: pd.Series,
                     as_of: pd.Timestamp) -> pd.DataFrame:
    """Status and days late of milestones on day ``as_of`` (the rules of the module).

    ``started_on`` and ``done_on`` are the first such progress dates on or before
    ``as_of`` (NaT where none); all three Series are aligned.
    """
    as_of = pd.Timestamp(as_of).normalize()
    done = done_on.notna().to_numpy()
    has_due = due.notna().to_numpy()
    overdue = ~done & has_due & (due < as_of).to_numpy()
    started = ~done & ~overdue & started_on.notna().to_numpy()
    soon = (~done & ~overdue & ~started & has_due
            & ((due - as_of).dt.days <= DUE_SOON_DAYS).to_numpy())
    status = np.select([done, overdue, started, soon],
                       ["done", "overdue", "in_progress", "due_soon"], "not_started")
    late_done = (done_on - due).dt.days.fillna(0).clip(lower=0).to_numpy()
    late_open = (as_of - due).dt.days.fillna(0).to_numpy()
    days = np.where(done, late_done, np.where(overdue, late_open, 0)).astype(np.int64)
    return pd.DataFrame({"status": status, "days_late": days}, index=due.index)


def _first_dates(progress: pd.DataFrame, pairs: pd.DataFrame, status: str,
                 as_of: pd.Timestamp) -> pd.Series:
    """For each (project, milestone) of ``pairs``, the first ``status`` date on or before
    ``as_of`` (a ``*`` row counts for every project)."""
    rows = progress[(progress["status"] == status) & (progress["date"] <= as_of)]
    named = rows[rows["project_id"] != ALL]
    every = rows[rows["project_id"] == ALL].drop(columns="project_id").merge(
        pairs[["project_id", "milestone_id"]].drop_duplicates(), on="milestone_id")
    both = pd.concat([named, every], ignore_index=True)
    first = both.groupby(["project_id", "milestone_id"])["date"].min()
    key = pd.MultiIndex.from_frame(pairs[["project_id", "milestone_id"]])
    return pd.Series(first.reindex(key).to_numpy(), index=pairs.index,
                     dtype="datetime64[ns]")


def schedule_table(programme: Programme, *, as_of: pd.Timestamp | str) -> pd.DataFrame:
    """One row per (project, milestone of its track or ``*``), with its status on ``as_of``.

    Parameters
    ----------
    programme : Programme
        Checked programme tables (:func:`gisplan.inputs.programme.read_programme`).
    as_of : Timestamp or str, keyword-only
        The day D of the status rules.

    Returns
    -------
    DataFrame
        ``COLUMNS``, projects in file order, each project's milestones in file order.
    """
    as_of = pd.Timestamp(as_of).normalize()
    p = programme.projects[["project_id", "track"]].reset_index(drop=True)
    m = programme.milestones.reset_index(drop=True).rename(columns={"track": "m_track"})
    pairs = p.assign(_p=np.arange(len(p))).merge(m.assign(_m=np.arange(len(m))), how="cross")
    pairs = pairs[(pairs["m_track"] == ALL) | (pairs["m_track"] == pairs["track"])]
    pairs = pairs.sort_values(["_p", "_m"]).reset_index(drop=True)
    pairs["track"] = pairs["m_track"]
    pairs["started_on"] = _first_dates(programme.progress, pairs, "started", as_of)
    pairs["done_on"] = _first_dates(programme.progress, pairs, "done", as_of)
    state = milestone_status(due=pairs["due"], started_on=pairs["started_on"],
                             done_on=pairs["done_on"], as_of=as_of)
    pairs[["status", "days_late"]] = state
    pairs["as_of"] = as_of
    return pairs[COLUMNS]


def phase_order(programme: Programme) -> list[str]:
    """The phases in the order they first appear in ``milestones.csv``."""
    return list(dict.fromkeys(programme.milestones["phase"]))


def current_phases(schedule: pd.DataFrame, phases: list[str], *,
                   projects: pd.Series | None = None) -> pd.DataFrame:
    """Each project's current phase: the phase of its most urgent open milestone.

    The most urgent open milestone is the not-done one due first (overdue ones
    included); a project whose open milestones have no due date takes the
    first of them in file order; a project with every milestone done is
    :data:`COMPLETE`. A project of ``projects`` without milestones is
    :data:`NO_MILESTONES`, ranked after complete so that it never sets a
    community's least advanced phase.

    Returns
    -------
    DataFrame
        ``project_id``, ``phase``, ``phase_rank`` (place in ``phases``; ``len(phases)``
        when complete), ``milestone_id`` (the one that sets the phase), ``overdue``
        and ``done`` (counts) and ``milestones``.
    """
    s = schedule.reset_index(drop=True).assign(_order=lambda f: np.arange(len(f)))
    open_ = s[s["status"] != "done"].sort_values(["due", "_order"], na_position="last",
                                                 kind="stable")
    first = open_.groupby("project_id", sort=False).head(1).set_index("project_id")
    counts = s.groupby("project_id", sort=False)["status"].agg(
        overdue=lambda x: int((x == "overdue").sum()), done=lambda x: int((x == "done").sum()),
        milestones="size")
    out = counts.reset_index()
    out["phase"] = out["project_id"].map(first["phase"]).astype(object).fillna(COMPLETE)
    out["milestone_id"] = out["project_id"].map(first["milestone_id"]).astype(object)
    rank = {ph: i for i, ph in enumerate(phases)}
    out["phase_rank"] = out["phase"].map(rank).fillna(len(phases)).astype(int)
    out = out[["project_id", "phase", "phase_rank", "milestone_id", "overdue", "done",
               "milestones"]]
    if projects is not None:
        none = pd.DataFrame({"project_id": projects[~projects.isin(out["project_id"])],
                             "phase": NO_MILESTONES, "phase_rank": len(phases) + 1,
                             "milestone_id": None, "overdue": 0, "done": 0, "milestones": 0})
        order = {pid: i for i, pid in enumerate(projects)}
        out = pd.concat([out, none], ignore_index=True).sort_values(
            "project_id", key=lambda x: x.map(order), kind="stable").reset_index(drop=True)
    return out


def community_phases(projects: pd.DataFrame, phases: pd.DataFrame,
                     community_ids: pd.Series) -> pd.DataFrame:
    """Per community: its projects and the least advanced of their current phases.

    Returns
    -------
    DataFrame
        ``community_id``, ``projects`` (ids joined by ``;``, empty when none),
        ``phase`` (None when no project lists the community) and ``phase_rank``
        (-1 when none).
    """
    ids = community_ids.astype(object).to_numpy()
    rank = phases.set_index("project_id")["phase_rank"]
    label = phases.set_index("project_id")["phase"]
    best = np.full(len(ids), np.iinfo(np.int64).max, dtype=np.int64)
    phase = np.full(len(ids), None, dtype=object)
    names: list[list[str]] = [[] for _ in ids]
    for p in projects.itertuples(index=False):  # a few projects
        mine = np.ones(len(ids), bool) if p.communities is None else np.isin(
            ids, list(p.communities))
        r = int(rank.get(p.project_id, -1))
        better = mine & (r < best)
        best[better] = r
        phase[better] = label.get(p.project_id)
        for i in np.flatnonzero(mine):
            names[i].append(str(p.project_id))
    return pd.DataFrame({"community_id": ids, "projects": [";".join(n) for n in names],
                         "phase": phase,
                         "phase_rank": np.where(phase == None, -1, best)})  # noqa: E711


@dataclass(frozen=True)
class ProgrammeResult:
    """Everything :func:`compute_programme` computes for one day.

    Attributes
    ----------
    programme : Programme
        The checked tables.
    as_of : Timestamp
        The day of the statuses.
    investment : DataFrame
        :func:`gisplan.analysis.investment.investment_table`.
    claims : DataFrame
        Every claimable cost with its project (:func:`~gisplan.analysis.investment.claim_costs`).
    unallocated : DataFrame
        Where the unallocated cost comes from
        (:func:`~gisplan.analysis.investment.unallocated_summary`).
    schedule : DataFrame
        :func:`schedule_table`.
    phases : DataFrame
        :func:`current_phases`, in project order.
    communities : DataFrame
        :func:`community_phases`.
    warnings : list of str
        What a planner should know (cost no project claims).
    """

    programme: Programme
    as_of: pd.Timestamp
    investment: pd.DataFrame
    claims: pd.DataFrame
    unallocated: pd.DataFrame
    schedule: pd.DataFrame
    phases: pd.DataFrame
    communities: pd.DataFrame
    warnings: list[str]

    @property
    def overdue(self) -> pd.DataFrame:
        """The overdue rows of the schedule, latest first."""
        s = self.schedule
        return s[s["status"] == "overdue"].sort_values(
            ["days_late", "project_id"], ascending=[False, True], kind="stable")


def _warnings(unallocated: pd.DataFrame) -> list[str]:
    total = float(unallocated["cost_cny"].sum())
    if total <= 0:
        return []
    outside = float(unallocated.loc[unallocated["source"] == UNASSIGNED, "cost_cny"].sum())
    inside = unallocated[unallocated["source"] != UNASSIGNED]
    text = (f"{total / 1e4:,.1f} 万元工程费不属于任何项目 of scope cost is in no project "
            f"(unallocated): 社区外 {outside / 1e4:,.1f} 万元 outside every community")
    if len(inside):
        items = ", ".join(f"{i} {c / 1e4:,.1f}" for i, c in
                          zip(inside["item"].head(5), inside["cost_cny"].head(5), strict=True))
        text += (f"; 社区内无项目认领 {inside['cost_cny'].sum() / 1e4:,.1f} 万元 of community work "
                 f"no project claims ({items}{' ...' if len(inside) > 5 else ''})")
    return [text]


def compute_programme(scope: Scope, programme: Programme, communities: pd.DataFrame, *,
                      as_of: pd.Timestamp | str) -> ProgrammeResult:
    """Investment per project, the schedule on ``as_of`` and every project's phase.

    Parameters
    ----------
    scope : Scope
        The plan's computed scope.
    programme : Programme
        Its checked programme tables.
    communities : DataFrame
        The communities layer (``community_id``).
    as_of : Timestamp or str, keyword-only
        The day D of the status rules.

    Raises
    ------
    ValidationError
        Two projects claim the same (community, item) cost.
    """
    claims = claim_costs(scope.table, programme.projects)
    schedule = schedule_table(programme, as_of=as_of)
    phases = current_phases(schedule, phase_order(programme),
                            projects=programme.projects["project_id"])
    unallocated = unallocated_summary(claims)
    return ProgrammeResult(
        programme=programme, as_of=pd.Timestamp(as_of).normalize(),
        investment=investment_table(scope.table, programme.projects,
                                    investment=programme.investment, claims=claims),
        claims=claims, unallocated=unallocated, schedule=schedule, phases=phases,
        communities=community_phases(programme.projects, phases, communities["community_id"]),
        warnings=_warnings(unallocated))
