"""Choosing which map labels to show so that none overlap (greedy, by priority).

Labels are placed one at a time, most important first; a label is kept when
its box overlaps no label kept before it, and is then added to the index.
This is the job rtree is better at than shapely's STRtree: an index that
grows as features are added (an STRtree is immutable and would have to be
rebuilt after every insert; ``benchmarks/bench_io.py`` measures rtree 6x
faster here).
"""

from __future__ import annotations

import numpy as np
import rtree
from numpy.typing import ArrayLike, NDArray


def declutter(boxes: ArrayLike, *, priority: ArrayLike | None = None) -> NDArray[np.bool_]:
    """Which labels to keep so that no two kept labels overlap.

    Parameters
    ----------
    boxes : array-like, shape (n, 4)
        Label extents ``minx, miny, maxx, maxy`` in any one coordinate system
        (e.g. metres at the map's opening zoom).
    priority : array-like, shape (n,), optional, keyword-only
        Higher is placed first (e.g. households); ties keep input order.

    Returns
    -------
    ndarray of bool
        True for labels to show.

    Examples
    --------
    >>> declutter([[0, 0, 10, 2], [5, 1, 15, 3], [20, 0, 30, 2]], priority=[1, 2, 0]).tolist()
    [False, True, True]
    """
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    n = len(boxes)
    order = np.arange(n) if priority is None else np.argsort(
        -np.asarray(priority, dtype=float), kind="stable")
    keep = np.zeros(n, dtype=bool)
    index = rtree.index.Index()
    for i in order:
        box = tuple(boxes[i])
        # rtree's intersection counts touching boxes; labels that only touch may both show.
        hits = index.intersection(box, objects="raw")
        if not any(_overlaps(box, other) for other in hits):
            keep[i] = True
            index.insert(int(i), box, obj=box)
    return keep


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
