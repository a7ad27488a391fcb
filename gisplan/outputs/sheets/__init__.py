"""Map sheets (出图): static PDF and PNG sheets of the plan for its documents.

- :mod:`~gisplan.outputs.sheets.font`: the embedded CJK font (a PyPI dependency);
- :mod:`~gisplan.outputs.sheets.layout`: paper, frame, scale, title block, scale bar,
  north arrow, legend;
- :mod:`~gisplan.outputs.sheets.draw`: the layers and their labels;
- :mod:`~gisplan.outputs.sheets.sheets`: which sheets a plan gets, written to files.
"""

from gisplan.outputs.sheets.sheets import (
    SheetOptions,
    community_sheets,
    write_sheets,
    write_sheets_for_plan,
)

__all__ = ["SheetOptions", "community_sheets", "write_sheets", "write_sheets_for_plan"]
