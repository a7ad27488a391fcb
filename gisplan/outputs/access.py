"""Walking-access outputs: ``access.csv``, ``coverage.csv`` and ``access.html``; ``sites.csv``.

CSV files go through :func:`gisplan.outputs.tables.write_csv` (UTF-8 with BOM,
formula-safe). ``walk_m`` is empty where no service of the kind can be reached.

Examples
--------
>>> import tempfile
>>> from gisplan.analysis.access import compute_access
>>> from gisplan.inputs.validation import load_layers
>>> layers = load_layers("layers/hunchun2020")  # the bundled plan, from the repository root
>>> written = write_access(compute_access(layers), layers, Path(tempfile.mkdtemp()))
>>> [p.name for p in written]
['access.csv', 'coverage.csv', 'access.html']
"""

from __future__ import annotations

from pathlib import Path

from gisplan.analysis.access import Access
from gisplan.analysis.sites import SiteChoice
from gisplan.inputs.validation import Layers
from gisplan.outputs.pages.access import write_access_page
from gisplan.outputs.tables import write_csv


def write_access(access: Access, layers: Layers, folder: Path, *,
                 offline: bool = True) -> list[Path]:
    """Write ``access.csv``, ``coverage.csv`` and ``access.html`` into ``folder``."""
    folder = Path(folder)
    written = [write_csv(access.table, folder / "access.csv"),
               write_csv(access.coverage, folder / "coverage.csv")]
    written.append(write_access_page(access, layers, folder, plan_name=layers.plan.name,
                                     offline=offline))
    return written


def write_sites(choice: SiteChoice, folder: Path) -> list[Path]:
    """Write ``sites.csv`` (rank, site_id, households newly within, total within)."""
    return [write_csv(choice.table, Path(folder) / "sites.csv")]
