"""Write the notebooks of this folder, one per user, with their outputs cleared.

    python notebooks/make_notebooks.py          # rewrite them
    python notebooks/make_notebooks.py --check  # exit 1 if a notebook differs from this script

The notebooks run from this folder (relative paths only): they read the
Hunchun plan in ``../layers/hunchun2020`` and write into
``../outputs/notebooks/<name>/`` (git-ignored), never into ``layers/``.
``tests/e2e/test_notebooks.py`` runs each of them top to bottom.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

IFRAME = "from IPython.display import IFrame\n"
SETUP = """\
import shutil
from pathlib import Path

import pandas as pd
{iframe}
from gisplan import compute_scope, detect_zones, load_layers

pd.set_option("display.max_columns", 20)
pd.set_option("display.width", 160)
PLAN = Path("../layers/hunchun2020")
OUT = Path("../outputs/notebooks/{name}")
shutil.rmtree(OUT, ignore_errors=True)  # every run starts from nothing
OUT.mkdir(parents=True)
layers = load_layers(PLAN)
zones = detect_zones(layers)
scope = compute_scope(layers, zones=zones.membership)
print(layers.plan.name, "·", layers.plan.crs)"""

PLANNER = [
    new_markdown_cell("""\
# 规划师导览 · Planner's tour

The 2020 Hunchun plan (2020年珲春市老旧小区改造) from its layers to the figures a planner
reports: what the plan holds, its contiguous zones (集中连片), the scope per street and
community, cost and funding, the reconciliation with the plan's own totals, the web map and
the one-page summary. Outputs go to `../outputs/notebooks/01_planner_tour/`."""),
    new_code_cell(SETUP.format(name="01_planner_tour", iframe=IFRAME)),
    new_markdown_cell("## The layers\n\nEvery layer is validated on loading; "
                      "warnings say what lies outside every community."),
    new_code_cell("""\
from gisplan.plan.settings import LAYER_NAMES

pd.Series({name: len(layers.layer(name)) for name in LAYER_NAMES}, name="features")"""),
    new_code_cell("""\
warnings = [p.format() for p in layers.report.warnings]
print(len(warnings), "warnings")
warnings[:3]"""),
    new_markdown_cell("## Contiguous zones (集中连片)\n\nCommunities closer than "
                      "`max_gap_m` with no trunk road, river or rail between them form a zone."),
    new_code_cell("""\
members = zones.membership.reset_index().merge(
    layers.communities[["community_id", "name", "street"]], on="community_id")
members.groupby("zone_id").agg(communities=("name", "size"), names=("name", "、".join),
                               streets=("street", lambda s: "、".join(sorted(set(s)))))"""),
    new_markdown_cell("## Headline figures and scope per street"),
    new_code_cell("""\
t = scope.table
city = t[t["level"] == "city"].set_index("item")
headline = city.loc[["communities", "buildings", "households", "floor_area_m2"],
                    ["name_zh", "quantity", "unit"]]
print(f"费用 cost {city['cost_cny'].sum() / 1e4:,.1f} 万元")
assert headline.loc["households", "quantity"] == 5054
headline"""),
    new_code_cell("""\
def per_area(level):
    rows = t[t["level"] == level]
    wide = rows[rows["group"] == "metric"].pivot_table(
        index="area_name", columns="item", values="quantity", aggfunc="sum")
    wide = wide[["communities", "buildings", "households", "floor_area_m2"]]
    return wide.assign(cost_wan=rows.groupby("area_name")["cost_cny"].sum() / 1e4).round(1)

per_area("street")"""),
    new_code_cell("""\
per_area("community").sort_values("cost_wan", ascending=False).head(8)"""),
    new_markdown_cell("## Cost by funding source, basic against upgrade"),
    new_code_cell("""\
f = scope.funding[scope.funding["level"] == "city"]
f.assign(cost_wan=f["cost_cny"] / 1e4)[["funding_name_zh", "funding", "cost_wan", "share"]]"""),
    new_code_cell("""\
s = scope.scenarios
s[s["level"].isin(["street", "city"])][["area_name", "cost_basic_cny", "cost_upgrade_cny",
                                        "cost_basic_and_upgrade_cny"]]"""),
    new_markdown_cell("## Reconciliation with the plan's stated totals"),
    new_code_cell("""\
r = scope.reconciliation.dropna(subset=["stated"])
off = r[r["difference"].abs() > 1e-6 * r["stated"].abs().clip(lower=1)]
print(f"{len(r) - len(off)} of {len(r)} stated figures match")
r[["item", "name_zh", "unit", "stated", "computed", "difference"]].head(10)"""),
    new_markdown_cell("## The web map and the summary page\n\nBoth pages are single offline "
                      "files (Leaflet is inlined); open them from the output folder too."),
    new_code_cell("""\
from gisplan.outputs.webmap import build_map, write_map

webmap = build_map(layers, scope, zones)
write_map(webmap, OUT)
print(webmap.stats["features"])
IFrame(src=str(OUT / "map.html"), width="100%", height=560)"""),
    new_code_cell("""\
from gisplan.outputs.pages.summary import write_report

page = write_report(scope, OUT, plan_name=layers.plan.name)
IFrame(src=str(page), width="100%", height=560)"""),
    new_code_cell("""\
from gisplan.outputs.workbook import write_scope_tables

sorted(p.name for p in write_scope_tables(scope, OUT))"""),
]

REVIEW = [
    new_markdown_cell("""\
# 选址审查 · Bureau review

The natural resources bureau checks proposed facilities against the site-plan rules: a
proposal is drawn here (an EV charger beside a building and a bike shed in the open), its
findings listed, the review page written with its map, and a reviewer's markup made the way
the page's "导出标注 export markup" button writes it, read back and listed in the next review.
Outputs go to `../outputs/notebooks/02_bureau_review/`."""),
    new_code_cell(SETUP.format(name="02_bureau_review", iframe=IFRAME)),
    new_markdown_cell("## A proposal\n\nThe first community's largest building gets a charger "
                      "1.5 m off its wall; a 4 x 3 m bike shed goes where the community is "
                      "most open."),
    new_code_cell("""\
import geopandas as gpd
import numpy as np
import shapely

com = layers.communities.sort_values("community_id").iloc[0]
inside = layers.buildings[layers.buildings.within(com.geometry)]
home = inside.loc[inside.geometry.area.idxmax()]
charger = home.geometry.buffer(1.5).exterior.interpolate(0.1, normalized=True)

# A grid of candidate spots in the community, kept 8 m inside its edge.
x0, y0, x1, y1 = com.geometry.bounds
xs, ys = np.meshgrid(np.arange(x0, x1, 5.0), np.arange(y0, y1, 5.0))
spots = shapely.points(xs.ravel(), ys.ravel())
spots = spots[shapely.contains(com.geometry.buffer(-8), spots)]
clearance = np.minimum(
    shapely.STRtree(layers.buildings.geometry.values).query_nearest(
        spots, return_distance=True)[1],
    shapely.STRtree(layers.pipes.geometry.values).query_nearest(
        spots, return_distance=True)[1])
best = spots[np.argmax(clearance)]
shed = shapely.box(best.x - 2, best.y - 1.5, best.x + 2, best.y + 1.5)

proposal = gpd.GeoDataFrame(
    {"facility_id": ["EV-1", "BIKE-1"], "item": ["ev_charger", "bike_shed"],
     "community_id": [com.community_id] * 2},
    geometry=[charger, shed], crs=layers.plan.crs)
proposal_file = OUT / "proposal.geojson"
proposal.to_crs("EPSG:4326").to_file(proposal_file, driver="GeoJSON", engine="pyogrio")
print(com["name"], com.community_id, "· building", home.building_id)"""),
    new_markdown_cell("## Its findings\n\nOne row per rule per proposal, passes included."),
    new_code_cell("""\
from gisplan.analysis.review import review_proposals
from gisplan.inputs.proposals import load_rules, read_markup, read_proposal

proposals = read_proposal(proposal_file, layers)
review = review_proposals(layers, proposals, rules=load_rules(),
                          inputs={"proposal": proposal_file.name})
review.proposals[["facility_id", "item", "passed", "failed_rules"]]"""),
    new_code_cell("""\
f = review.findings
assert "building_setback" in review.proposals.set_index("facility_id").loc["EV-1", "failed_rules"]
f[~f["passed"]][["feature_id", "rule", "rule_zh", "measured", "limit", "unit", "message"]]"""),
    new_code_cell("""\
f[f["feature_id"] == "BIKE-1"][["rule", "measured", "limit", "passed"]]"""),
    new_markdown_cell("## The demolition ledger (违建台账) and the review page"),
    new_code_cell("""\
review.ledger[["structure_id", "kind", "status", "community_name", "area_m2"]].head()"""),
    new_code_cell("""\
from gisplan.outputs.pages.review import write_review
from gisplan.outputs.pages.review_map import review_map

written = write_review(review, OUT / "review", map_html=review_map(layers))
print([p.name for p in written])
IFrame(src=str(OUT / "review" / "review.html"), width="100%", height=600)"""),
    new_markdown_cell("""\
## Markup round trip

The review page's drawing tool exports a GeoJSON FeatureCollection in EPSG:4326 with
`mark_id`, `reviewer`, `time` (ISO 8601), `comment` and `status`. Here one is written the
same way, read back with `read_markup` and listed in the next review."""),
    new_code_cell("""\
marks = gpd.GeoDataFrame(
    {"mark_id": ["M1", "M2"], "reviewer": ["张工", "李工"],
     "time": ["2024-05-01T09:30:00+08:00", "2024-05-02T10:00:00+08:00"],
     "comment": ["充电桩距楼不足3米，请外移 move the charger 3 m off the wall",
                 "车棚位置可行 the bike shed can stay"],
     "status": ["open", "resolved"]},
    geometry=[charger, shed.centroid], crs=layers.plan.crs)
markup_file = OUT / "markup.geojson"
marks.to_crs("EPSG:4326").to_file(markup_file, driver="GeoJSON", engine="pyogrio")
markup = read_markup(markup_file, layers)
markup"""),
    new_code_cell("""\
from gisplan.outputs.pages.review import markup_table

second = review_proposals(layers, proposals, rules=load_rules(), markup=markup,
                          inputs={"proposal": proposal_file.name, "markup": markup_file.name})
listed = markup_table(second)
assert listed["comment"].tolist() == marks["comment"].tolist()
write_review(second, OUT / "review2", map_html=review_map(layers))
listed"""),
    new_markdown_cell("The same from the command line:"),
    new_code_cell("""\
import contextlib
import io

from gisplan.cli.main import main

with contextlib.redirect_stderr(io.StringIO()):  # the plan's warnings, listed above
    code = main(["review", str(PLAN), "--proposal", str(proposal_file),
                 "--markup", str(markup_file), "--out", str(OUT / "review_cli")])
assert code == 0"""),
]

EXPORT = [
    new_markdown_cell("""\
# 设计单位 · Exports for design firms

The plan's layers, enriched with each feature's community, zone and scope figures, in four
formats (GeoJSON, GeoPackage, Shapefile, DXF) and as 一区一案 packages, then opened again
the way a design firm would: pyogrio and fiona for the GIS files, ezdxf for the drawing.
Outputs go to `../outputs/notebooks/03_design_firm_export/`."""),
    new_code_cell(SETUP.format(name="03_design_firm_export", iframe="")),
    new_code_cell("""\
from gisplan.outputs.exports.layer_files import FORMATS, write_exports

folder = OUT / "exports"
written = write_exports(layers, scope, zones, folder, formats=FORMATS)
pd.DataFrame({"file": [p.relative_to(folder).as_posix() for p in written],
              "kB": [round(p.stat().st_size / 1024, 1) for p in written]})"""),
    new_markdown_cell("## GeoJSON (RFC 7946, EPSG:4326) with pyogrio"),
    new_code_cell("""\
import pyogrio

buildings = pyogrio.read_dataframe(folder / "geojson" / "buildings.geojson")
assert len(buildings) == len(layers.buildings) and buildings.crs.to_epsg() == 4326
buildings.drop(columns="geometry").head()"""),
    new_markdown_cell("## GeoPackage (working CRS) with pyogrio and fiona"),
    new_code_cell("""\
import fiona

gpkg = folder / "layers.gpkg"
print(pyogrio.list_layers(gpkg))
with fiona.open(gpkg, layer="pipes") as src:
    print(src.crs, len(src))
    print(dict(src.schema["properties"]))"""),
    new_markdown_cell("## Shapefile (GBK, with a .cpg) and its field-name map"),
    new_code_cell("""\
shp = folder / "shp"
print((shp / "communities.cpg").read_text())
with fiona.open(shp / "communities.shp") as src:  # fiona honours the .cpg
    names = [feature["properties"]["name"] for feature in src]
assert names == layers.communities["name"].tolist()
print(names[:5])
pd.read_csv(shp / "fields.csv").head(8)"""),
    new_markdown_cell("## DXF (R2010, working CRS) with ezdxf"),
    new_code_cell("""\
import ezdxf

doc = ezdxf.readfile(folder / "layers.dxf")
msp = doc.modelspace()
counts = pd.Series([e.dxf.layer for e in msp]).value_counts()
print("CRS", doc.header.custom_vars.get("CRS"))
counts.head(12)"""),
    new_markdown_cell("## 一区一案 packages\n\nOne folder (or zip) per community: its layers, "
                      "drawing, bill of quantities and a manifest with checksums."),
    new_code_cell("""\
import json
import zipfile

from gisplan.outputs.packages import write_packages

first = layers.communities["community_id"].sort_values().iloc[0]
(package,) = write_packages(layers, scope, zones, OUT / "packages", communities=[first])
manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
print(sorted(p.name for p in package.iterdir()))
pd.DataFrame(manifest["files"])[["path", "format", "features", "sha256"]]"""),
    new_code_cell("""\
(zipped,) = write_packages(layers, scope, zones, OUT / "zips", communities=[first], as_zip=True)
zipfile.ZipFile(zipped).namelist()"""),
]

NOTEBOOKS = {"01_planner_tour.ipynb": PLANNER, "02_bureau_review.ipynb": REVIEW,
             "03_design_firm_export.ipynb": EXPORT}


def notebook(cells: list) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"  # stable ids: regenerating changes nothing
    return nb


def render(cells: list) -> str:
    return nbformat.writes(notebook(cells)) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--check", action="store_true",
                      help="only check that the notebooks match this script")
    check = args.parse_args(argv).check
    stale = []
    for name, cells in NOTEBOOKS.items():
        path = HERE / name
        text = render(cells)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(HERE.parent)}")
    if stale:
        print(f"out of date (run python notebooks/make_notebooks.py): {', '.join(stale)}",
              file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
