"""``scope.xlsx``: the workbook a planner hands on (工程量清单), in Chinese.

Sheets, each with a Chinese header, print setup (A4 landscape, header row
repeated, fit to the page width) and whole numbers shown as whole numbers:

- 概览 overview: one row per community with its street, renovation type and
  zone, headline figures and cost, then the 未归属 (unassigned) row and a total
  row that equals the city's;
- 全市清单 city bill: items down the rows (序号, 项目名称, 单位, 工程量, 单价,
  合价, 资金来源, 备注) with a total row;
- 街道清单 street bills: the same per street, one block after another;
- 连片片区 zones: one row per zone with its communities, figures and cost;
- 核对, 资金来源, 改造类型, 因素法: reconciliation, funding by source (city and
  streets), basic against upgrade cost per area, the factor-method allocation.

Only aggregates go in: a sheet per community and the long table would make a
city's workbook take minutes; they are in each 一区一案 package and in
``scope.csv``. The workbook is streamed (:func:`gisplan.outputs.tables.write_sheets`).

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"level": "city", "area_id": "city", "area_name": "全市",
...     "item": ["households", "roof"], "name_zh": ["户数", "屋面"], "unit": ["户", "㎡"],
...     "quantity": [30.0, 5.0], "unit_price_cny": [None, 100.0], "cost_cny": [None, 500.0],
...     "group": ["metric", "building"], "tier": [None, "basic"], "funding": [None, "x"],
...     "source": ["derived", "derived"]})
>>> bill_of_quantities(t, "city", "city")[["序号", "项目名称", "合价（元）"]].values.tolist()
[[1, '屋面', 500.0], ['合计 total', '', 500.0]]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gisplan.analysis.headline import HEADLINE
from gisplan.analysis.scope import Scope, level_figures
from gisplan.outputs.tables import write_csv, write_sheets
from gisplan.plan.catalogue import labels, load_funding_sources

TOTAL = "合计 total"
BILL = ["序号", "项目名称", "单位", "工程量", "单价（元）", "合价（元）", "资金来源", "备注"]


def _texts(values: pd.Series, fn) -> np.ndarray:
    """``fn`` of each value, computed once per distinct value (a few per column)."""
    values = values.astype(object)
    uniques = pd.unique(values)
    return values.map(dict(zip(uniques, map(fn, uniques), strict=True))).to_numpy(dtype=object)


def _bills(rows: pd.DataFrame, area_column: str | None) -> pd.DataFrame:
    """Bills of the areas in ``rows`` (work items of one level), a total row after each."""
    zh = labels()
    funding = load_funding_sources()["name_zh"].to_dict()

    def tier(v: object) -> str:
        return zh.get(f"tier.{v}", "") if isinstance(v, str) else ""

    def source(v: object) -> str:
        return ("+".join(zh.get(f"source.{p}", p) for p in v.split("+"))
                if isinstance(v, str) else "")

    area = rows["area_id"].astype(object).to_numpy()
    note = (rows["item"].astype(object).astype(str).to_numpy() + "；" + _texts(rows["tier"], tier)
            + "；" + _texts(rows["source"], source))
    out = pd.DataFrame({
        "序号": rows.groupby("area_id", sort=False, observed=True).cumcount().to_numpy() + 1,
        "项目名称": rows["name_zh"].astype(object).to_numpy(),
        "单位": rows["unit"].astype(object).to_numpy(),
        "工程量": rows["quantity"].round(3).to_numpy(),
        "单价（元）": rows["unit_price_cny"].to_numpy(),
        "合价（元）": rows["cost_cny"].round(2).to_numpy(),
        "资金来源": _texts(rows["funding"], lambda v: funding.get(v, "")), "备注": note})
    out["序号"] = out["序号"].astype(object)
    totals = rows.groupby("area_id", sort=False, observed=True)["cost_cny"].sum()
    total = pd.DataFrame({"序号": TOTAL, "项目名称": "", "合价（元）": totals.round(2).to_numpy()})
    out["_area"], total["_area"] = area, totals.index.astype(object).to_numpy()
    out["_last"], total["_last"] = 0, 1
    order = {a: i for i, a in enumerate(totals.index)}
    both = pd.concat([out, total], ignore_index=True)
    both["_rank"] = both["_area"].map(order)
    both = both.sort_values(["_rank", "_last"], kind="stable")
    if area_column is not None:
        both.insert(0, area_column, both["_area"])
    return both.drop(columns=["_area", "_last", "_rank"]).reset_index(drop=True)


def bill_of_quantities(table: pd.DataFrame, level: str, area_id: str) -> pd.DataFrame:
    """One area's work items down the rows, priced, with a total row.

    Parameters
    ----------
    table : DataFrame
        A scope's long table (:attr:`Scope.table`).
    level, area_id : str
        The area.

    Returns
    -------
    DataFrame
        Columns :data:`BILL`; 备注 gives the item code, basic or upgrade tier and
        whether the quantity was derived from geometry or declared. Headline metrics
        (households...) are left out: they are not work.
    """
    rows = table[(table["level"] == level) & (table["area_id"] == area_id)
                 & (table["group"] != "metric")]
    if rows.empty:
        return pd.DataFrame([{"序号": TOTAL, "项目名称": "", "合价（元）": 0.0}],
                            columns=BILL)
    return _bills(rows, None)


def _headline_columns() -> dict[str, str]:
    return {item: f"{zh}（{unit}）" for item, zh, _en, unit in HEADLINE}


def overview(scope: Scope, communities: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per community (street, type, zone, headline figures, cost), the unassigned
    row and a total row equal to the city's."""
    zh = labels()
    t = scope.table
    items = [h[0] for h in HEADLINE]
    parts = []
    for level in ("community", "unassigned"):
        wide = level_figures(t, level, items)
        rows = t[t["level"] == level].groupby("area_id", sort=False)
        wide["area_name"] = rows["area_name"].first()
        wide["zone_id"] = rows["zone_id"].first() if "zone_id" in t else None
        wide["level"] = level
        parts.append(wide)
    wide = pd.concat(parts)
    wide.index.name = "area_id"
    wide = wide.reset_index()
    if communities is not None and len(communities):
        info = pd.DataFrame(communities).drop(columns="geometry", errors="ignore")
        info = info.set_index("community_id")
        for col in ("street", "renovation_type"):
            if col in info:
                wide[col] = wide["area_id"].map(info[col])
    for col in ("street", "renovation_type"):
        if col not in wide:
            wide[col] = None
    unassigned = wide["level"] == "unassigned"
    wide.loc[unassigned, "area_name"] = zh["level.unassigned"]
    wide["renovation_type"] = wide["renovation_type"].map(
        lambda v: zh.get(f"renovation_type.{v}", v) if isinstance(v, str) else "")
    out = pd.DataFrame({"社区编号": wide["area_id"], "社区名称": wide["area_name"],
                        "街道": wide["street"], "改造类型": wide["renovation_type"],
                        "连片片区": wide["zone_id"]})
    for item, header in _headline_columns().items():
        out[header] = wide[item].to_numpy()
    out["费用（元）"] = wide["cost_cny"].to_numpy()
    city = t[t["level"] == "city"]
    figures = {header: float(city.loc[city["item"] == item, "quantity"].sum())
               for item, header in _headline_columns().items()}
    total = {"社区编号": TOTAL, "社区名称": "", **figures,
             "费用（元）": float(city["cost_cny"].sum())}
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)


def street_bills(scope: Scope) -> pd.DataFrame:
    """Every street's bill of quantities, one block after another (街道 first)."""
    t = scope.table
    rows = t[(t["level"] == "street") & (t["group"] != "metric")]
    if rows.empty:
        return pd.DataFrame(columns=["街道", *BILL])
    return _bills(rows, "街道")


def _names_by_zone(com: pd.DataFrame) -> dict[str, str]:
    """Each zone's community names joined with 、 in the order of the rows (a dict, as
    ``groupby("zone_id")["area_name"].agg("、".join)`` in one sort, not a call a zone)."""
    given = com["zone_id"].notna().to_numpy()
    codes, zones = pd.factorize(com["zone_id"].to_numpy(dtype=object)[given])
    if not len(codes):
        return {}
    order = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.diff(codes[order], prepend=-1))
    groups = np.split(com["area_name"].to_numpy(dtype=object)[given][order], starts[1:])
    return {zones[c]: "、".join(g) for c, g in zip(codes[order][starts], groups, strict=True)}


def zones_sheet(scope: Scope) -> pd.DataFrame:
    """One row per contiguous zone: its communities, headline figures and cost."""
    t = scope.table
    items = [h[0] for h in HEADLINE]
    wide = level_figures(t, "zone", items)
    com = t[(t["level"] == "community") & (t["item"] == "communities")]
    names = _names_by_zone(com) if "zone_id" in com else {}
    out = pd.DataFrame({"连片片区": wide.index, "社区": [names.get(z, "") for z in wide.index]})
    for item, header in _headline_columns().items():
        out[header] = wide[item].to_numpy()
    out["费用（元）"] = wide["cost_cny"].to_numpy()
    return out


def _zh(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    zh = labels()
    levels = {k.split(".", 1)[1]: v for k, v in zh.items() if k.startswith("level.")}
    out = frame.copy()
    if "level" in out:
        out["level"] = out["level"].map(lambda v: levels.get(v, v))
    return out[[c for c in names if c in out]].rename(columns=names)


def write_workbook(scope: Scope, path: Path, *,
                   communities: pd.DataFrame | None = None) -> Path:
    """Write the planners' ``scope.xlsx`` (see the module's description)."""
    sheets = {"概览 overview": overview(scope, communities),
              "全市清单 city bill": bill_of_quantities(scope.table, "city", "city"),
              "街道清单 street bills": street_bills(scope)}
    if (scope.table["level"] == "zone").any():
        sheets["连片片区 zones"] = zones_sheet(scope)
    if scope.reconciliation is not None:
        sheets["核对 reconciliation"] = _zh(scope.reconciliation, {
            "item": "项目编码", "name_zh": "项目名称", "unit": "单位", "stated": "方案数",
            "computed": "计算数", "difference": "差值", "relative_difference": "相对差值",
            "source": "来源", "source_text": "方案原文"})
    f = scope.funding
    sheets["资金来源 funding"] = _zh(f[f["level"].isin(["city", "street"])], {
        "level": "层级", "area_id": "区域编号", "area_name": "区域名称",
        "funding_name_zh": "资金来源", "cost_cny": "费用（元）", "share": "占比"})
    sheets["改造类型 scenarios"] = _zh(scope.scenarios, {
        "level": "层级", "area_id": "区域编号", "area_name": "区域名称",
        "cost_basic_cny": "基本型费用（元）", "cost_upgrade_cny": "提升型费用（元）",
        "cost_basic_and_upgrade_cny": "基本型+提升型费用（元）",
        "items_basic": "基本型项目数", "items_upgrade": "提升型项目数"})
    sheets["因素法 allocation"] = _zh(scope.allocation, {
        "area_id": "社区编号", "area_name": "社区名称", "factor_floor_area_m2": "建筑面积（㎡）",
        "factor_households": "户数", "factor_buildings": "楼栋数",
        "factor_communities": "社区数", "share": "分配比例", "allocation_cny": "分配金额（元）"})
    notes = {"概览 overview": "全部明细见 scope.csv；每个社区的工程量清单见其一区一案资料包 "
                             "(packages/<社区编号>/scope.xlsx)"}
    return write_sheets(path, sheets, freeze="A2", notes=notes, percent=("占比", "分配比例",
                                                                        "相对差值"),
                        print_setup=True)


def write_scope_tables(scope: Scope, folder: Path, *,
                       communities: pd.DataFrame | None = None,
                       workbook: bool = True) -> list[Path]:
    """Write ``scope.csv``, ``funding.csv``, ``scenarios.csv``, ``allocation.csv``,
    ``reconciliation.csv`` (when the plan states figures) and ``scope.xlsx`` into
    ``folder``; return their paths. ``communities`` (with ``street`` and
    ``renovation_type``) fills in the overview's street and type columns. With
    ``workbook=False`` the caller writes ``scope.xlsx`` (:func:`write_workbook`)."""
    frames = {"scope": scope.table, "funding": scope.funding, "scenarios": scope.scenarios,
              "allocation": scope.allocation}
    if scope.reconciliation is not None:
        frames["reconciliation"] = scope.reconciliation
    written = [write_csv(frame, folder / f"{name}.csv") for name, frame in frames.items()]
    if workbook:
        written.append(write_workbook(scope, folder / "scope.xlsx", communities=communities))
    return written
