"""``diff.html``: the plan diff on an offline map, with the per-community scope change table.

Changed features are drawn by change: added green, removed red, moved and
reshaped ones twice (the old shape dashed grey, the new one orange),
attribute-only changes blue; each popup says what changed (shift, Hausdorff
distance, size, the attributes old → new). Below the map: the changed
features and the per-community (and city) quantity and cost changes of
:attr:`gisplan.analysis.diff.PlanDiff.scope`; clicking a feature row opens it on the
map. Leaflet is inlined (:mod:`gisplan.outputs.webmap.assets`), every value escaped.

Examples
--------
>>> write_diff_map(diff, Path("out"), old_name="v1", new_name="v2")  # doctest: +SKIP
PosixPath('out/diff.html')
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from gisplan import __version__
from gisplan.analysis.diff import PlanDiff
from gisplan.outputs.exports.layer_files import write_rfc7946
from gisplan.outputs.pages.kit import (
    PAGE_CSS,
    bounds,
    feature_collection,
    html_table,
    json_element,
    number,
    page_assets,
)
from gisplan.outputs.tables import write_csv
from gisplan.outputs.webmap.assets import LEAFLET_ASSETS
from gisplan.plan.catalogue import read_data

DATA_ID = "gisplan-diff-data"
CHANGES = {"added": "新增 added", "removed": "删除 removed", "moved": "移动 moved",
           "reshaped": "改形 reshaped", "attributes": "属性变化 attributes only"}
CSS = PAGE_CSS + """
.gp-t td.up{color:#a50f15}.gp-t td.down{color:#006d2c}"""


def _sign(x: float) -> str:
    return "num up" if x > 1e-9 else "num down" if x < -1e-9 else "num"


def _attributes_zh(text: object) -> str:
    """``households: 63 → 75; floors: 5 → 6`` with each column's Chinese name first."""
    if not isinstance(text, str) or not text:
        return ""
    names = read_data("shapefile_fields.csv").set_index("column")["name_zh"].to_dict()
    parts = []
    for part in text.split("; "):
        col, sep, rest = part.partition(": ")
        parts.append(f"{names[col]} {col}{sep}{rest}" if sep and col in names else part)
    return "；".join(parts)


def feature_table(diff: PlanDiff) -> str:
    f = diff.features
    rows, refs = [], []
    for r in f.itertuples(index=False):
        size = ("" if not r.size_unit or pd.isna(r.size_unit) else
                f"{number(r.size_old)} → {number(r.size_new)} {r.size_unit}")
        rows.append([(str(r.layer), ""), (str(r.feature_id), ""),
                     (CHANGES.get(r.change, r.change), ""),
                     (number(r.shift_m), "num"), (number(r.hausdorff_m), "num"), (size, ""),
                     (_attributes_zh(r.attributes), "")])
        refs.append(f"feature:{r.layer}:{r.feature_id}")
    return html_table(["图层 layer", "编号 id", "变化 change", "位移 shift (m)",
                       "偏差 Hausdorff (m)", "大小 size", "属性 attributes"], rows, refs=refs)


def scope_table(diff: PlanDiff, level: str) -> str:
    s = diff.scope[diff.scope["level"] == level]
    rows = []
    for r in s.itertuples(index=False):
        area = ("全市 city" if level == "city" else "未归属 unassigned" if level == "unassigned"
                else f"{r.area_name} ({r.area_id})")
        total = r.item == "total_cost"
        rows.append([(str(area), ""), (str(r.name_zh if not pd.isna(r.name_zh) else r.item), ""),
                     (str(r.unit if not pd.isna(r.unit) else ""), ""),
                     ("" if total else number(r.quantity_old), "num"),
                     ("" if total else number(r.quantity_new), "num"),
                     ("" if total else number(r.quantity_change), _sign(r.quantity_change)),
                     (number(r.cost_old_cny, 0), "num"), (number(r.cost_new_cny, 0), "num"),
                     (number(r.cost_change_cny, 0), _sign(r.cost_change_cny))])
    return html_table(["区域 area", "项目 item", "单位 unit", "原数量 old", "新数量 new",
                       "变化 change", "原费用 old cost (元)", "新费用 new cost (元)",
                       "费用变化 cost change (元)"], rows)


def diff_map_data(diff: PlanDiff, *, context: gpd.GeoDataFrame | None = None) -> dict[str, Any]:
    """GeoJSON of the changed features (with what changed), counts per change, context."""
    g = diff.geometries.reset_index(drop=True)
    details = diff.features.set_index(["layer", "feature_id"])
    cols = ["shift_m", "hausdorff_m", "size_old", "size_new", "size_unit", "attributes"]
    key = pd.MultiIndex.from_arrays([g["layer"], g["feature_id"].astype(str)])
    details.index = pd.MultiIndex.from_arrays([details.index.get_level_values(0),
                                               details.index.get_level_values(1).astype(str)])
    extra = details.reindex(key)[cols].reset_index(drop=True)
    props = pd.concat([pd.DataFrame(g[["layer", "feature_id", "change", "version"]])
                       .reset_index(drop=True), extra], axis=1)
    counts = diff.features["change"].value_counts()
    ctx = None
    if context is not None and len(context):
        ctx = feature_collection(context, [c for c in ("community_id", "name") if c in context])
    return {"counts": {k: int(counts.get(k, 0)) for k in CHANGES},
            "layers": {"changes": feature_collection(g, props), "context": ctx},
            "bounds": bounds(g) or (bounds(context) if context is not None else None)}


def diff_html(diff: PlanDiff, *, old_name: str = "", new_name: str = "",
              old_source: str = "", new_source: str = "",
              context: gpd.GeoDataFrame | None = None, offline: bool = True) -> str:
    """The diff page as one offline HTML document.

    ``old_source``/``new_source`` say where each version comes from (folder and
    date); ``context`` (e.g. the new version's communities) is drawn as thin outlines.
    """
    e = html.escape
    data = diff_map_data(diff, context=context)
    counts = html_table(["变化 change", "要素 features"],
                        [[(label, ""), (str(data["counts"][k]), "num")]
                         for k, label in CHANGES.items()])
    title = f"{old_name} → {new_name}" if old_name or new_name else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>规划版本对比 plan diff {e(title)}</title><style>{CSS}</style>
{page_assets(LEAFLET_ASSETS, "diff.js", offline=offline)}</head>
<body>
<h1>规划版本对比 plan diff</h1>
<table class="gp-t"><tbody>
<tr><th>旧版 old</th><td><b>{e(old_name)}</b></td><td>{e(old_source)}</td></tr>
<tr><th>新版 new</th><td><b>{e(new_name)}</b></td><td>{e(new_source)}</td></tr>
<tr><th>坐标 CRS</th><td colspan="2">{e(diff.crs)}</td></tr></tbody></table>
{counts}
{_unchanged_html(diff)}
<div id="gp-diff-map" class="gp-map"></div>
<h2>变化要素 changed features</h2>
<p class="gp-note">点击一行可在地图上定位 click a row to find it on the map.</p>
{feature_table(diff)}
<h2>各社区规模与费用变化 scope change per community</h2>
{scope_table(diff, "community")}
<h2>未归属 unassigned</h2>
{scope_table(diff, "unassigned")}
<h2>全市 city</h2>
{scope_table(diff, "city")}
<p class="gp-note">gisplan {e(__version__)}</p>
{json_element(DATA_ID, data)}
<script>GisplanDiff.init('gp-diff-map', JSON.parse(
document.getElementById('{DATA_ID}').textContent));</script>
</body></html>
"""


def _unchanged_html(diff: PlanDiff) -> str:
    if not diff.unchanged:
        return ""
    zh = {"communities": "社区", "buildings": "楼栋", "pipes": "管线", "facilities": "设施",
          "structures": "违建及仓房", "barriers": "障碍"}
    text = "，".join(f"{zh.get(k, k)} {v:,}" for k, v in diff.unchanged.items() if v)
    return f'<p class="gp-note">未变化 unchanged: {html.escape(text)}</p>' if text else ""


def write_diff_map(diff: PlanDiff, folder: Path, **options: Any) -> Path:
    """Write ``diff.html`` into ``folder`` (options as :func:`diff_html`); return its path."""
    path = Path(folder) / "diff.html"
    path.write_text(diff_html(diff, **options), encoding="utf-8")
    return path


def write_diff(diff: PlanDiff, folder: Path) -> list[Path]:
    """``diff.csv`` (features), ``diff_scope.csv`` and ``diff.geojson`` (RFC 7946) in ``folder``."""
    written = [folder / "diff.csv", folder / "diff_scope.csv"]
    write_csv(diff.features, written[0])
    write_csv(diff.scope, written[1])
    path = folder / "diff.geojson"
    if len(diff.geometries):
        write_rfc7946(diff.geometries, path)
    else:
        path.write_text('{"type": "FeatureCollection", "features": []}\n', encoding="utf-8")
    return [*written, path]
