"""Writing an output folder so that it is always whole: the old one or the new one.

:func:`staged_output` gives a staging folder beside ``OUT`` (on the same file
system, so nothing crosses devices) and, when every file was written, swaps
it in for ``OUT`` in one step (Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere
two renames, undone by the next run if it is killed between them). Before the
swap, files of the old ``OUT`` that this run does not write, and that no
earlier gisplan run wrote (``.gisplan-files`` lists those), are linked into the
new folder: files a user added are never deleted, stale outputs are.

A lock file beside ``OUT`` (``.OUT.gisplan-lock``) makes a second writer of the
same folder wait; staging folders left by a killed run are removed by the
next run. A full disk or a read-only folder gives an :class:`OutputError`, and
``OUT`` is left as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from gisplan.errors import OutputError

#: The list of files gisplan wrote into a folder (relative paths, one a line).
MANIFEST = ".gisplan-files"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() or p.is_symlink()}


def _written_before(out: Path) -> set[str]:
    try:
        return set((out / MANIFEST).read_text(encoding="utf-8").splitlines())
    except OSError:
        return set()


def _keep_user_files(out: Path, stage: Path) -> None:
    """Link into ``stage`` every file of ``out`` that neither this run nor an earlier
    gisplan run wrote (the user's own files), keeping its relative path."""
    new, ours = _files(stage), _written_before(out) | {MANIFEST}
    for rel in sorted(_files(out) - new - ours):
        src, dst = out / rel, stage / rel
        if any(parent.is_file() for parent in (stage / rel).parents if parent != stage):
            continue  # a file of this run has the folder's name; the user's file stays in old
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst, follow_symlinks=False)
        except OSError:
            shutil.copy2(src, dst, follow_symlinks=False)


def _recover(out: Path) -> None:
    """Undo a swap a killed run left half done; remove stale staging folders."""
    parent, prefix = out.parent, f".{out.name}."
    for entry in parent.glob(f"{prefix}old-*"):
        if not out.exists():
            os.replace(entry, out)
        else:
            shutil.rmtree(entry, ignore_errors=True)
    for entry in parent.glob(f"{prefix}staging-*"):
        shutil.rmtree(entry, ignore_errors=True)


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    lock = out.parent / f".{out.name}.gisplan-lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting: another gisplan is writing {out} ...", file=sys.stderr, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def check_out_path(out_dir: str | Path, inputs: Iterable[str | Path]) -> None:
    """Refuse an output folder that is, holds or lies inside an input.

    Raises
    ------
    OutputError
        Naming the input, since writing there would replace or mix with it.
    """
    out = Path(out_dir).resolve()
    for item in inputs:
        src = Path(item).resolve()
        if out == src or src in out.parents:
            raise OutputError(f"--out {out_dir}: lies inside the input {item}; choose a "
                              "folder outside the plan, e.g. outputs/<name>")
        if out in src.parents:
            raise OutputError(f"--out {out_dir}: holds the input {item}; writing there "
                              "would replace it; choose another folder")


@contextmanager
def staged_output(out_dir: str | Path) -> Iterator[Path]:
    """Yield a staging folder; on success it becomes ``out_dir``, whole.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> with staged_output(out) as stage:
    ...     _ = (stage / "a.txt").write_text("x")
    >>> sorted(p.name for p in out.iterdir())
    ['.gisplan-files', 'a.txt']
    """
    out = Path(out_dir).absolute()
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out_dir}: exists and is not a folder")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        lock = _locked(out)
        lock.__enter__()
    except OSError as exc:
        raise OutputError(f"--out {out_dir}: cannot write there ({exc.strerror})") from None
    stage = None
    try:
        _recover(out)
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-{os.getpid()}-",
                                      dir=out.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(stage, stat.S_IMODE(out.stat().st_mode) if out.exists() else 0o777 & ~umask)
        try:
            yield stage
            written = sorted(_files(stage))
            (stage / MANIFEST).write_text("".join(f"{p}\n" for p in written), encoding="utf-8")
            if out.exists():
                _keep_user_files(out, stage)
                if not _exchange(stage, out):
                    old = out.parent / f".{out.name}.old-{os.getpid()}"
                    os.replace(out, old)
                    os.replace(stage, out)
                    stage = old
                # stage now holds the old folder
            else:
                os.replace(stage, out)
                stage = None
        except OSError as exc:
            raise OutputError(f"--out {out_dir}: cannot write there ({exc.strerror or exc}); "
                              "the folder was left as it was") from None
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        lock.__exit__(None, None, None)
