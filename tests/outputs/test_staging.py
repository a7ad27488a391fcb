"""Output folders: whole old or whole new, user files kept, inputs never touched."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from gisplan.errors import OutputError
from gisplan.outputs.staging import MANIFEST, check_out_path, staged_output


def _write(out: Path, files: dict[str, str]) -> None:
    with staged_output(out) as stage:
        for rel, text in files.items():
            (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            (stage / rel).write_text(text)


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != MANIFEST}


def test_new_run_replaces_its_own_files_and_keeps_the_users(tmp_path):
    out = tmp_path / "out"
    _write(out, {"scope.csv": "1", "packages/A/a.txt": "a", "packages/B/b.txt": "b"})
    (out / "packages" / "my_notes.txt").write_text("mine")
    (out / "exports").mkdir()
    (out / "exports" / "drawing.dwg").write_text("cad")
    _write(out, {"scope.csv": "2", "packages/A/a.txt": "a2"})
    assert _tree(out) == {"scope.csv": "2", "packages/A/a.txt": "a2",
                          "packages/my_notes.txt": "mine", "exports/drawing.dwg": "cad"}


def test_a_failed_run_leaves_the_old_folder_whole(tmp_path):
    out = tmp_path / "out"
    _write(out, {"scope.csv": "old", "map.html": "old"})
    with pytest.raises(RuntimeError), staged_output(out) as stage:
        (stage / "scope.csv").write_text("new")
        raise RuntimeError("writer failed half way")
    assert _tree(out) == {"scope.csv": "old", "map.html": "old"}
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []


def test_leftovers_of_a_killed_run_are_cleaned_and_a_half_swap_undone(tmp_path):
    out = tmp_path / "out"
    stale = tmp_path / ".out.staging-99999-abc"
    stale.mkdir()
    (stale / "big.bin").write_text("x" * 100)
    # killed between the two renames of the fallback swap: OUT gone, the old one aside
    old = tmp_path / ".out.old-99999"
    old.mkdir()
    (old / "scope.csv").write_text("previous")
    (old / "mine.txt").write_text("user")
    _write(out, {"scope.csv": "new"})
    assert not stale.exists() and not old.exists()
    assert _tree(out) == {"scope.csv": "new", "mine.txt": "user"}


def _writer(args: tuple[str, int]) -> str:
    out, i = args
    _write(Path(out), {"scope.csv": str(i) * 1000, "packages/A/a.txt": str(i) * 1000})
    return "ok"


def test_concurrent_writers_wait_for_each_other(tmp_path):
    out = tmp_path / "out"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        assert pool.map(_writer, [(str(out), i) for i in range(8)]) == ["ok"] * 8
    tree = _tree(out)
    assert set(tree) == {"scope.csv", "packages/A/a.txt"}
    # one run's files, whole: both files from the same writer
    assert tree["scope.csv"][0] == tree["packages/A/a.txt"][0]
    assert len(tree["scope.csv"]) == 1000


def test_an_output_path_that_is_a_file_or_unwritable_is_an_error(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OutputError, match="not a folder"), staged_output(f):
        pass
    # a parent that cannot hold folders (root ignores permission bits, so not chmod)
    with pytest.raises(OutputError, match="cannot write"), staged_output(f / "out"):
        pass


@pytest.mark.parametrize(("out", "message"), [
    ("plan", "lies inside"), ("plan/out", "lies inside"), (".", "holds the input"),
    ("elsewhere", None)])
def test_out_must_not_be_inside_equal_to_or_hold_an_input(tmp_path, out, message):
    (tmp_path / "plan").mkdir()
    if message is None:
        check_out_path(tmp_path / out, [tmp_path / "plan"])
    else:
        with pytest.raises(OutputError, match=message):
            check_out_path(tmp_path / out, [tmp_path / "plan"])
