"""gisplan: GIS planning for old residential community renovation (城镇老旧小区改造).

The flow is one way: a plan folder (:mod:`gisplan.plan.settings`) gives validated
layers (:mod:`gisplan.inputs.validation`), from which contiguous zones and per-area
scope are computed (:mod:`gisplan.analysis.zones`, :mod:`gisplan.analysis.scope`), and then
outputs are written (:mod:`gisplan.outputs.tables`).
"""

from gisplan.errors import (
    GisplanError,
    LayerReadError,
    OutputError,
    PlanError,
    ValidationError,
)

__version__ = "0.1.0"
__all__ = ["GisplanError", "LayerReadError", "OutputError", "PlanError", "ValidationError",
           "__version__"]
