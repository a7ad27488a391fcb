"""Data flows one way: the core never imports the outputs, the CLI, folium or dask."""

import subprocess
import sys

CORE = ["gisplan.plan", "gisplan.io", "gisplan.schema", "gisplan.layers", "gisplan.catalogue",
        "gisplan.spatial", "gisplan.grouping", "gisplan.assign", "gisplan.facts", "gisplan.scope",
        "gisplan.costing", "gisplan.zones", "gisplan.partition"]
OUTPUTS = ["gisplan.cli", "gisplan.tables", "gisplan.export", "gisplan.webmap",
           "gisplan.packages", "gisplan.dxf", "gisplan.shapefile", "gisplan.review",
           "gisplan.review_map", "gisplan.diff", "gisplan.report_page", "gisplan.distributed",
           "folium", "dask", "distributed", "playwright", "ezdxf"]


def test_core_imports_no_output_module():
    code = ("import sys\n" + "".join(f"import {m}\n" for m in CORE)
            + f"print([m for m in {OUTPUTS!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
