"""``[sheets]`` of plan.toml: how the static map sheets (出图) are laid out.

Examples
--------
>>> from gisplan.plan.settings import _Collector
>>> from pathlib import Path
>>> col = _Collector(Path("plan.toml"))
>>> parse_sheets(col, {"paper": "A4", "note": "几何为示意"})
SheetSettings(paper='A4', dpi=150, note='几何为示意')
>>> parse_sheets(col, {"paper": "B5", "dip": 3}).paper, len(col.problems)
('A3', 2)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gisplan.plan.settings import _Collector

#: Paper sizes the sheets are laid out for (landscape), as in sheet_papers.csv.
PAPERS = ("A3", "A4")
#: Resolution bounds of the PNG sheets.
MIN_DPI, MAX_DPI = 72, 600


@dataclass(frozen=True)
class SheetSettings:
    """``[sheets]``: paper (A3 or A4 landscape), PNG resolution and a note for the title
    block (e.g. where the data come from)."""

    paper: str = "A3"
    dpi: int = 150
    note: str = ""


def parse_sheets(col: _Collector, section: dict[str, Any]) -> SheetSettings:
    """The ``[sheets]`` table; every problem goes to ``col`` (located), defaults stand in."""
    col.known_keys(section, "sheets", ("paper", "dpi", "note"))
    paper = section.get("paper", SheetSettings.paper)
    if paper not in PAPERS:
        col.bad("sheets", f"'paper' must be one of {list(PAPERS)}, got {paper!r}")
        paper = SheetSettings.paper
    dpi = col.number(section, "sheets", "dpi", SheetSettings.dpi, minimum=MIN_DPI,
                     maximum=MAX_DPI)
    if dpi != int(dpi):
        col.bad("sheets", f"'dpi' must be a whole number, got {dpi!r}")
    note = section.get("note", "")
    if not isinstance(note, str) or len(note) > 200:
        col.bad("sheets", "'note' must be a text of at most 200 characters")
        note = ""
    return SheetSettings(paper=str(paper), dpi=int(dpi), note=note)
