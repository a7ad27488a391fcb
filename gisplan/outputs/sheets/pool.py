"""Drawing sheets in parallel: worker processes forked from the one that holds the plan.

Each job draws whole sheets into the (staging) folder and returns their records.
The workers are forked (``concurrent.futures`` with the ``fork`` context), so they
start with the plan's layers, the registered fonts and the modules already in memory:
nothing is pickled but the job's arguments and its result. An exception in a worker
is raised again in the caller, a :class:`~gisplan.errors.GisplanError` as itself (the
command line's exit 1 with its message) and anything else with the worker's traceback
as its cause (exit 2 with a report); the jobs not yet started are cancelled, and the
staging folder is thrown away as for any failure. Where ``fork`` does not exist
(Windows) or there is one job, the jobs run one after another in this process.

Examples
--------
>>> run_jobs(divmod, [(7, 2), (9, 4)], workers=1)
[(3, 1), (2, 1)]
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

#: Processes drawing sheets at most (the issue's machines have 2 cores).
WORKERS = 2


def worker_count() -> int:
    """Workers to use: :data:`WORKERS`, at most the CPUs this process may run on, and 1
    where processes cannot be forked."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(WORKERS, cpus or 1))


def run_jobs(fn: Callable[..., T], jobs: Sequence[tuple], *, workers: int,
             initializer: Callable[..., Any] | None = None,
             initargs: Iterable[Any] = ()) -> list[T]:
    """``[fn(*job) for job in jobs]``, in ``workers`` forked processes when more than one.

    Parameters
    ----------
    fn : callable
        A module-level function (the workers find it by name).
    jobs : sequence of tuple
        The arguments of each call; results come back in this order.
    workers : int
        Processes; 1 (or a single job) runs the calls here, in order.
    initializer, initargs : optional
        Run first in each worker (and here when not forking): e.g. to hand it the plan,
        which a forked worker receives without pickling.

    Raises
    ------
    Exception
        The first failed job's exception (in job order); the others are cancelled.
    """
    if workers <= 1 or len(jobs) <= 1:
        if initializer is not None:
            initializer(*initargs)
        return [fn(*job) for job in jobs]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context,
                             initializer=initializer, initargs=tuple(initargs)) as pool:
        futures = [pool.submit(fn, *job) for job in jobs]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise
