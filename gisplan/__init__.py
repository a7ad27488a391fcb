"""gisplan: GIS planning for old residential community renovation (城镇老旧小区改造).

The flow is one way, and the package's folders are its rooms:

- :mod:`gisplan.plan`: ``plan.toml`` and its settings, the work-item catalogue
  and the reference data;
- :mod:`gisplan.inputs`: reading layers, the layer contract, validation, spatial
  primitives and the assignment of features to areas;
- :mod:`gisplan.analysis`: per-area scope, contiguous zones, plan diffs, site
  plan review, headline figures;
- :mod:`gisplan.engines`: the dask engine for plans beyond one machine;
- :mod:`gisplan.outputs`: tables, pages, the web map, exports and packages;
- :mod:`gisplan.cli`: the ``gisplan`` command.

This module is the flat face of the core (plan, inputs, analysis): the names a
notebook needs, importable from ``gisplan`` directly.

Examples
--------
>>> import gisplan
>>> layers = gisplan.load_layers("layers/hunchun2020")
>>> zones = gisplan.detect_zones(layers)
>>> scope = gisplan.compute_scope(layers, zones=zones.membership)
>>> figures = gisplan.headline(scope)
>>> int(figures["households"]), len(zones.outlines)
(5054, 4)
"""

__version__ = "0.1.0"

from gisplan.analysis.diff import PlanDiff, diff_plans
from gisplan.analysis.headline import headline, reconciliation
from gisplan.analysis.review import Review, review_proposals
from gisplan.analysis.scope import Scope, compute_scope
from gisplan.analysis.zones import Zones, detect_zones
from gisplan.errors import (
    GisplanError,
    LayerReadError,
    OutputError,
    PlanError,
    ValidationError,
)
from gisplan.inputs.assign import Assignment, assign_to_areas
from gisplan.inputs.validation import Layers, load_layers, validate_plan
from gisplan.plan.settings import Plan, read_plan

__all__ = [
    "Assignment", "GisplanError", "LayerReadError", "Layers", "OutputError", "Plan", "PlanDiff",
    "PlanError", "Review", "Scope", "ValidationError", "Zones", "__version__", "assign_to_areas",
    "compute_scope", "detect_zones", "diff_plans", "headline", "load_layers", "read_plan",
    "reconciliation", "review_proposals", "validate_plan",
]
