"""What the demo's users submit at each step of a party-building project: applications (申报书),
approvals with their matrix, score sheets, quarterly node reports; and who signs what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine import clock
from engine.clock import BUSINESS_TZ

FIVE_SYSTEMS = {
    "goal_system": "全面推进项目实施，年内覆盖全部村(社区)党组织，形成可复制推广的工作机制和制度成果。",
    "assurance_system": "成立由分管领导任组长的项目领导小组，明确责任科室和经办人，落实专项工作经费和督查制度。",
    "assessment_system": "实行季度汇报、年中检查和三阶段验收，按考核指标逐项打分，结果纳入年度党建目标考核。",
    "support_system": "整合宣传、民政、农业等部门资源，依托党员远程教育网络和信息平台，建立部门协作联席会议。",
    "benefit_system": "采取群众测评、实地查看和数据比对相结合的方式，评估项目的政治效益、经济效益和社会效益。",
}
INDICATORS = [{"name": "党组织覆盖率", "target": "100%"}, {"name": "群众满意度", "target": "不低于90%"}]


# The formal parts of a 申报书: responsible person, period, schedule, budget, results, the unit's opinion.
APPLICATION_DETAILS: dict[str, Any] = {
    "project_leader": "张明（组织部副部长）", "period_start": "2008-04-01", "period_end": "2008-12-31",
    "schedule": [{"step": "制定实施细则，明确责任分工", "start": "2008-04-01", "end": "2008-05-15"},
                 {"step": "选定示范点并组织实施", "start": "2008-05-16", "end": "2008-09-30"},
                 {"step": "总结经验，形成制度成果", "start": "2008-10-01", "end": "2008-12-31"}],
    "budget_amount": 12.5, "budget_source": "县（区）财政党建专项经费",
    "expected_results": "形成一套可复制推广的工作制度，建成3个示范点，群众满意度达到90%以上。",
    "unit_opinion": "同意申报，单位将在人员、经费上给予保障。", "secretary": "刘建华", "sealed": True,
    "filing_date": "2008-03-03"}


def key_application(title: str, catalogue: str = "P03", sector: str = "quality",
                    people: dict[str, str] | None = None) -> dict[str, Any]:
    """A key project's 申报书; ``people`` (project_leader, secretary, contact_person, contact_phone)
    names the unit's own people."""
    return {"catalogue_project": catalogue, "title": title, "sector": sector, "brands": ["xuanyou", "huimin"],
            **FIVE_SYSTEMS, "indicators": INDICATORS, "contact_person": "王芳", "contact_phone": "0835-2222333",
            **APPLICATION_DETAILS, **(people or {})}


def demonstration_application(title: str, people: dict[str, str] | None = None) -> dict[str, Any]:
    return {"title": title, "demonstration_type": "belt", "corridor": "交通枢纽线",
            "sites": "沿线3个乡镇、8个村党支部和2家企业党组织", **FIVE_SYSTEMS, "indicators": INDICATORS,
            "contact_person": "李强", "contact_phone": "0835-2333444", **APPLICATION_DETAILS, **(people or {})}


def approval(responsible: str, leader: str, collaborator: str | tuple[str, ...] | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "responsible_person": responsible, "leader_in_charge": leader,
        "sub_items": [{"name": "制度建设", "owner": "组织科"}, {"name": "示范点培育", "owner": "基层办"}],
        "nodes": [{"name": "制定实施细则", "sub_item": "制度建设", "planned_date": "2008-05-15"},
                  {"name": "完成示范点选定", "sub_item": "示范点培育", "planned_date": "2008-07-31"},
                  {"name": "形成总结报告", "sub_item": "制度建设", "planned_date": "2008-11-30"}],
        "approval_note": "同意立项，按矩阵管理图组织实施。",
        "approval_doc_no": "雅组通〔2008〕12号", "approval_date": "2008-04-15", "approved_budget": 10.0}
    units = (collaborator,) if isinstance(collaborator, str) else collaborator or ()
    if units:
        data["collaborators"] = [{"unit": unit, "duties": "提供政策和资源支持", "entry_date": "2008-05-01"}
                                 for unit in units]
    return data


# Scores per criterion of the 2008 template; a criterion a year plan adds gets the same share of its maximum.
GOOD_SCORE = {"recuse": False, "goals": 36, "process": 18, "innovation": 13, "support": 5, "benefit": 17,
              "methods": ["听取汇报", "实地查看"], "opinion": "目标明确，推进有力。"}
POOR_SCORE = {"recuse": False, "goals": 20, "process": 10, "innovation": 6, "support": 2, "benefit": 8,
              "methods": ["查阅资料"], "opinion": "节点严重滞后，指标未完成。"}


# The dates of 2008 on which a project in implementation has something to do: quarterly reports,
# the mid-year inspection, the early, mid and late acceptance, the last report.
IMPLEMENTATION_DATES = ("2008-04-21", "2008-05-19", "2008-06-20", "2008-07-01", "2008-08-18", "2008-09-19",
                        "2008-11-17", "2008-12-05")


CRITERIA_2008 = {"目标达成与考核指标完成": "goals", "过程管理与质量节点": "process", "创新与品牌贡献": "innovation",
                 "支撑保障与资源使用": "support", "效益与示范推广": "benefit"}


def score_sheet(score: dict[str, Any], sheet: list[dict[str, Any]]) -> dict[str, Any]:
    """A panel member's submission: ``score`` (per criterion key of 2008) on the rows of ``sheet``."""
    keys = [key for key in CRITERIA_2008.values() if key in score]
    share = sum(score[key] for key in keys) / 100 if keys else 0.8
    rows = []
    for row in sheet:
        key = CRITERIA_2008.get(row.get("criterion", ""))
        value = score[key] if key in score else round(row.get("max", 0) * share)
        reason = "" if value >= row.get("max", 0) else "部分指标未完全达到要求" if key in score else "按比例评分"
        rows.append({"score": value, "deduction": reason})
    return {**{k: v for k, v in score.items() if k not in CRITERIA_2008.values()}, "criteria": rows}


def node_report(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A quarterly report's node rows: the first node done, those past their planned date late, the rest
    not started."""
    today = clock.now().astimezone(BUSINESS_TZ).date().isoformat()
    rows = []
    for index, node in enumerate(nodes):
        if index == 0:
            rows.append({"status": "done"})
        elif str(node.get("planned", "")) < today:
            rows.append({"status": "late", "reason": "受季节影响推迟", "remedy": "加派人手，限期完成"})
        else:
            rows.append({"status": "pending"})
    return rows


def moment(text: str) -> datetime:
    """``2008-04-21`` or ``2008-04-21 10:00`` in Beijing time."""
    fmt = "%Y-%m-%d %H:%M" if " " in text else "%Y-%m-%d"
    parsed = datetime.strptime(text, fmt)
    if " " not in text:
        parsed = parsed.replace(hour=10)
    return parsed.replace(tzinfo=BUSINESS_TZ)


# The 部领导 who signs 立项 and 追责 decisions (部领导审签).
SIGNING_LEADER = "city_leader"


def leader_of(applicant: str) -> str:
    return applicant.replace("_applicant", "_leader")


def county_org_of(applicant: str) -> str | None:
    prefix = applicant.split("_", 1)[0]
    return f"{prefix}_org" if prefix.startswith("county") else None
