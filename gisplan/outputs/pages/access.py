"""``access.html``: walking access to services on an offline map, with the gaps listed.

One kind of service at a time (a selector on the map): buildings coloured by
their walk to the nearest service of that kind (within half the distance,
within it, up to half as far again, beyond, unreachable), the services of the
kind, and communities shaded by the share of households within. Below the
map: a summary per kind with the standard each distance comes from, and the
gaps, per kind and community, that do not reach it; clicking a gap shows it on
the map. Leaflet is inlined (:mod:`gisplan.outputs.webmap.assets`), every
value escaped.

Examples
--------
>>> import tempfile
>>> from gisplan.analysis.access import compute_access
>>> from gisplan.inputs.validation import load_layers
>>> layers = load_layers("layers/hunchun2020")  # the bundled plan, from the repository root
>>> write_access_page(compute_access(layers), layers, Path(tempfile.mkdtemp())).name
'access.html'
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gisplan import __version__
from gisplan.analysis.access import Access
from gisplan.inputs.validation import Layers
from gisplan.outputs.pages.kit import (
    PAGE_CSS,
    bounds,
    feature_collection,
    html_table,
    json_element,
    number,
    page_assets,
)
from gisplan.outputs.webmap.assets import LEAFLET_ASSETS

DATA_ID = "gisplan-access-data"
#: Buildings not within listed by id in a gap row, at most.
GAP_IDS = 12


def _per_kind(table: pd.DataFrame, column: str, n_kinds: int) -> list[list[Any]]:
    """``column`` of the (building, kind) table as one list per building (kinds in order)."""
    values = table[column].to_numpy(dtype=object).reshape(-1, n_kinds)
    values = np.where(pd.isna(values), None, values)
    return values.tolist()


def access_map_data(access: Access, layers: Layers) -> dict[str, Any]:
    """What the page's script draws: kinds, buildings with their walks, communities with
    their shares, services and roads, as GeoJSON in EPSG:4326."""
    kinds = access.kinds
    n_k = len(kinds)
    b = access.buildings
    props = pd.DataFrame({
        "building_id": b["building_id"].to_numpy(dtype=object),
        "community_id": b["community_id"].to_numpy(dtype=object),
        "households": b["households"].to_numpy(),
        "walk": _per_kind(access.table, "walk_m", n_k) if n_k else [[]] * len(b),
        "service": _per_kind(access.table, "service_id", n_k) if n_k else [[]] * len(b),
    })
    com = layers.communities
    cov = access.coverage[access.coverage["level"] == "community"]
    share = cov.pivot(index="area_id", columns="kind", values="share_within")
    share = share.reindex(index=com["community_id"], columns=kinds["kind"])
    within = cov.pivot(index="area_id", columns="kind", values="households_within").reindex(
        index=com["community_id"], columns=kinds["kind"])
    cprops = pd.DataFrame({
        "community_id": com["community_id"].to_numpy(dtype=object),
        "name": com["name"].to_numpy(dtype=object),
        "street": com["street"].to_numpy(dtype=object),
        "share": np.where(share.isna(), None, share.to_numpy(dtype=object)).tolist(),
        "within": np.where(within.isna(), None, within.to_numpy(dtype=object)).tolist(),
    })
    kind_rows = [{"kind": r.kind, "name_zh": r.name_zh, "name_en": r.name_en,
                  "max_walk_m": float(r.max_walk_m), "life_circle": int(r.life_circle),
                  "services": int(r.services)} for r in kinds.itertuples(index=False)]
    return {
        "kinds": kind_rows,
        "layers": {
            "buildings": feature_collection(b, props),
            "communities": feature_collection(com, cprops),
            "services": feature_collection(access.services, ["service_id", "kind", "snapped"]),
            "roads": feature_collection(access.roads.to_frame("geometry")),
        },
        "bounds": bounds(com, b, access.services),
    }


def summary_table(access: Access) -> str:
    """Per kind: the standard, the services and the households within (city level)."""
    city = access.coverage[access.coverage["level"] == "city"].set_index("kind")
    rows = []
    for r in access.kinds.itertuples(index=False):
        c = city.loc[r.kind] if r.kind in city.index else None
        share = None if c is None or pd.isna(c["share_within"]) else c["share_within"] * 100
        rows.append([(f"{r.name_zh} {r.name_en}", ""), (f"{r.life_circle} 分钟 min", "num"),
                     (number(r.max_walk_m), "num"), (number(r.services), "num"),
                     (number(None if c is None else c["households"]), "num"),
                     (number(None if c is None else c["households_within"]), "num"),
                     ("" if share is None else f"{share:.1f}%", "num"), (str(r.source), "")])
    return html_table(["设施 service", "生活圈 life circle", "步行距离 max walk (m)",
                       "设施数 services", "户数 households", "步行可达户数 within",
                       "覆盖率 share", "依据 source"], rows)


def gap_table(access: Access) -> tuple[str, int]:
    """Per kind and community, the households and buildings not within; and how many rows."""
    t = access.table.assign(households=np.repeat(access.buildings["households"].to_numpy(),
                                                 len(access.kinds)))
    out = t[~t["within"].astype(bool)]
    if out.empty:
        return "<p>—</p>", 0
    areas = access.coverage[access.coverage["level"].isin(["community", "unassigned"])]
    names = dict(zip(areas["area_id"], areas["area_name"], strict=True))
    label = access.kinds.set_index("kind")
    rank = {k: i for i, k in enumerate(label.index)}
    groups = out.groupby(["kind", "community_id"], sort=False)
    summary = groups.agg(households=("households", "sum"), buildings=("building_id", "size"),
                         unreachable=("walk_m", lambda w: int(w.isna().sum())),
                         ids=("building_id", lambda s: list(s)))
    summary = summary.reset_index()
    summary["rank"] = summary["kind"].map(rank)
    summary = summary.sort_values(["rank", "households", "community_id"],
                                  ascending=[True, False, True], kind="stable")
    rows, refs = [], []
    for r in summary.itertuples(index=False):
        ids = ", ".join(map(str, r.ids[:GAP_IDS])) + (" …" if len(r.ids) > GAP_IDS else "")
        rows.append([(f"{label.at[r.kind, 'name_zh']} {r.kind}", ""),
                     (f"{names.get(r.community_id, r.community_id)} ({r.community_id})", ""),
                     (number(r.households), "num"), (number(r.buildings), "num"),
                     (number(r.unreachable), "num"),
                     (number(label.at[r.kind, "max_walk_m"]), "num"), (ids, "")])
        refs.append(f"{r.kind}:{r.community_id}")
    return html_table(["设施 service", "社区 community", "未覆盖户数 households not within",
                       "楼栋 buildings", "其中无法到达 unreachable", "步行距离 max walk (m)",
                       "楼栋编号 building ids"], rows, refs=refs), len(rows)


def access_html(access: Access, layers: Layers, *, plan_name: str = "",
                offline: bool = True) -> str:
    """The access page as one HTML document that loads nothing when ``offline``."""
    e = html.escape
    gaps, n_gaps = gap_table(access)
    warn = len(access.report.warnings)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>步行可达性 walking access {e(plan_name)}</title><style>{PAGE_CSS}</style>
{page_assets(LEAFLET_ASSETS, "access.js", offline=offline)}</head>
<body>
<h1>配套设施步行可达性 walking access to services</h1>
<p>{e(plan_name)}; 坐标 CRS {e(layers.plan.crs)}. 步行距离 = 楼栋中心到最近可步行道路的直线距离 +
沿路网距离 + 道路到设施中心的直线距离 (walk = building centroid to the nearest walkable road,
along the network, then to the service's centroid).</p>
<div id="gp-access-map" class="gp-map"></div>
<h2>各类设施覆盖 coverage per service（全市 city）</h2>
{summary_table(access)}
<h2>缺口 gaps ({n_gaps})</h2>
<p class="gp-note">未在步行距离内的户数，按设施和社区；点击一行在地图上查看 households not within
the walking distance, per service and community; click a row to see it on the map.
{f"{warn} 条警告 warnings (see the command's output)." if warn else ""}</p>
{gaps}
<p class="gp-note">gisplan {e(__version__)}</p>
{json_element(DATA_ID, access_map_data(access, layers))}
<script>GisplanAccess.init('gp-access-map', JSON.parse(
document.getElementById('{DATA_ID}').textContent));</script>
</body></html>
"""


def write_access_page(access: Access, layers: Layers, folder: Path, **options: Any) -> Path:
    """Write ``access.html`` into ``folder`` (options as :func:`access_html`); return it."""
    path = Path(folder) / "access.html"
    path.write_text(access_html(access, layers, **options), encoding="utf-8")
    return path
