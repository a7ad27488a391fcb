from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from plans import write_plan

REPO = Path(__file__).resolve().parents[1]
HUNCHUN = REPO / "layers" / "hunchun2020"


@pytest.fixture
def mini_plan(tmp_path: Path) -> Path:
    """The hand-made mini plan written as GeoJSON files."""
    return write_plan(tmp_path / "mini")
