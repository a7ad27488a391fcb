"""Where to put what is missing: candidate sites chosen by maximal covering.

Given the households already within walking distance of a kind of service,
:func:`choose_sites` picks ``count`` candidate sites allowed for the kind that
bring the most further households within that distance. This is the maximal
covering location problem (Church & ReVelle, 1974), solved exactly as an
integer programme with ``scipy.optimize.milp`` (HiGHS), not greedily: adding
the site that covers most first can miss the best set (a test shows one).

The programme: one binary ``x_j`` per candidate site and one ``y_i`` in [0, 1] per
group of households with the same set of covering sites; maximise
``sum_i h_i y_i`` subject to ``y_i <= sum_{j covers i} x_j`` and ``sum_j x_j = count``.
With the ``x`` integral, the best ``y`` are 0 or 1, so only the ``x`` need be integers.

The chosen sites are ranked as they add households one after another (the
first adds the most on its own, the next the most of what is left, ...).

Examples
--------
Sites covering {0, 1}, {2, 3} and {1, 2} of four households of 5, 4, 4, 5:

>>> import numpy as np
>>> from scipy.sparse import csr_array
>>> cover = csr_array(np.array([[1, 1, 0, 0], [0, 0, 1, 1], [0, 1, 1, 0]], dtype=bool))
>>> maximal_covering(cover, np.array([5.0, 4, 4, 5]), 2).tolist()
[0, 1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array, eye_array, hstack, vstack

from gisplan.analysis.access import walk_context
from gisplan.analysis.walknet import nearest_anchor, within_pairs
from gisplan.errors import GisplanError
from gisplan.inputs.access_layers import site_kinds
from gisplan.inputs.problems import Report
from gisplan.inputs.validation import Layers
from gisplan.plan.access import load_service_standards

__all__ = ["SITES_COLUMNS", "SiteChoice", "choose_sites", "maximal_covering"]

SITES_COLUMNS = ["rank", "site_id", "households_newly_within", "households_within_total"]
#: Walks are rounded to 0.01 m (as in access.csv) before they are compared with the radius.
ROUNDING_M = 0.005
#: Demand rows merged by their covering sets when the dense 0/1 table is at most this big.
MERGE_CELLS = 50_000_000


@dataclass(frozen=True)
class SiteChoice:
    """What :func:`choose_sites` chose.

    Attributes
    ----------
    table : DataFrame
        ``SITES_COLUMNS``, one row per chosen site in rank order.
    kind, max_walk_m : str, float
        The kind of service and its walking distance.
    households, households_within_before : int
        All households, and those within before any site is added.
    candidates : int
        Candidate sites allowed for the kind and on the network.
    report : Report
        Warnings (features beyond ``snap_max_m`` of every walkable road).
    """

    table: pd.DataFrame
    kind: str
    max_walk_m: float
    households: int
    households_within_before: int
    candidates: int
    report: Report


def _merge_demand(cover: csr_array, weights: NDArray[np.float64]
                  ) -> tuple[csr_array, NDArray[np.float64]]:
    """Households with the same covering sites as one demand row (weights summed)."""
    n_sites, n_demand = cover.shape
    if n_sites * n_demand > MERGE_CELLS or n_demand == 0:
        return cover, weights
    packed = np.packbits(cover.T.toarray().astype(bool), axis=1)
    _, first, group = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    merged = np.bincount(group.ravel(), weights=weights, minlength=len(first))
    return csr_array(cover[:, first]), merged


def maximal_covering(cover: csr_array, weights: NDArray[np.float64], count: int, *,
                     time_limit: float | None = None) -> NDArray[np.intp]:
    """The ``count`` sites (rows of ``cover``) covering the most weight, optimally.

    Parameters
    ----------
    cover : sparse array, shape (sites, demand)
        True where a site covers a demand point.
    weights : ndarray, shape (demand,)
        Weight (households) of each demand point, >= 0.
    count : int
        How many sites to choose; at most the number of sites.
    time_limit : float, optional, keyword-only
        Seconds HiGHS may take; past it the answer is an error, not a guess.

    Returns
    -------
    ndarray
        The chosen sites' row numbers, ranked by what each adds in turn.

    Raises
    ------
    GisplanError
        HiGHS did not prove the optimum (time limit).
    """
    cover = csr_array(cover, dtype=float)
    n_sites = cover.shape[0]
    if not 0 < count <= n_sites:
        raise ValueError(f"count must be in 1..{n_sites}, got {count}")
    useful = (np.asarray(weights) > 0) & (cover.sum(axis=0) > 0)
    demand, w = _merge_demand(cover[:, np.flatnonzero(useful)], np.asarray(weights)[useful])
    n_d = demand.shape[1]
    c = np.concatenate([np.zeros(n_sites), -w])
    rows = hstack([-demand.T, eye_array(n_d, format="csr")], format="csr")  # y_i - sum x_j <= 0
    total = csr_array(np.concatenate([np.ones(n_sites), np.zeros(n_d)])[None, :])
    options = {"disp": False, "mip_rel_gap": 0.0}
    if time_limit is not None:
        options["time_limit"] = time_limit
    res = milp(c, constraints=[LinearConstraint(vstack([rows, total], format="csr"),
                                                np.r_[np.full(n_d, -np.inf), count],
                                                np.r_[np.zeros(n_d), count])],
               integrality=np.r_[np.ones(n_sites), np.zeros(n_d)], bounds=Bounds(0, 1),
               options=options)
    if res.status != 0:
        raise GisplanError(f"the site choice was not solved to optimality: {res.message}")
    chosen = np.flatnonzero(res.x[:n_sites] > 0.5)
    return _ranked(cover, np.asarray(weights, dtype=float), chosen)


def _ranked(cover: csr_array, weights: NDArray[np.float64], chosen: NDArray[np.intp]
            ) -> NDArray[np.intp]:
    """``chosen`` in the order each adds the most of what is still uncovered."""
    sub = cover[chosen].toarray() > 0
    left = weights.copy()
    order: list[int] = []
    for _ in range(len(chosen)):  # count sites, not features
        gain = sub @ left
        gain[order] = -1.0
        best = int(np.argmax(gain))
        order.append(best)
        left = np.where(sub[best], 0.0, left)
    return chosen[np.asarray(order, dtype=np.intp)]


def choose_sites(layers: Layers, *, kind: str, count: int) -> SiteChoice:
    """Choose ``count`` candidate sites for ``kind`` that bring the most households within.

    Parameters
    ----------
    layers : Layers
        Validated layers with ``roads``, ``services`` and ``sites``.
    kind : str, keyword-only
        A kind of ``service_standards.csv``.
    count : int, keyword-only
        How many sites to add (>= 1, at most the candidates allowed for ``kind``).

    Returns
    -------
    SiteChoice

    Raises
    ------
    GisplanError
        Unknown kind, a count out of range, or a plan without roads, services or sites.
    """
    kinds = list(load_service_standards().index)
    if kind not in kinds:
        raise GisplanError(f"--kind {kind}: unknown kind of service; expected one of {kinds}")
    if count < 1:
        raise GisplanError(f"--count must be >= 1, got {count}")
    ctx = walk_context(layers, with_sites=True)
    radius = layers.plan.access.max_walk(kind)
    n_services = len(ctx.services)
    existing = np.flatnonzero(ctx.services["kind"].to_numpy(dtype=object) == kind)
    reach = radius + ROUNDING_M  # walks are compared to the radius as rounded to 0.01 m
    walk, _ = nearest_anchor(ctx.graph, ctx.ends, existing, limit=reach)
    before = np.round(walk, 2) <= radius
    allowed = site_kinds(ctx.sites, report=Report()).map(lambda ks: not ks or kind in ks)
    candidates = np.flatnonzero(allowed.to_numpy(dtype=bool)
                                & (ctx.graph.anchor_node[n_services:] >= 0))
    if count > len(candidates):
        raise GisplanError(
            f"--count {count}: only {len(candidates)} candidate sites may take '{kind}' (sites "
            "whose kinds name it or are empty, within snap_max_m of a walkable road)")
    site_rows, buildings, walks = within_pairs(ctx.graph, ctx.ends, n_services + candidates,
                                               radius=reach)
    keep = (np.round(walks, 2) <= radius) & ~before[buildings]
    rows = np.searchsorted(n_services + candidates, site_rows[keep])
    cover = csr_array((np.ones(int(keep.sum()), dtype=bool), (rows, buildings[keep])),
                      shape=(len(candidates), len(ctx.households)))
    chosen = maximal_covering(cover, ctx.households, count)
    gains = _gains(cover, ctx.households, chosen)
    base = float(ctx.households[before].sum())
    table = pd.DataFrame({
        "rank": np.arange(1, len(chosen) + 1),
        "site_id": ctx.sites["site_id"].to_numpy(dtype=object)[candidates[chosen]],
        "households_newly_within": gains.astype(np.int64),
        "households_within_total": (base + np.cumsum(gains)).astype(np.int64),
    })
    return SiteChoice(table, kind, radius, int(ctx.households.sum()), int(base),
                      len(candidates), ctx.report)


def _gains(cover: csr_array, weights: NDArray[np.float64], ranked: NDArray[np.intp]
           ) -> NDArray[np.float64]:
    """What each ranked site adds to those before it."""
    seen = np.zeros(cover.shape[1], dtype=bool)
    out = np.zeros(len(ranked))
    for i, site in enumerate(ranked):  # count sites, not features
        covered = cover[[site]].toarray().ravel() > 0
        out[i] = weights[covered & ~seen].sum()
        seen |= covered
    return out
