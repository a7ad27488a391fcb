"""One writer in a second process while the command writes the rest.

``gisplan scope`` spends about as long on ``scope.xlsx`` as on all its other
files; on a machine with two cores the two can be written at once.
:func:`in_child` forks (POSIX): the child runs one function and the parent
goes on with the ``with`` block; leaving the block, the parent waits for the
child. The child's result comes back, or its exception is raised in the
parent as if the function had run there (the child's traceback added as a
note), so a failure fails the command the usual way while the output is
still staged: nothing half-written is swapped in
(:func:`gisplan.outputs.staging.staged_output`). If the block fails, the
child is stopped and reaped before the error goes on. Without ``os.fork``
(Windows), or with ``GISPLAN_NO_FORK=1`` in the environment, the function
runs in this process, before the block.

The child leaves with ``os._exit``: it never runs the parent's clean-up
(the staging folder's removal, the lock's release).
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class Outcome:
    """What the function returned (set when the ``with`` block is left)."""

    value: Any = None


def _payload(fn: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[int, bytes]:
    """Run ``fn`` (in the child); its exit code and pickled outcome."""
    try:
        return 0, pickle.dumps(("ok", fn(*args, **kwargs), ""))
    except BaseException as exc:  # everything goes back to the parent
        text = traceback.format_exc()
        try:
            return 1, pickle.dumps(("error", exc, text))
        except Exception:  # an exception that does not pickle: its words do
            return 1, pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}"), text))


def _child(fn: Callable[..., Any], args: tuple, kwargs: dict, read: int, write: int) -> None:
    """The forked process: run ``fn``, send the outcome, leave without clean-up."""
    code = 1
    try:
        os.close(read)
        code, data = _payload(fn, args, kwargs)
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
    finally:
        os._exit(code)


def _outcome(pid: int, read: int, what: str) -> Any:
    """Wait for the child; its result, or its exception raised here."""
    try:
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
    except BaseException:  # interrupted while waiting: the child goes too
        _kill(pid)
        raise
    _, status = os.waitpid(pid, 0)
    if not data:
        raise RuntimeError(f"the process writing {what} stopped without a word "
                           f"({_status(status)}); nothing was swapped in")
    kind, value, text = pickle.loads(data)
    if kind == "ok":
        return value
    value.add_note(f"in the process writing {what}:\n{text}")
    raise value


def _status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


def _kill(pid: int) -> None:
    """Stop the child and reap it (its file is not wanted)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


def can_fork() -> bool:
    """Whether :func:`in_child` uses a second process here."""
    return hasattr(os, "fork") and os.environ.get("GISPLAN_NO_FORK", "") in ("", "0")


@contextmanager
def in_child(fn: Callable[..., Any], *args: Any, what: str = "a file",
             **kwargs: Any) -> Iterator[Outcome]:
    """Run ``fn(*args, **kwargs)`` in a second process during the ``with`` block.

    Parameters
    ----------
    fn : callable
        Writes one thing; it must not touch what the block writes.
    what : str, keyword-only
        What ``fn`` writes, for messages (e.g. ``"scope.xlsx"``).

    Yields
    ------
    Outcome
        Its ``value`` is ``fn``'s result once the block is left.

    Raises
    ------
    Exception
        Whatever ``fn`` raised, raised again here when the block is left.

    Examples
    --------
    >>> with in_child(sum, [1, 2, 3]) as total:
    ...     pass  # the parent's own work
    >>> total.value
    6
    """
    outcome = Outcome()
    if not can_fork():
        outcome.value = fn(*args, **kwargs)
        yield outcome
        return
    sys.stdout.flush()
    sys.stderr.flush()
    read, write = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns of fork in a process with threads (here Arrow's idle pool,
        # which Arrow re-creates in a child): the child runs one function and _exits.
        warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its outcome is what the tests check
        _child(fn, args, kwargs, read, write)
    os.close(write)
    try:
        yield outcome
    except BaseException:
        os.close(read)
        _kill(pid)
        raise
    outcome.value = _outcome(pid, read, what)
