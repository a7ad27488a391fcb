from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Shared helpers (plans.py, rfc7946.py) and test modules whose fixtures others import,
# wherever they sit in the mirrored folders.
_HERE = Path(__file__).parent
for _folder in sorted({p.parent for p in _HERE.rglob("test_*.py")} | {_HERE}, reverse=True):
    sys.path.insert(0, str(_folder))

from plans import write_plan  # noqa: E402  (after the path is set)

REPO = Path(__file__).resolve().parents[1]
HUNCHUN = REPO / "layers" / "hunchun2020"


@pytest.fixture
def mini_plan(tmp_path: Path) -> Path:
    """The hand-made mini plan written as GeoJSON files."""
    return write_plan(tmp_path / "mini")
