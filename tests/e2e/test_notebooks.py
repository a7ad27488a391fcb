"""The notebooks run top to bottom from notebooks/, with nothing but their own cells.

Each is executed in a fresh ``python3`` kernel (nbclient) with the working
directory notebooks/ and 120 s per cell; any error fails the test. The kernel
imports gisplan from this checkout. The committed notebooks must be exactly
what notebooks/make_notebooks.py writes: outputs cleared.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# In the test extra: a missing one fails here rather than skipping the notebooks.
import ipykernel  # noqa: F401
import nbclient
import nbformat
import pytest
from conftest import REPO

NOTEBOOKS = REPO / "notebooks"
NAMES = ["01_planner_tour.ipynb", "02_bureau_review.ipynb", "03_design_firm_export.ipynb"]


def test_notebooks_are_generated_and_cleared() -> None:
    done = subprocess.run([sys.executable, str(NOTEBOOKS / "make_notebooks.py"), "--check"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for name in NAMES:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(c.outputs == [] and c.execution_count is None for c in code)
        text = "\n".join(c.source for c in nb.cells)
        assert "/work/" not in text and "/tmp" not in text and "/home/" not in text
        assert "../layers/hunchun2020" in text and "../outputs/notebooks/" in text


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", path.rstrip(os.pathsep))   # the kernel inherits it
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors == []
    out = REPO / "outputs" / "notebooks" / Path(name).stem
    assert out.is_dir() and any(out.iterdir())
