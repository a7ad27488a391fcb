"""The review in the bureau's words: conclusions, failing rules in Chinese, opinions.

Each failing rule becomes a sentence with what was measured against what is
required, in metres or square metres (``建筑退让距离：实测 2 m（b1），要求距建筑外墙不小于
3 m``); each proposal gets a conclusion (通过 / 需修改 / 不通过) and a printable
opinion (审查意见). The rules' names, requirements and sources are data
(``gisplan/plan/data/review_rule_labels.csv``). Every text is escaped here.

Examples
--------
>>> row = {"rule": "building_setback", "measured": 2.0, "limit": 3.0, "unit": "m",
...        "related_ids": "b1"}
>>> finding_zh(row)
'建筑退让距离：实测 2 m（b1），要求距建筑外墙不小于 3 m'
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd

from gisplan.analysis.review import Review, rule_family, rule_labels

#: Conclusions in Chinese, with their badge class.
CONCLUSION_ZH = {"pass": ("通过", "gp-pass"), "revise": ("需修改", "gp-revise"),
                 "reject": ("不通过", "gp-reject")}
NETWORK_ZH = {"water": "给水", "sewer": "污水", "storm": "雨水", "heating": "供热", "gas": "燃气",
              "power": "电力", "telecom": "通信"}


def _num(v: object) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "—"
    return f"{float(v):,.3f}".rstrip("0").rstrip(".")  # type: ignore[arg-type]


def rule_name_zh(rule: str) -> str:
    """The rule's Chinese name; pipe setbacks name their network."""
    labels = rule_labels()
    family = str(rule_family(pd.Series([rule])).iloc[0])
    name = labels["name_zh"].get(family, rule)
    if family == "pipe_setback":
        net = str(rule).removeprefix("pipe_setback_")
        name = f"{name}（{NETWORK_ZH.get(net, net)}）"
    return str(name)


def requirement_zh(rule: str, limit: object) -> str:
    """What the rule requires, with the limit in place (``距建筑外墙不小于 3 m``)."""
    family = str(rule_family(pd.Series([rule])).iloc[0])
    text = rule_labels()["requirement_zh"].get(family, "")
    return str(text).replace("{limit}", _num(limit))


def finding_zh(row: Mapping[str, object]) -> str:
    """One finding as a sentence: the rule, what was measured, what is required."""
    unit = "㎡" if row.get("unit") == "m²" else ("处" if row.get("unit") == "features"
                                                else str(row.get("unit") or ""))
    related = row.get("related_ids")
    where = f"（{related}）" if isinstance(related, str) and related else ""
    return (f"{rule_name_zh(str(row['rule']))}：实测 {_num(row.get('measured'))} {unit}"
            f"{where}，要求{requirement_zh(str(row['rule']), row.get('limit'))}")


def failing_sentences(review: Review) -> dict[object, list[str]]:
    """Per proposal id, its failing rules as sentences (empty list: passes all)."""
    f = review.findings
    bad = f[~f["passed"].astype(bool)]
    out: dict[object, list[str]] = {fid: [] for fid in review.proposals["facility_id"]}
    for row in bad.to_dict("records"):
        out.setdefault(row["feature_id"], []).append(finding_zh(row))
    return out


def badge(conclusion: str) -> str:
    text, cls = CONCLUSION_ZH.get(conclusion, (conclusion, ""))
    return f'<span class="gp-badge {cls}">{html.escape(text)}</span>'


def rules_table(review: Review) -> str:
    """Every rule used: name, requirement with its limit, unit, what failing it means, source."""
    e = html.escape
    labels = rule_labels()
    f = review.findings.drop_duplicates("rule")
    rows = []
    for r in f.itertuples(index=False):
        family = str(rule_family(pd.Series([r.rule])).iloc[0])
        on_fail = CONCLUSION_ZH.get(str(labels["on_fail"].get(family, "revise")))[0]
        rows.append("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in (
            rule_name_zh(r.rule), requirement_zh(r.rule, r.limit),
            "㎡" if r.unit == "m²" else r.unit, on_fail, labels["source"].get(family, ""),
            r.rule)) + "</tr>")
    head = ["规则 rule", "要求 requirement", "单位 unit", "不符合时 if failed",
            "依据 source", "代码 code"]
    return ('<table class="gp-t"><thead><tr>' + "".join(f"<th>{e(h)}</th>" for h in head)
            + "</tr></thead><tbody>" + "\n".join(rows) + "</tbody></table>")


def opinions(review: Review, *, date: str) -> str:
    """One printable opinion (审查意见) per proposal, each on its own page when printed."""
    e = html.escape
    sentences = failing_sentences(review)
    parts = []
    for n, p in enumerate(review.proposals.itertuples(index=False), start=1):
        reasons = sentences.get(p.facility_id, [])
        conclusion = CONCLUSION_ZH.get(p.conclusion, (p.conclusion, ""))[0]
        advice = ("经审查，该选址符合各项审查规则，同意按申报方案实施。" if not reasons else
                  "经审查，该选址存在下列问题，" + ("请修改方案后重新申报："
                                                 if p.conclusion == "revise"
                                                 else "不予同意："))
        items = "".join(f"<li>{e(s)}</li>" for s in reasons)
        community = f"{p.community_name or ''}（{p.community_id}）"
        parts.append(f"""<article class="gp-opinion" data-proposal="{e(str(p.facility_id))}">
<h3>选址审查意见 site-plan review opinion · 第 {n} 号</h3>
<table class="gp-t"><tbody>
<tr><th>规划 plan</th><td>{e(review.plan_name)}</td></tr>
<tr><th>拟建设施 proposal</th><td>{e(str(p.facility_id))} · {e(str(p.item_zh or p.item))}</td></tr>
<tr><th>所属社区 community</th><td>{e(community)}</td></tr>
<tr><th>审查结论 conclusion</th><td>{badge(p.conclusion)} {e(conclusion)}</td></tr>
</tbody></table>
<p>{e(advice)}</p>{f"<ol>{items}</ol>" if items else ""}
<p class="gp-sign">审查人 reviewer：__________　　日期 date：{e(date)}　　（盖章 seal）</p>
</article>""")
    return "\n".join(parts)
