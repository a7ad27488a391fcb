"""The programme of the 2020 Hunchun plan (sections 四 and 六): projects, milestones, progress.

Used by ``make_hunchun2020.py``. Everything here is transcribed from the plan
text, except what the plan does not say, marked *illustrative* in the notes:

- which communities each of the two 发改 (central budget) projects covers: the
  plan does not list them; the first batch takes the 6 提升型 (upgrade)
  communities, the second the 11 基本型 (basic) ones;
- the date of the steps the plan marks 已完成: the plan is undated; they are
  recorded on 2020-06-30, the day before the earliest date it speaks of as
  expected (违建拆除预计从2020年7月1日).
"""

from __future__ import annotations

from pathlib import Path

from _hunchun_io import write_csv

BUDGET, FISCAL = "central_budget", "central_fiscal"  # 发改 / 财政 tracks (funding codes)
#: Work of the 发改 projects: outdoor works and every pipe network but telecom (六（二）1);
#: telecom cabling (综合布线) is 财政's (六（二）2).
NETWORK_ITEMS = ("pipe:sewer:300;pipe:sewer:150;pipe:storm:200;pipe:storm:300;pipe:storm:400;"
                 "pipe:storm:500;pipe:storm:600;pipe:water:32;pipe:water:50;pipe:water:90;"
                 "pipe:water:110;pipe:water:160;pipe:heating;pipe:gas")
# project_id, name, track, community type ("*" for all), groups, items, stated total, note
PROJECTS = [
    ("P1", "2020年珲春市老旧小区改造配套基础设施项目", BUDGET, "upgrade", "outdoor",
     NETWORK_ITEMS, 54_000_000,
     "发改·中央预算内投资：室外工程及通信以外的管网（六（二）1）；方案未列其社区，此处取6个提升型社区"
     "（示意） outdoor works and every network but telecom; the plan lists no communities: "
     "here the 6 upgrade communities (illustrative)"),
    ("P2", "2020年珲春市老旧小区改造项目", FISCAL, "*", "building", "pipe:telecom", 76_000_000,
     "财政·中央财政专项：屋面、楼道、外墙、监控、综合布线，各社区（六（二）2） roofs, stairwells, "
     "façades, CCTV and telecom cabling in every community"),
    ("P3", "2020年珲春市第二批老旧小区改造配套基础设施项目", BUDGET, "basic", "outdoor",
     NETWORK_ITEMS, 50_000_000,
     "发改第二批：同P1，取11个基本型社区（示意） second 发改 batch: as P1, in the 11 basic "
     "communities (illustrative)"),
]
PH = ("前期准备阶段 preparation", "立项用地规划许可阶段 project approval and land-use permit",
      "工程建设许可阶段 works permit", "施工许可阶段 construction permit",
      "项目建设实施阶段 construction", "工程竣工验收阶段 completion acceptance")
ZJ = "住房和城乡建设局"
DONE = "已完成"
# fmt: off
# milestone_id, phase, name, track, start, due, lead, support, note (the plan's words)
MILESTONES = [
    ("A1", PH[0], "老旧小区认定 identifying the old communities", "*", "", "", ZJ,
     "各街道;发展和改革局;财政局;自然资源局", DONE),
    ("A2", PH[0], "调查摸底 survey", "*", "", "", ZJ,
     "各街道;发展和改革局;财政局;自然资源局;城市管理综合行政执法大队;各管线单位", DONE),
    ("A3", PH[0], "改造内容和标准的确定 renovation content and standards", "*", "", "", ZJ,
     "各街道;发展和改革局;财政局;自然资源局;各管线单位", DONE),
    ("A4", PH[0], "改造区域违章建筑的认定和拆除 illegal structures identified and demolished", "*",
     "2020-07-01", "2020-09-15", "各街道",
     "自然资源局;住房和城乡建设局;城市管理综合行政执法大队;公安局",
     "违建拆除预计从2020年7月1日至9月15日"),
    ("A5", PH[0], "架空、附墙线缆落地 overhead and wall-mounted cables underground", "*", "",
     "2020-10-15", "工信局", "各管线单位;各街道;城市管理综合行政执法大队", "2020年10月15日前"),
    ("A6", PH[0], "成立业主委员会 owners' committees formed", "*", "", "", "各街道",
     "城市管理综合行政执法大队", DONE),
    ("A7", PH[0], "改造政策的宣传 publicity of the renovation policy", "*", "", "2021-10-30",
     "宣传部", "住房和城乡建设局;各街道",
     "老旧小区改造全过程；截止日取竣工验收日 throughout the renovation; due = completion "
     "acceptance"),
    ("A8", PH[0], "物业公司的选定 property management companies chosen", "*", "", "", "各街道",
     "各小区业主委员会;城市管理综合行政执法大队;相关部门", DONE),
    ("A9", PH[0], "改造工作机制的建立 working mechanisms set up", "*", "", "", ZJ,
     "财政局;发展和改革局;组织部;宣传部;城市管理综合行政执法大队;自然资源局;各街道",
     "陆续制定出台了机制文件（未标已完成） mechanism documents issued one by one; not marked done"),
    ("B1", PH[1], "项目可研及评审 feasibility study and review", "*", "", "", ZJ, "发展和改革局",
     DONE),
    ("B2", PH[1], "建设用地规划许可 land-use planning permit", "*", "", "", ZJ, "自然资源局", DONE),
    ("B3", PH[1], "可研批复及发改立项 feasibility approval and project registration", "*", "", "",
     ZJ, "发展和改革局", DONE),
    ("C1", PH[2], "勘察设计招投标 survey and design tender", "*", "", "", ZJ, "政数局",
     "发改第一批资金支持项目已完成，财政资金支持项目已完成（第二批未提及） done for the first 发改 "
     "batch and for 财政; the second batch is not mentioned"),
    ("C2", PH[2], "初步设计审查批复 preliminary design approval", "*", "", "", "发展和改革局", ZJ,
     "发改资金支持项目已完成，财政资金支持项目已完成"),
    ("C3-B", PH[2], "施工图设计审查备案（发改） construction drawing review (发改)", BUDGET, "", "",
     ZJ, "", "发改资金支持项目已完成"),
    ("C3-F", PH[2], "施工图设计审查备案（财政） construction drawing review (财政)", FISCAL, "",
     "2020-08-20", ZJ, "", "财政资金支持项目8月20日前完成"),
    ("D1-B", PH[3], "监理招投标（发改） supervision tender (发改)", BUDGET, "", "2020-08-28", ZJ,
     "政数局", "发改资金支持项目8月28日前完成"),
    ("D1-F", PH[3], "监理招投标（财政） supervision tender (财政)", FISCAL, "", "2020-09-15", ZJ,
     "政数局", "财政资金支持项目9月15日前完成"),
    ("D2-B", PH[3], "施工招投标（发改） construction tender (发改)", BUDGET, "", "2020-08-28", ZJ,
     "政数局", "发改资金支持项目8月28日前完成"),
    ("D2-F", PH[3], "施工招投标（财政） construction tender (财政)", FISCAL, "", "2020-09-15", ZJ,
     "政数局", "财政资金支持项目9月15日前完成"),
    ("D3-B", PH[3], "施工许可证办理（发改） construction permit (发改)", BUDGET, "", "2020-09-10",
     ZJ, "", "发改资金支持项目9月10日前完成"),
    ("D3-F", PH[3], "施工许可证办理（财政） construction permit (财政)", FISCAL, "", "2020-09-20",
     ZJ, "", "财政资金支持项目9月20日前完成"),
    ("E1", PH[4], "成立工程建设管理项目部 project management office set up", "*", "", "2020-09-05",
     ZJ, "各街道;社区;相关单位", "2020年9月5日前完成"),
    ("E2-B", PH[4], "工程项目施工·开工（发改） works start (发改)", BUDGET, "", "2020-09-12", ZJ,
     "各施工单位", "发改资金支持项目9月12日前"),
    ("E2-F", PH[4], "工程项目施工·开工（财政） works start (财政)", FISCAL, "", "2020-09-22", ZJ,
     "各施工单位", "财政资金支持项目9月22日前"),
    ("F1", PH[5], "初步验收 preliminary acceptance", "*", "", "2021-10-30", "监理公司",
     "改造工程建设管理项目部组成单位", "由于疫情顺延至2021年10月30日前"),
    ("F2", PH[5], "竣工验收 completion acceptance", "*", "", "2021-10-30", ZJ,
     "改造工程建设管理项目部组成单位", "2021年10月30日前"),
]
# fmt: on
PLAN_DAY = "2020-06-30"
DONE_NOTE = ("方案标为已完成；方案未注日期，记于2020-06-30"
             "（方案以“预计”提到的最早日期7月1日之前一天） "
             "marked 已完成 in the plan, which is undated: recorded the day before the earliest "
             "date it calls expected")
#: (milestone, project) the plan marks 已完成; A9's mechanism documents are issued (started).
PROGRESS = [(m, "*", "done") for m in ("A1", "A2", "A3", "A6", "A8", "B1", "B2", "B3", "C2",
                                       "C3-B")]
PROGRESS += [("C1", "P1", "done"), ("C1", "P2", "done"), ("A9", "*", "started")]


def write_programme(out: Path, comms: list[dict]) -> None:
    """``projects.csv``, ``milestones.csv`` and ``progress.csv`` into ``out``.

    ``comms`` are the generated communities (``code``, ``type``), sorted by code.
    """
    rows = []
    for pid, name, track, kind, groups, items, total, note in PROJECTS:
        ids = "*" if kind == "*" else ";".join(d["code"] for d in comms if d["type"] == kind)
        rows.append((pid, name, track, ids, groups, items, total, note))
    write_csv(out / "projects.csv", ["project_id", "name", "track", "communities", "groups",
                                     "items", "stated_total_cny", "note"], rows)
    write_csv(out / "milestones.csv", ["milestone_id", "phase", "name", "track", "start", "due",
                                       "lead", "support", "note"], MILESTONES)
    order = {m[0]: i for i, m in enumerate(MILESTONES)}
    progress = sorted(PROGRESS, key=lambda r: (order[r[0]], r[1]))
    note = {"done": DONE_NOTE, "started": "机制文件陆续制定出台（未标已完成），日期同上 mechanism "
            "documents issued; not marked done; date as above"}
    write_csv(out / "progress.csv", ["date", "milestone_id", "project_id", "status", "note"],
              [(PLAN_DAY, m, p, s, note[s]) for m, p, s in progress])
