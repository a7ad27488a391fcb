"""Sheets drawn in forked workers: results in job order, the worker's state from the
initializer, a worker's exception raised again in the caller."""

from __future__ import annotations

import os

import pytest

from gisplan.errors import OutputError
from gisplan.outputs.sheets import pool

_HELD: dict[str, int] = {}


def _hold(base: int) -> None:
    _HELD["base"] = base


def _job(i: int) -> tuple[int, int]:
    if i == 3:
        raise OutputError(f"job {i}: located failure")
    return _HELD["base"] + i, os.getpid()


def test_jobs_run_in_two_workers_in_order():
    done = pool.run_jobs(_job, [(0,), (1,), (2,), (4,)], workers=2, initializer=_hold,
                         initargs=(100,))
    assert [r for r, _ in done] == [100, 101, 102, 104]
    assert os.getpid() not in {pid for _, pid in done}  # drawn in the workers
    assert "base" not in _HELD  # the caller's state is untouched


def test_a_workers_error_is_raised_as_itself():
    with pytest.raises(OutputError, match="job 3: located failure"):
        pool.run_jobs(_job, [(0,), (3,), (1,)], workers=2, initializer=_hold, initargs=(1,))


def test_one_worker_runs_here():
    done = pool.run_jobs(_job, [(0,), (1,)], workers=1, initializer=_hold, initargs=(5,))
    assert done == [(5, os.getpid()), (6, os.getpid())]
    _HELD.clear()


def test_worker_count_is_at_most_two():
    assert 1 <= pool.worker_count() <= pool.WORKERS == 2
