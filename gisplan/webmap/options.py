"""Choices of the web map's options (no heavy imports: the CLI reads them to build --help).

They are defined with the plan's ``[map]`` settings, which check the same choices.
"""

from gisplan.plan import BASEMAPS, METRICS

__all__ = ["BASEMAPS", "METRICS"]
