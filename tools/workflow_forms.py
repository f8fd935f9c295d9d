"""The JSON-Schema forms of the party-building workflows (written to ``forms/schemas/``).

Conventions our renderer reads besides standard JSON Schema: ``x-widget`` (textarea, date, files,
multiselect, checkbox), ``x-enum-labels`` (labels of fixed choices), ``x-enum-from`` (choices taken
from the process data) and ``readOnly`` (shown, never submitted).
"""

from __future__ import annotations

from typing import Any

ATTACHMENT = {
    "type": "object",
    "title": "附件",
    "required": ["id", "name", "sha256"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string", "maxLength": 255},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "size": {"type": "integer", "minimum": 0},
        "content_type": {"type": "string"},
    },
}


def attachments(title: str = "附件", description: str = "可上传 PDF、Word、Excel、图片，单个文件不超过 20 MB。",
                min_items: int = 0) -> dict[str, Any]:
    field = {"type": "array", "title": title, "description": description, "x-widget": "files", "items": ATTACHMENT,
             "maxItems": 20}
    if min_items:
        field["minItems"] = min_items
    return field


def text(title: str, description: str = "", min_length: int = 1, max_length: int = 200) -> dict[str, Any]:
    field: dict[str, Any] = {"type": "string", "title": title, "minLength": min_length, "maxLength": max_length}
    if description:
        field["description"] = description
    return field


def area(title: str, description: str = "", min_length: int = 1, max_length: int = 5000) -> dict[str, Any]:
    return {**text(title, description, min_length, max_length), "x-widget": "textarea"}


def date(title: str, description: str = "") -> dict[str, Any]:
    field = {"type": "string", "format": "date", "title": title, "x-widget": "date"}
    if description:
        field["description"] = description
    return field


def choice(title: str, labels: dict[str, str], description: str = "") -> dict[str, Any]:
    field: dict[str, Any] = {"type": "string", "title": title, "enum": list(labels), "x-enum-labels": labels}
    if description:
        field["description"] = description
    return field


def from_data(title: str, key: str, description: str = "") -> dict[str, Any]:
    field: dict[str, Any] = {"type": "string", "title": title, "x-enum-from": key}
    if description:
        field["description"] = description
    return field


def score(title: str, maximum: int = 100, description: str = "") -> dict[str, Any]:
    field: dict[str, Any] = {"type": "integer", "title": title, "minimum": 0, "maximum": maximum}
    if description:
        field["description"] = description
    return field


def opinion_required_when(decisions: list[str]) -> dict[str, Any]:
    """A reviewer who returns or rejects must say why."""
    return {"if": {"properties": {"decision": {"enum": decisions}}, "required": ["decision"]},
            "then": {"required": ["opinion"]}}


PLAN_SECTIONS = {
    "goal_system": area("目标体系", "项目总体目标、年度目标及预期成果，写明可检验的结果。", 30),
    "assurance_system": area("保证体系", "组织领导、责任分工、制度措施和经费人员保障。", 30),
    "assessment_system": area("考核体系", "考核办法、考核主体、考核周期；具体指标在下方“考核指标”中逐项填写。", 30),
    "support_system": area("支撑体系", "协作部门、资源整合、信息化和宣传等支撑条件。", 30),
    "benefit_system": area("效益评估体系", "效益评估的方法、主体和预期的政治、经济、社会效益。", 30),
}

INDICATORS = {
    "type": "array",
    "title": "考核指标",
    "description": "每项指标须可量化、可检查。",
    "minItems": 1,
    "maxItems": 30,
    "items": {
        "type": "object",
        "required": ["name", "target"],
        "properties": {
            "name": text("指标名称", max_length=100),
            "target": text("目标值", "如：覆盖率达到 90%、培训 300 人次", max_length=100),
        },
    },
}

CONTACT = {
    "contact_person": text("联系人", max_length=50),
    "contact_phone": {"type": "string", "title": "联系电话", "pattern": "^[0-9+()\\- ]{7,20}$"},
}

PLAN_REQUIRED = [*PLAN_SECTIONS, "indicators", "contact_person", "contact_phone"]


def application_form(title: str, head: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "title": title,
        "description": "请完整填写项目实施方案的五大体系；带 * 的为必填项。可先“保存草稿”，确认无误后提交。",
        "type": "object",
        "required": [*required, *PLAN_REQUIRED],
        "properties": {**head, **PLAN_SECTIONS, "indicators": INDICATORS, **CONTACT,
                       "attachments": attachments("申报材料附件")},
    }


REVIEW_LABELS = {"pass": "审核通过", "return": "退回修改"}


def review_form(title: str, labels: dict[str, str], returning: list[str]) -> dict[str, Any]:
    return {
        "title": title,
        "type": "object",
        "required": ["decision"],
        "properties": {
            "decision": choice("审核意见", labels),
            "opinion": area("具体意见", "退回或不予通过时必须写明理由，申报单位将看到此意见。", max_length=2000),
        },
        **opinion_required_when(returning),
    }


FORMS: dict[str, dict[str, Any]] = {
    "key_project_application.json": application_form("重点建设项目申报书", {
        "catalogue_project": from_data("申报项目", "catalogue_options",
                                       "从本年度重点项目目录中选择；自拟项目请选择“自拟项目”。"),
        "title": text("项目名称", "自拟项目请填写完整名称；目录项目可按本单位实际细化。", 4, 100),
        "sector": from_data("所属板块", "sector_options"),
        "brands": {"type": "array", "title": "对应品牌", "x-widget": "multiselect", "minItems": 1, "uniqueItems": True,
                   "items": {"type": "string", "x-enum-from": "brand_options"}},
    }, ["catalogue_project", "title", "sector", "brands"]),
    "demonstration_application.json": application_form("党建示范片、示范带建设项目申报书", {
        "title": text("项目名称", "如：××镇—××村党建示范带", 4, 100),
        "demonstration_type": choice("类型", {"zone": "党建示范片", "belt": "党建示范带"}),
        "corridor": from_data("布局类型", "corridor_options", "沿交通枢纽线、工业发展区等成片连线布局。"),
        "sites": area("涵盖的示范点", "列出涵盖的乡镇(街道)、村(社区)、企业示范点。", 10, 3000),
    }, ["title", "demonstration_type", "corridor", "sites"]),
    "leader_approval.json": review_form("分管领导审批", {"pass": "同意上报", "return": "退回修改"}, ["return"]),
    "county_review.json": review_form("县(区)委组织部初审", REVIEW_LABELS, ["return"]),
    "city_review.json": review_form("市委组织部审核", {**REVIEW_LABELS, "reject": "不予通过"}, ["return", "reject"]),
    "assign_panel.json": {
        "title": "组织项目论证",
        "type": "object",
        "required": ["panel", "meeting_date"],
        "properties": {
            "panel": {"type": "array", "title": "论证专家（考评验收组成员）", "x-widget": "multiselect", "minItems": 3,
                      "maxItems": 9, "uniqueItems": True, "items": {"type": "string", "x-enum-from": "panel_options"},
                      "description": "至少选择 3 名成员；同一专家组负责该项目的论证和三个阶段的验收。"},
            "meeting_date": date("论证会日期"),
            "note": area("说明", max_length=1000),
        },
    },
    "panel_score.json": {
        "title": "项目论证评分",
        "type": "object",
        "required": ["recuse"],
        "properties": {
            "recuse": {"type": "boolean", "title": "申请回避", "x-widget": "checkbox",
                       "description": "与申报单位存在利害关系时勾选；回避后本人评分不计入平均分。"},
            "recuse_reason": area("回避理由", max_length=500),
            "score": score("可行性评分", 100, "0–100 分，整数。"),
            "opinion": area("论证意见", max_length=2000),
        },
        "if": {"properties": {"recuse": {"const": True}}, "required": ["recuse"]},
        "then": {"required": ["recuse_reason"]},
        "else": {"required": ["score", "opinion"]},
    },
    "argumentation_decision.json": {
        "title": "论证结论与立项决定",
        "type": "object",
        "required": ["decision"],
        "properties": {
            "argumentation_score": {"type": ["number", "null"], "title": "专家平均分（回避者不计）", "readOnly": True},
            "decision": choice("决定", {"approve": "同意立项", "return": "退回修改", "reject": "不予立项"}),
            "opinion": area("意见", max_length=2000),
        },
        **opinion_required_when(["return", "reject"]),
    },
    "project_approval.json": {
        "title": "项目立项（矩阵管理图）",
        "description": "明确责任单位、项目责任人、分管领导、协作部门的职责及介入时间点，分解子项并设置质量节点。",
        "type": "object",
        "required": ["responsible_person", "leader_in_charge", "sub_items", "nodes"],
        "properties": {
            "responsible_person": from_data("项目责任人", "unit_user_options", "对项目负责、接受考核和责任追究。"),
            "leader_in_charge": from_data("分管领导", "unit_user_options"),
            "collaborators": {
                "type": "array", "title": "协作部门", "maxItems": 20,
                "items": {"type": "object", "required": ["unit", "duties", "entry_date"], "properties": {
                    "unit": {"type": "string", "title": "协作单位", "x-enum-from": "collaborator_options"},
                    "duties": text("职责", max_length=300),
                    "entry_date": date("介入时间点"),
                }},
            },
            "sub_items": {
                "type": "array", "title": "项目子项", "minItems": 1, "maxItems": 30,
                "items": {"type": "object", "required": ["name", "owner"], "properties": {
                    "name": text("子项名称", max_length=100),
                    "owner": text("子项负责人", max_length=50),
                    "description": text("内容", min_length=0, max_length=500),
                }},
            },
            "nodes": {
                "type": "array", "title": "质量节点", "minItems": 1, "maxItems": 60,
                "description": "每个节点写明所属子项、计划完成日期和交付成果；节点逾期将亮红灯。",
                "items": {"type": "object", "required": ["name", "sub_item", "planned_date"], "properties": {
                    "name": text("节点名称", max_length=100),
                    "sub_item": text("所属子项", max_length=100),
                    "planned_date": date("计划完成日期"),
                    "deliverable": text("交付成果", min_length=0, max_length=200),
                }},
            },
            "approval_note": area("立项意见", max_length=2000),
        },
    },
    "quarterly_report.json": {
        "title": "季度推进情况汇报",
        "type": "object",
        "required": ["progress", "nodes_done"],
        "properties": {
            "progress": area("推进情况", "对照矩阵管理图中的节点说明本季度完成情况。", 20),
            "nodes_done": {"type": "array", "title": "本季度完成的节点", "x-widget": "multiselect", "uniqueItems": True,
                           "items": {"type": "string", "x-enum-from": "node_options"}},
            "problems": area("存在问题", max_length=2000),
            "next_steps": area("下一步打算", max_length=2000),
            "attachments": attachments("佐证材料"),
        },
    },
    "quarterly_review.json": review_form("季度汇报审核", {"pass": "通过", "return": "退回补充"}, ["return"]),
    "midyear_inspection.json": {
        "title": "项目质量管理年中检查",
        "type": "object",
        "required": ["rating", "findings"],
        "properties": {
            "rating": choice("检查评价", {"good": "好", "average": "一般", "poor": "差"}),
            "findings": area("检查情况", min_length=10),
            "rectify_items": area("整改要求", max_length=2000),
        },
    },
    "acceptance_score.json": {
        "title": "验收评分",
        "description": "按评分模板逐项打分（整数），合计满分 100 分。",
        "type": "object",
        "required": ["recuse"],
        "properties": {
            "recuse": {"type": "boolean", "title": "申请回避", "x-widget": "checkbox"},
            "recuse_reason": area("回避理由", max_length=500),
            "goals": score("目标达成与考核指标完成（40分）", 40),
            "process": score("过程管理与质量节点（20分）", 20),
            "innovation": score("创新与品牌贡献（15分）", 15),
            "support": score("支撑保障与资源使用（5分）", 5),
            "benefit": score("效益与示范推广（20分）", 20),
            "methods": {"type": "array", "title": "验收方式", "x-widget": "multiselect", "uniqueItems": True,
                        "items": {"type": "string", "enum": ["听取汇报", "查阅资料", "实地查看", "座谈走访",
                                                             "民主测评", "现场观摩"]}},
            "opinion": area("验收意见", max_length=2000),
        },
        "if": {"properties": {"recuse": {"const": True}}, "required": ["recuse"]},
        "then": {"required": ["recuse_reason"]},
        "else": {"required": ["goals", "process", "innovation", "support", "benefit", "opinion"]},
    },
    "rectification.json": {
        "title": "整改报告",
        "type": "object",
        "required": ["measures", "result"],
        "properties": {
            "measures": area("整改措施", min_length=20),
            "result": area("整改结果", min_length=10),
            "attachments": attachments("整改佐证材料"),
        },
    },
    "collaborator_input.json": {
        "title": "协作单位效益评估意见",
        "type": "object",
        "required": ["contribution", "assessment"],
        "properties": {
            "contribution": area("本单位参与情况", "按立项时明确的职责和介入时间点说明完成情况。", 10),
            "assessment": choice("对项目效益的评价", {"excellent": "优秀", "good": "良好", "pass": "合格",
                                                    "fail": "不合格"}),
            "remarks": area("意见建议", max_length=2000),
        },
    },
    "county_benefit_assessment.json": {
        "title": "县(区)委组织部效益评估意见",
        "type": "object",
        "required": ["assessment", "summary"],
        "properties": {
            "assessment": choice("评估意见", {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"}),
            "summary": area("评估说明", min_length=10),
        },
    },
    "benefit_evaluation.json": {
        "title": "项目效益评估",
        "type": "object",
        "required": ["rating", "summary"],
        "properties": {
            "rating": choice("综合评定", {"优秀": "优秀", "良好": "良好", "合格": "合格", "不合格": "不合格"},
                             "评定为“不合格”的项目将启动责任追究；其余项目结项。"),
            "summary": area("评估结论", min_length=20),
        },
    },
    "accountability_open.json": {
        "title": "责任追究立案",
        "type": "object",
        "required": ["facts", "basis"],
        "properties": {
            "case_reason": {"type": "string", "title": "启动原因", "readOnly": True},
            "facts": area("基本事实", min_length=10),
            "basis": area("追责依据", "如：项目实施方案、立项书约定及市委组织部有关规定。", 5),
        },
    },
    "accountability_statement.json": {
        "title": "情况说明（申辩）",
        "type": "object",
        "required": ["statement"],
        "properties": {
            "facts": {"type": "string", "title": "立案认定的事实", "readOnly": True},
            "statement": area("情况说明", "可对认定事实进行说明和申辩。", 10),
            "attachments": attachments("证明材料"),
        },
    },
    "accountability_decision.json": {
        "title": "责任追究决定",
        "type": "object",
        "required": ["outcome", "reasons"],
        "properties": {
            "statement": {"type": ["string", "null"], "title": "责任人申辩", "readOnly": True},
            "outcome": choice("处理结果", {"interview": "约谈", "criticism": "通报批评",
                                         "no_award": "取消当年评先资格", "assessment": "记入考核",
                                         "none": "不予追究"}),
            "reasons": area("决定理由", min_length=10),
        },
    },
}
