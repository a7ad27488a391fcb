"""A writer in a second process: its result or its error comes back; it is stopped with
the block; it never runs the parent's clean-up."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from gisplan.errors import OutputError
from gisplan.outputs.background import can_fork, in_child

pytestmark = pytest.mark.skipif(not can_fork(), reason="no os.fork here")


def _fail(kind):
    raise kind("disk on fire")


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("no")


def test_the_result_comes_back_from_another_process():
    with in_child(os.getpid) as child:
        here = os.getpid()
    assert child.value != here


@pytest.mark.parametrize("kind", [OutputError, OSError, RuntimeError])
def test_an_error_in_the_child_is_raised_here_with_its_traceback(kind):
    with pytest.raises(kind, match="disk on fire") as caught, in_child(_fail, kind,
                                                                       what="x.xlsx"):
        pass
    note = "\n".join(caught.value.__notes__)
    assert "in the process writing x.xlsx" in note and "_fail" in note


def test_an_error_that_does_not_pickle_comes_back_in_words():
    with pytest.raises(RuntimeError, match="Unpicklable: disk on fire"), in_child(
            _fail, lambda m: Unpicklable(m)):
        pass


def test_a_child_killed_by_a_signal_is_an_error():
    with pytest.raises(RuntimeError, match="SIGKILL"), in_child(
            lambda: os.kill(os.getpid(), signal.SIGKILL)):
        pass


def test_a_failing_block_stops_the_child_and_reaps_it():
    started = time.perf_counter()
    with pytest.raises(ValueError), in_child(time.sleep, 60):
        raise ValueError("the parent's own writer failed")
    assert time.perf_counter() - started < 10
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child left behind


def test_the_child_never_runs_the_parents_clean_up(tmp_path):
    marker = tmp_path / "cleaned"
    try:
        with in_child(_fail, RuntimeError):
            pass
    except RuntimeError:
        pass
    finally:
        with open(marker, "a") as f:  # a child that ran on would add its own line
            f.write(f"{os.getpid()}\n")
    time.sleep(0.2)
    assert marker.read_text().split() == [str(os.getpid())]


def test_without_fork_it_runs_here_first(monkeypatch):
    monkeypatch.setenv("GISPLAN_NO_FORK", "1")
    order = []
    with in_child(lambda: order.append("child") or os.getpid()) as child:
        order.append("block")
    assert child.value == os.getpid() and order == ["child", "block"]


def test_threads_in_the_parent_do_not_stop_the_child():
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait)
    busy.start()
    try:
        with in_child(sum, range(10)) as child:
            pass
    finally:
        stop.set()
        busy.join()
    assert child.value == 45


def test_an_interrupt_while_waiting_stops_the_child(monkeypatch):
    import gisplan.outputs.background as bg

    def interrupted(fd, mode):
        os.close(fd)
        raise KeyboardInterrupt

    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt), monkeypatch.context() as m:
        m.setattr(bg.os, "fdopen", interrupted)
        with in_child(time.sleep, 60):
            pass
    assert time.perf_counter() - started < 10
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
