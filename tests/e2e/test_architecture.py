"""The layout is the architecture: rules derived from the package's folders.

Every module of ``gisplan/`` is found by walking the folders (no hand-kept
list), its imports are read from its source (``ast``), and each import is
checked against the room it comes from:

- ``plan`` < ``inputs`` < ``analysis``: the core. It never imports ``outputs``,
  ``cli`` or ``engines``, nor folium, dask or ezdxf.
- ``outputs`` never imports ``cli`` or ``engines``.
- only ``cli`` imports ``engines``.
- a module of ``plan``, ``inputs`` or ``analysis`` never writes a file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "gisplan"
#: Rooms in the order data flows through them; a room may import the rooms before it.
ORDER = ["plan", "inputs", "analysis", "engines", "outputs", "cli"]
#: What a room must never import, beyond the rooms after it in ORDER.
FORBIDDEN = {
    "plan": {"folium", "dask", "distributed", "ezdxf", "openpyxl", "xlsxwriter"},
    # inputs read DXF site plans with ezdxf (gisplan.inputs.cad); they never write one
    "inputs": {"folium", "dask", "distributed", "openpyxl", "xlsxwriter"},
    "analysis": {"folium", "dask", "distributed", "ezdxf", "openpyxl", "xlsxwriter"},
    "outputs": {"dask", "distributed"},
}
#: Calls that write files; the core computes, the outputs write.
WRITERS = {"to_csv", "to_file", "to_parquet", "to_excel", "write_text", "write_bytes",
           "to_json", "savefig", "mkdir", "write_dataframe"}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "webassets" not in p.parts)


def _room(path: Path) -> str | None:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else None


def _room_of_module(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != "gisplan" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in ORDER else None


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
            out += [f"{node.module}.{a.name}" for a in node.names]
    return out


def test_every_module_lives_in_a_room():
    loose = [p.name for p in _modules() if _room(p) is None
             and p.name not in ("__init__.py", "__main__.py", "errors.py")]
    assert loose == [], f"modules outside the rooms {ORDER}: {loose}"
    rooms = {_room(p) for p in _modules()} - {None}
    assert rooms <= set(ORDER), f"unknown rooms: {rooms - set(ORDER)}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_one_way(path):
    room = _room(path)
    if room is None:
        return
    later = set(ORDER[ORDER.index(room) + 1:])
    if room == "outputs":  # outputs come after analysis; engines are the CLI's alone
        later = {"cli", "engines"}
    if room == "engines":
        later = {"outputs", "cli"}
    bad = []
    for name in _imports(path):
        target = _room_of_module(name)
        if target in later:
            bad.append(name)
        if name.split(".")[0] in FORBIDDEN.get(room, set()):
            bad.append(name)
    assert bad == [], f"{path.relative_to(PACKAGE)} ({room}) imports {sorted(set(bad))}"


def test_only_the_cli_imports_the_engines():
    users = {str(p.relative_to(PACKAGE)) for p in _modules()
             if _room(p) not in ("engines", "cli")
             and any(_room_of_module(n) == "engines" for n in _imports(p))}
    assert users == set()


@pytest.mark.parametrize("path", [p for p in _modules() if _room(p) in ("plan", "inputs",
                                                                          "analysis")],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_writes_no_file(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in WRITERS:
                calls.add(name)
            if name == "open" and any(isinstance(a, ast.Constant) and isinstance(a.value, str)
                                      and set(a.value) & set("wax+") for a in node.args[1:]):
                calls.add("open(write)")
    assert calls == set(), f"{path.relative_to(PACKAGE)} writes files: {sorted(calls)}"


def test_the_checks_can_fail(tmp_path):
    """The import reader sees a forbidden import and the room finder places it."""
    fake = tmp_path / "m.py"
    fake.write_text("from gisplan.outputs.tables import write_csv\nimport folium\n")
    names = _imports(fake)
    assert "gisplan.outputs.tables" in names and "folium" in names
    assert _room_of_module("gisplan.outputs.tables") == "outputs"


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 420}
    assert long == {}
