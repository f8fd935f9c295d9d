"""Write the party-building process: BPMN diagrams and the DMN table to ``workflows/``, forms to
``forms/schemas/``. Run ``python -m tools.build_workflows`` after changing this file; a test checks
that the committed files are what it writes.

Everything a user sees is Chinese; ids are stable ASCII. Dates come from the year plan
(``reference('year:<year>')``) copied into the process data at the start, never from literals.
"""

from __future__ import annotations

import json
from pathlib import Path

from tools.bpmn_builder import Process
from tools.bpmn_builder import decision_table
from tools.workflow_forms import FORMS

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
FORMS_DIR = ROOT / "forms" / "schemas"

APPLICANT = ("lane_applicant", "申报单位经办人")
LEADER = ("lane_leader", "分管党建工作领导")
COUNTY = ("lane_county", "县(区)委组织部")
CITY = ("lane_city", "市委组织部")
PANEL = ("lane_panel", "考评验收组成员")
RESPONSIBLE = ("lane_responsible", "项目责任人")
COLLABORATOR = ("lane_collaborator", "协作部门")


def review_due(kind: str) -> str:
    """A due date some working days from when the step starts, the number taken from the year plan."""
    return f"workdays_after(today(), plan['workdays']['{kind}'])"


# -- 1. the two project lifecycles ------------------------------------------------------------

PROJECT_INIT = """plan = reference('year:' + today()[:4])
year = plan['year']
calendar = plan['calendar']
applicant_unit = initiator_unit
application_kind = '{kind}'
quota = plan['quota']['{kind}']
max_rounds = plan['max_return_rounds']
rounds = 0
collaborators = []
accountability_cases = []
{extra}catalogue_options = [{{'value': p['code'], 'label': p['name']}} for p in plan['catalogue']]
catalogue_options = catalogue_options + [{{'value': 'own', 'label': '自拟项目'}}]
sector_options = [{{'value': s['code'], 'label': s['name']}} for s in plan['sectors'] if s['code'] != 'demonstration']
brand_options = [{{'value': b['code'], 'label': b['name']}} for b in plan['brands']]
corridor_options = plan['corridors']
status_text = '申报中'"""

DEMONSTRATION_CHECK = """if unit_kind(initiator_unit) != 'county':
    refuse('党建示范片、示范带项目由县(区)申报，本单位不能申报。')
sector = 'demonstration'
"""

APPROVAL_PREP = """unit_user_options = users_in_unit(applicant_unit)
kinds = ['department', 'county', 'township', 'enterprise', 'community', 'village']
collaborator_options = [u for u in units_of_kind(*kinds) if u['value'] != applicant_unit]
status_text = '立项中'"""

AFTER_APPROVAL = """node_options = [n['name'] for n in nodes]
matrix = {'sub_items': sub_items, 'nodes': nodes, 'collaborators': collaborators}
status_text = '实施中'"""


def project(process_id: str, name: str, kind: str, application_doc: str) -> Process:
    extra = DEMONSTRATION_CHECK if kind == "demonstration" else ""
    p = Process(process_id, name, lanes=[APPLICANT, CITY], documentation=application_doc)
    p.start("start", "发起申报", "lane_applicant")
    p.script("init", "读取年度计划", PROJECT_INIT.format(kind=kind, extra=extra), "lane_applicant")
    p.call("application", "申报与审核", "application_review", "lane_applicant")
    p.xor("review_passed", "审核通过？", "lane_city")
    p.call("argumentation", "项目论证", "argumentation", "lane_city")
    p.xor("argued", "论证结论", "lane_city")
    p.script("prepare_approval", "准备立项", APPROVAL_PREP, "lane_city")
    p.user("approve", "项目立项（矩阵管理图）", "lane_city", form="project_approval.json",
           documentation="按论证意见确定**项目责任人**、**分管领导**、协作部门的职责和介入时间点，"
                         "分解子项并设置质量节点。立项后项目进入实施阶段。",
           dueDate=review_due("decision"), milestone="approved")
    p.script("after_approval", "生成矩阵管理图", AFTER_APPROVAL, "lane_city")
    p.call("implementation", "项目实施", "implementation", "lane_city")
    p.xor("implemented", "实施与验收结果", "lane_city")
    p.call("benefit", "效益评估", "benefit_evaluation", "lane_city")
    p.xor("rated", "效益评估结果", "lane_city")
    p.script("close", "结项", "status_text = '已结项'\nclosed_on = today()", "lane_city")
    p.end("closed", "已结项", "lane_city", milestone="closed")
    p.script("fail_reason", "记录追责原因",
             "case_reason = failure_reason\nstatus_text = '责任追究'", "lane_city")
    p.script("benefit_fail", "效益评估不合格", "case_reason = '效益评估为不合格'\nstatus_text = '责任追究'",
             "lane_city")
    p.call("accountability", "责任追究", "accountability", "lane_city")
    p.end("accounted", "追责结案", "lane_city", milestone="accounted")
    p.script("not_passed", "未通过审核", "status_text = '未通过审核'", "lane_city")
    p.end("review_rejected", "未通过审核", "lane_city")
    p.script("rejected", "不予立项", "status_text = '不予立项'", "lane_city")
    p.end("not_approved", "不予立项", "lane_city")
    p.chain("start", "init", "application", "review_passed")
    p.flow("review_passed", "argumentation", "review_result == 'passed'", "通过")
    p.flow("review_passed", "not_passed", default=True)
    p.chain("not_passed", "review_rejected")
    p.flow("argumentation", "argued")
    p.flow("argued", "prepare_approval", "argumentation_result == 'approve'", "同意立项")
    p.flow("argued", "application", "argumentation_result == 'return' and rounds < max_rounds", "退回修改")
    p.flow("argued", "rejected", default=True)
    p.chain("rejected", "not_approved")
    p.chain("prepare_approval", "approve", "after_approval", "implementation", "implemented")
    p.flow("implemented", "fail_reason", "impl_failed", "验收不合格")
    p.flow("implemented", "benefit", default=True)
    p.flow("benefit", "rated")
    p.flow("rated", "benefit_fail", "benefit_rating == '不合格'", "不合格")
    p.flow("rated", "close", default=True)
    p.chain("close", "closed")
    p.chain("fail_reason", "accountability")
    p.chain("benefit_fail", "accountability")
    p.chain("accountability", "accounted")
    return p


# -- 2. application and review ----------------------------------------------------------------

QUOTA_CHECK = """if count_projects(application_kind, applicant_unit, year) >= quota:
    refuse('本单位' + str(year) + '年度已申报' + str(quota) + '个同类项目，按规定不能再申报。')
rounds += 1
review_county = county_of(applicant_unit)
status_text = '审核中'"""


def application_review() -> Process:
    p = Process("application_review", "申报与审核", lanes=[APPLICANT, LEADER, COUNTY, CITY])
    p.start("start", "开始", "lane_applicant")
    p.xor("which_form", "申报类型", "lane_applicant")
    due = "calendar['application_close'] if rounds == 0 else " + review_due("review")
    p.user("submit_key", "填写重点项目申报书", "lane_applicant", form="key_project_application.json",
           documentation="按**五大体系**填写项目实施方案并上传申报材料。每个单位每年可申报 1–2 个重点项目；"
                         "被退回时请按审核意见修改后重新提交。",
           dueDate=due, milestone="submitted")
    p.user("submit_demo", "填写示范片(带)申报书", "lane_applicant", form="demonstration_application.json",
           documentation="每个县(区)每年申报 1–2 个党建示范片、示范带建设项目。",
           dueDate=due, milestone="submitted")
    p.xor("submitted", "提交", "lane_applicant")
    p.script("check_quota", "校验申报限额", QUOTA_CHECK, "lane_applicant")
    p.user("leader_approval", "分管领导审批", "lane_leader", form="leader_approval.json",
           documentation="审阅本单位申报材料，同意后逐级上报。", scope="applicant_unit", dueDate=review_due("review"))
    p.xor("leader_decision", "领导意见", "lane_leader")
    p.xor("has_county", "是否县(区)初审", "lane_county")
    p.user("county_review", "县(区)委组织部初审", "lane_county", form="county_review.json",
           documentation="对本县(区)申报项目进行初审。", scope="review_county", dueDate=review_due("review"))
    p.xor("county_decision", "初审意见", "lane_county")
    p.user("city_review", "市委组织部审核", "lane_city", form="city_review.json",
           documentation="审核申报项目，通过后组织论证。", dueDate=review_due("review"))
    p.xor("city_decision", "审核意见", "lane_city")
    p.script("passed", "审核通过", "review_result = 'passed'", "lane_city")
    p.end("end_passed", "审核通过", "lane_city")
    p.script("rejected", "不予通过", "review_result = 'rejected'", "lane_city")
    p.end("end_rejected", "不予通过", "lane_city")
    returning = "decision == 'return' and rounds < max_rounds"
    p.chain("start", "which_form")
    p.flow("which_form", "submit_demo", "application_kind == 'demonstration'", "示范片(带)")
    p.flow("which_form", "submit_key", default=True)
    p.chain("submit_key", "submitted")
    p.chain("submit_demo", "submitted")
    p.chain("submitted", "check_quota", "leader_approval", "leader_decision")
    p.flow("leader_decision", "which_form", returning, "退回修改")
    p.flow("leader_decision", "rejected", "decision == 'return'", "退回次数已满")
    p.flow("leader_decision", "has_county", default=True)
    p.flow("has_county", "county_review", "review_county is not None", "县(区)单位")
    p.flow("has_county", "city_review", default=True)
    p.chain("county_review", "county_decision")
    p.flow("county_decision", "which_form", returning, "退回修改")
    p.flow("county_decision", "rejected", "decision == 'return'", "退回次数已满")
    p.flow("county_decision", "city_review", default=True)
    p.chain("city_review", "city_decision")
    p.flow("city_decision", "which_form", returning, "退回修改")
    p.flow("city_decision", "passed", "decision == 'pass'", "通过")
    p.flow("city_decision", "rejected", default=True)
    p.chain("passed", "end_passed")
    p.chain("rejected", "end_rejected")
    return p


# -- 3. argumentation (论证) -------------------------------------------------------------------

def argumentation() -> Process:
    p = Process("argumentation", "项目论证", lanes=[CITY, PANEL])
    p.start("start", "开始", "lane_city")
    p.script("panel_choices", "准备专家名单", "panel_options = users_with_role('panel')\nstatus_text = '论证中'",
             "lane_city")
    p.user("assign_panel", "组织论证（确定专家）", "lane_city", form="assign_panel.json",
           documentation="确定论证会日期和论证专家。专家将各自独立评分，可申请回避。",
           dueDate="calendar['argumentation_deadline']")
    p.script("reset_scores", "准备评分", "scores = []", "lane_city")
    p.user("panel_score", "专家论证评分", "lane_panel", form="panel_score.json",
           documentation="请独立评估项目的可行性并打分；与申报单位有利害关系的请申请回避。",
           multi={"input": "panel", "output": "scores", "item": "member", "output_item": "my_score",
                  "scripts_on_instances": "1"},
           post_script="my_score['member'] = member",
           dueDate="calendar['argumentation_deadline']")
    p.script("average", "计算平均分",
             "valid = [s['score'] for s in scores if not s.get('recuse') and s.get('score') is not None]\n"
             "argumentation_score = mean(valid)\n"
             "recused = [s['member'] for s in scores if s.get('recuse')]", "lane_city")
    p.user("decide", "论证结论与立项决定", "lane_city", form="argumentation_decision.json",
           documentation="参考专家平均分（回避者不计入），决定同意立项、退回修改或不予立项。",
           dueDate=review_due("decision"))
    p.script("result", "记录论证结论", "argumentation_result = decision", "lane_city")
    p.end("end", "论证完成", "lane_city")
    p.chain("start", "panel_choices", "assign_panel", "reset_scores", "panel_score", "average", "decide", "result",
            "end")
    return p


# -- 4. implementation (实施) and its parts ----------------------------------------------------

IMPLEMENTATION_INIT = """quarters = [q for q in calendar['quarters'] if q['due'] >= today()]
q_index = 0
stages = ['early', 'mid', 'late']
s_index = 0
impl_failed = False
failure_reason = ''
stage_results = {}
midyear_needed = calendar['midyear']['due'] >= today()"""


def implementation() -> Process:
    p = Process("implementation", "项目实施", lanes=[RESPONSIBLE, CITY, PANEL])
    p.start("start", "开始实施", "lane_city")
    p.script("init", "安排季度汇报和验收", IMPLEMENTATION_INIT, "lane_city")
    p.parallel("split", "分线推进", "lane_city")
    # quarterly reports, one call per remaining quarter
    p.xor("more_quarters", "还有季度汇报？", "lane_responsible")
    p.script("set_quarter", "本季度", "quarter = quarters[q_index]", "lane_responsible")
    p.call("quarterly", "季度推进汇报", "quarterly_report", "lane_responsible")
    p.script("next_quarter", "下一季度", "q_index += 1", "lane_responsible")
    # mid-year inspection
    p.xor("midyear_gate", "年中检查？", "lane_city")
    p.timer("midyear_wait", "等待年中检查", "timeDate", "calendar['midyear']['opens']", "lane_city")
    p.user("midyear", "项目质量管理年中检查", "lane_city", form="midyear_inspection.json",
           documentation="对照矩阵管理图检查项目推进和质量管理情况。", dueDate="calendar['midyear']['due']")
    p.xor("midyear_done", "年中检查完成", "lane_city")
    # acceptance: early, mid, late
    p.xor("more_stages", "还有验收阶段？", "lane_panel")
    p.script("set_stage", "本阶段验收", "stage = stages[s_index]\nstage_failed = False", "lane_panel")
    p.call("acceptance", "阶段验收", "acceptance_stage", "lane_panel")
    p.xor("stage_ok", "验收结果", "lane_panel")
    p.script("next_stage", "下一阶段", "s_index += 1", "lane_panel")
    p.script("failed", "验收不合格", "impl_failed = True\nfailure_reason = stage_failure", "lane_panel")
    p.end("stop", "终止实施", "lane_panel", terminate=True)
    p.parallel("join", "汇合", "lane_city")
    p.end("end", "实施完成", "lane_city", milestone="implemented")
    p.chain("start", "init", "split")
    p.flow("split", "more_quarters")
    p.flow("more_quarters", "set_quarter", "q_index < len(quarters)", "是")
    p.flow("more_quarters", "join", default=True)
    p.chain("set_quarter", "quarterly", "next_quarter", "more_quarters")
    p.flow("split", "midyear_gate")
    p.flow("midyear_gate", "midyear_wait", "midyear_needed", "需要")
    p.flow("midyear_gate", "midyear_done", default=True)
    p.chain("midyear_wait", "midyear", "midyear_done", "join")
    p.flow("split", "more_stages")
    p.flow("more_stages", "set_stage", "s_index < len(stages)", "是")
    p.flow("more_stages", "join", default=True)
    p.chain("set_stage", "acceptance", "stage_ok")
    p.flow("stage_ok", "failed", "stage_failed", "不合格")
    p.flow("stage_ok", "next_stage", default=True)
    p.chain("next_stage", "more_stages")
    p.chain("failed", "stop")
    p.chain("join", "end")
    return p


def quarterly_report() -> Process:
    p = Process("quarterly_report", "季度推进汇报", lanes=[RESPONSIBLE, CITY])
    p.start("start", "开始", "lane_responsible")
    p.script("init", "准备汇报", "report_rounds = 0\nstatus_text = '实施中（' + quarter['name'] + '汇报）'",
             "lane_responsible")
    p.timer("wait", "等待汇报时间", "timeDate", "quarter['opens']", "lane_responsible")
    p.user("report", "填写季度推进情况", "lane_responsible", form="quarterly_report.json",
           documentation="对照矩阵管理图中的质量节点，报告本季度推进情况。逾期超过宽限期将启动责任追究。",
           assignee="responsible_person", dueDate="quarter['due'] if report_rounds == 0 else " + review_due("review"))
    p.boundary_timer("overdue", "逾期超过宽限期", "report", "timeDate", "quarter['grace']", interrupting=False)
    p.script("overdue_reason", "记录逾期", "case_reason = quarter['name'] + '推进情况逾期未报，超过宽限期'",
             "lane_city")
    p.call("overdue_case", "责任追究", "accountability", "lane_city")
    p.end("case_done", "追责完成", "lane_city")
    p.user("review", "审核季度汇报", "lane_city", form="quarterly_review.json",
           documentation="审核推进情况，与矩阵管理图节点比对。", dueDate=review_due("review"))
    p.xor("decision_gate", "审核结果", "lane_city")
    p.script("again", "退回补充", "report_rounds += 1", "lane_city")
    p.end("end", "汇报完成", "lane_city")
    p.chain("start", "init", "wait", "report", "review", "decision_gate")
    p.flow("decision_gate", "again", "decision == 'return' and report_rounds < 2", "退回")
    p.flow("decision_gate", "end", default=True)
    p.chain("again", "report")
    p.chain("overdue", "overdue_reason", "overdue_case", "case_done")
    return p


STAGE_INIT = """stage_info = calendar['acceptance'][stage]
stage_name = stage_info['name']
attempt = 1
status_text = '实施中（' + stage_name + '）'"""

STAGE_SCORE = """totals = []
for s in acceptance_scores:
    if not s.get('recuse'):
        totals.append(s['goals'] + s['process'] + s['innovation'] + s['support'] + s['benefit'])
stage_score = mean(totals)"""

STAGE_RECORD = """stage_results[stage] = {'name': stage_name, 'score': stage_score, 'grade': stage_grade,
                        'attempts': attempt}"""
STAGE_PASS = STAGE_RECORD

STAGE_FAIL = STAGE_RECORD + """
stage_failed = True
stage_failure = stage_name + '两次评定为不合格'"""


def acceptance_stage() -> Process:
    p = Process("acceptance_stage", "阶段验收", lanes=[PANEL, RESPONSIBLE, CITY])
    p.start("start", "开始", "lane_panel")
    p.script("init", "准备验收", STAGE_INIT, "lane_panel")
    p.timer("wait", "等待验收时间", "timeDate", "stage_info['opens']", "lane_panel")
    p.script("reset", "准备评分", "acceptance_scores = []", "lane_panel")
    p.user("score", "验收评分", "lane_panel", form="acceptance_score.json",
           documentation="按评分模板逐项打分：目标 40、过程与节点 20、创新与品牌 15、支撑 5、效益与推广 20。",
           multi={"input": "panel", "output": "acceptance_scores", "item": "member", "output_item": "my_score",
                  "scripts_on_instances": "1"},
           post_script="my_score['member'] = member",
           dueDate="stage_info['due'] if attempt == 1 else " + review_due("scoring"))
    p.script("total", "计算得分", STAGE_SCORE, "lane_panel")
    p.rule("grade", "评定等级", "acceptance_grade", "lane_panel")
    p.xor("graded", "评定结果", "lane_panel")
    p.xor("second", "是否已整改", "lane_responsible")
    p.script("rectify_deadline", "确定整改期限",
             "rectify_due = workdays_after(today(), plan['workdays']['rectification'])\n"
             "rectify_grace = workdays_after(rectify_due, 10) + 'T18:00:00+08:00'\n"
             "status_text = '整改中（' + stage_name + '）'", "lane_responsible")
    p.user("rectify", "限期整改", "lane_responsible", form="rectification.json",
           documentation="验收评定为不合格，请在期限内完成整改并提交整改报告，之后专家组重新评分一次。",
           assignee="responsible_person", dueDate="rectify_due")
    p.boundary_timer("rectify_overdue", "整改逾期", "rectify", "timeDate", "rectify_grace")
    p.script("overdue_fail", "整改逾期未报", "stage_failed = True\nstage_failure = stage_name + '整改逾期未完成'",
             "lane_city")
    p.end("end_overdue", "整改逾期", "lane_city")
    p.script("rescore", "重新评分", "attempt = 2", "lane_responsible")
    p.script("pass", "验收通过", STAGE_PASS, "lane_panel")
    p.end("end_pass", "验收通过", "lane_panel")
    p.script("fail", "验收不合格", STAGE_FAIL, "lane_panel")
    p.end("end_fail", "验收不合格", "lane_panel")
    p.chain("start", "init", "wait", "reset", "score", "total", "grade", "graded")
    p.flow("graded", "second", "stage_grade == '不合格'", "不合格")
    p.flow("graded", "pass", default=True)
    p.flow("second", "rectify_deadline", "attempt == 1", "首次")
    p.flow("second", "fail", default=True)
    p.chain("rectify_deadline", "rectify", "rescore", "reset")
    p.chain("rectify_overdue", "overdue_fail", "end_overdue")
    p.chain("pass", "end_pass")
    p.chain("fail", "end_fail")
    return p


# -- 5. benefit evaluation and accountability -------------------------------------------------

def benefit_evaluation() -> Process:
    p = Process("benefit_evaluation", "效益评估", lanes=[COLLABORATOR, COUNTY, CITY])
    p.start("start", "开始", "lane_city")
    p.script("init", "准备评估", "contributions = []\nbenefit_info = calendar['benefit_evaluation']\n"
             "evaluating_county = county_of(applicant_unit)\nstatus_text = '效益评估'", "lane_city")
    p.timer("wait", "等待效益评估", "timeDate", "benefit_info['opens']", "lane_city")
    p.xor("has_collaborators", "有协作部门？", "lane_collaborator")
    p.user("collaborator_input", "协作单位评估意见", "lane_collaborator", form="collaborator_input.json",
           documentation="请说明本单位按立项约定参与项目的情况，并对项目效益作出评价。",
           multi={"input": "collaborators", "output": "contributions", "item": "collaborator",
                  "output_item": "contribution_item", "scripts_on_instances": "1"},
           post_script="contribution_item['unit'] = collaborator['unit']",
           scope="collaborator['unit']", dueDate="benefit_info['input_due']")
    p.xor("inputs_done", "意见汇总", "lane_collaborator")
    p.xor("has_county", "县(区)参与？", "lane_county")
    p.user("county_assessment", "县(区)委组织部评估", "lane_county", form="county_benefit_assessment.json",
           documentation="县(区)委组织部牵头对本县(区)项目进行效益评估。", scope="evaluating_county",
           dueDate="benefit_info['input_due']")
    p.xor("county_done", "县(区)评估完成", "lane_county")
    p.user("evaluate", "综合效益评估", "lane_city", form="benefit_evaluation.json",
           documentation="汇总协作单位和县(区)意见，作出综合评定。评定为不合格的启动责任追究，其余结项。",
           dueDate="benefit_info['due']", milestone="evaluated")
    p.script("result", "记录评定", "benefit_rating = rating", "lane_city")
    p.end("end", "评估完成", "lane_city")
    p.chain("start", "init", "wait", "has_collaborators")
    p.flow("has_collaborators", "collaborator_input", "len(collaborators) > 0", "有")
    p.flow("has_collaborators", "inputs_done", default=True)
    p.chain("collaborator_input", "inputs_done", "has_county")
    p.flow("has_county", "county_assessment", "evaluating_county is not None", "县(区)项目")
    p.flow("has_county", "county_done", default=True)
    p.chain("county_assessment", "county_done", "evaluate", "result", "end")
    return p


def accountability() -> Process:
    p = Process("accountability", "责任追究", lanes=[CITY, RESPONSIBLE])
    p.start("start", "开始", "lane_city")
    p.script("init", "准备立案", "statement = None\ncase_opened_on = today()", "lane_city")
    p.user("open_case", "责任追究立案", "lane_city", form="accountability_open.json",
           documentation="核实事实、明确依据，对项目责任人立案。", dueDate=review_due("case"))
    p.script("statement_window", "确定申辩期限",
             "statement_due = workdays_after(today(), plan['workdays']['statement'])\n"
             "statement_close = workdays_after(statement_due, 3) + 'T18:00:00+08:00'", "lane_city")
    p.user("statement", "提交情况说明（申辩）", "lane_responsible", form="accountability_statement.json",
           documentation="你被列为责任追究对象。可在期限内对认定的事实进行说明和申辩，逾期视为放弃。",
           assignee="responsible_person", dueDate="statement_due")
    p.boundary_timer("statement_expired", "申辩期满", "statement", "timeDate", "statement_close")
    p.script("no_statement", "未申辩", "statement = '（责任人在期限内未提交情况说明）'", "lane_city")
    p.xor("statement_in", "申辩结束", "lane_city")
    p.user("decide_case", "作出追究决定", "lane_city", form="accountability_decision.json",
           documentation="依据事实和申辩情况作出处理：约谈、通报批评、取消当年评先资格、记入考核或不予追究。"
                         "处理结果永久记入项目档案。", dueDate=review_due("decision"), milestone="accountability")
    p.script("record", "记入档案",
             "accountability_outcome = outcome\n"
             "accountability_cases = accountability_cases + [{'reason': case_reason, 'outcome': outcome, "
             "'decided_on': today()}]", "lane_city")
    p.end("end", "追责完成", "lane_city")
    p.chain("start", "init", "open_case", "statement_window", "statement", "statement_in", "decide_case", "record",
            "end")
    p.chain("statement_expired", "no_statement", "statement_in")
    return p


def grade_table() -> str:
    return decision_table("acceptance_grade", "验收等级评定", [("得分", "stage_score")], ("等级", "stage_grade"), [
        (["stage_score is not None and ? >= 90"], "'优秀'", "优秀：90 分及以上"),
        (["stage_score is not None and ? >= 80"], "'良好'", "良好：80–89 分"),
        (["stage_score is not None and ? >= 60"], "'合格'", "合格：60–79 分"),
        (["-"], "'不合格'", "不合格：60 分以下，或无有效评分"),
    ])


APPLICATION_DOC = "重点建设项目从申报、论证、立项、实施、三阶段验收到效益评估和结项（或责任追究）的全过程。"
DEMONSTRATION_DOC = "党建示范片、示范带建设项目：由县(区)申报，经论证立项后实施、验收和效益评估。"

PROCESSES = [
    lambda: project("key_project", "重点建设项目", "key_project", APPLICATION_DOC),
    lambda: project("demonstration_project", "党建示范片、示范带建设项目", "demonstration", DEMONSTRATION_DOC),
    application_review, argumentation, implementation, quarterly_report, acceptance_stage, benefit_evaluation,
    accountability,
]


def build() -> dict[Path, str]:
    """Every generated file with its content."""
    files = {WORKFLOWS / f"{process.id}.bpmn": process.to_xml() for process in (make() for make in PROCESSES)}
    files[WORKFLOWS / "acceptance_grade.dmn"] = grade_table()
    for name, schema in FORMS.items():
        files[FORMS_DIR / name] = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
    return files


def main() -> None:
    for path, text in build().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
