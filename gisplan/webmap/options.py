"""Choices of the web map's options (no heavy imports: the CLI reads them to build --help)."""

METRICS = ("households", "cost", "cost_per_household", "renovation_type")
BASEMAPS = ("none", "osm", "tianditu-vec", "tianditu-img")
