"""The shipped party-building diagrams, driven through the engine over the 2008 calendar.

Each test follows one path a real project can take and checks, after each step, where the
project stands, who was asked to act and what was recorded.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.errors import Refused
from engine.persistence.models import Notification
from party.demo.driver import ProjectDriver
from party.demo.submissions import GOOD_SCORE
from party.demo.submissions import IMPLEMENTATION_DATES
from party.demo.submissions import POOR_SCORE
from party.demo.submissions import key_application

APPLICANT = "county1_applicant"


def view(party: ProjectDriver, instance_id: int):
    result = party.engine.instance("admin", instance_id)
    assert result.error_message is None, result.error_message
    return result


def who_is_asked(party: ProjectDriver, instance_id: int, users: list[str]) -> dict[str, list[str]]:
    return {user: sorted(row.bpmn_id for row in party.tasks(user, instance_id)) for user in users}


def milestones(party: ProjectDriver, instance_id: int) -> list[str]:
    return [key for key, _name, _at in view(party, instance_id).milestones]


def implement_to_late_acceptance(party: ProjectDriver, instance_id: int, responsible: str) -> None:
    """Quarterly reports, mid-year inspection and the early and mid acceptance, all fine."""
    party.implement(instance_id, responsible, IMPLEMENTATION_DATES[:6])
    party.at("2008-11-17")


def approved_project(party: ProjectDriver, applicant: str = APPLICANT, title: str = "党员党性定期分析试点") -> int:
    instance_id = party.apply(applicant, title)
    party.pass_review(applicant, instance_id)
    party.at("2008-04-10")
    party.argue_and_approve(instance_id, applicant)
    return instance_id


def test_happy_path_to_closure(party):
    instance_id = party.start(APPLICANT)
    assert who_is_asked(party, instance_id, [APPLICANT, "county2_applicant"]) == {
        APPLICANT: ["submit_key"], "county2_applicant": []}
    party.submit(APPLICANT, instance_id, key_application("党员党性定期分析试点"))
    assert who_is_asked(party, instance_id, ["county1_leader", "county2_leader", "county1_org"]) == {
        "county1_leader": ["leader_approval"], "county2_leader": [], "county1_org": []}
    party.do("county1_leader", "leader_approval", instance_id, {"decision": "pass", "opinion": "同意上报"})
    assert who_is_asked(party, instance_id, ["county1_org", "county2_org", "city_org"]) == {
        "county1_org": [], "county2_org": [], "city_org": ["city_review"]}  # a county's own: no 初审
    party.do("city_org", "city_review", instance_id, {"decision": "pass"})
    assert party.steps(instance_id) == ["assign_panel"]

    party.at("2008-04-10")
    party.assign_panel(instance_id)
    assert who_is_asked(party, instance_id, ["panel1", "panel2", "panel3", "panel4"]) == {
        "panel1": ["panel_score"], "panel2": ["panel_score"], "panel3": ["panel_score"], "panel4": []}
    party.score_argumentation(instance_id, {"panel1": 80, "panel2": 90, "panel3": 85})
    assert party.steps(instance_id) == ["decide"]
    detail = party.engine.task("city_org", party.task("city_org", "decide", instance_id).id)
    assert detail.values["argumentation_score"] == 85.0  # shown to the deciding official
    party.decide(instance_id, "approve")
    party.approve(instance_id, APPLICANT)
    current = view(party, instance_id)
    assert current.business["responsible"] == APPLICANT and current.business["status_text"].startswith("实施中")
    assert sorted(s["name"] for s in current.steps) == ["等待年中检查", "等待汇报时间", "等待验收时间"]

    party.at("2008-04-21")
    assert who_is_asked(party, instance_id, [APPLICANT, "county1_org"]) == {APPLICANT: ["report"], "county1_org": []}
    party.report(instance_id, APPLICANT)
    implement_to_late_acceptance(party, instance_id, APPLICANT)
    party.score_stage(instance_id, GOOD_SCORE)
    party.at("2008-12-05")
    party.report(instance_id, APPLICANT)
    assert "implemented" in milestones(party, instance_id)

    party.at("2008-12-08")
    assert who_is_asked(party, instance_id, [APPLICANT, "dept1_applicant"]) == {
        APPLICANT: ["self_evaluation"], "dept1_applicant": []}  # the self-assessment comes first
    party.benefit(instance_id, APPLICANT, rating="良好")
    final = view(party, instance_id)
    assert final.status == "completed" and final.business["status_text"] == "已结项"
    assert milestones(party, instance_id) == ["submitted", "approved", "implemented", "closed", "evaluated"]
    completed_by = {(e.bpmn_id, e.actor) for e in final.events if e.kind == "task_completed"}
    assert {("report", APPLICANT), ("midyear", "city_org"), ("evaluate", "city_org"),
            ("county_assessment", "county1_org"), ("collaborator_input", "dept1_applicant"),
            ("self_evaluation", APPLICANT), ("apply_acceptance", APPLICANT), ("panel_opinion", "panel1"),
            ("leader_summary", "panel1"), ("panel_assessment", "panel1")} <= completed_by  # the 组长
    assert sum(1 for e in final.events if e.kind == "task_completed" and e.bpmn_id == "score") == 9


def test_returned_then_resubmitted_keeps_every_round(party):
    instance_id = party.apply(APPLICANT, "基层党代表列席试点")
    party.do("county1_leader", "leader_approval", instance_id, {"decision": "pass"})
    party.do("city_org", "city_review", instance_id, {"decision": "return", "opinion": "考核指标不够具体，请细化"})
    assert party.steps(instance_id) == ["submit_key"]
    resubmit = party.engine.task(APPLICANT, party.task(APPLICANT, "submit_key", instance_id).id)
    assert resubmit.values["title"] == "基层党代表列席试点"  # the form comes back filled in
    assert any(s.data and s.data.get("opinion") == "考核指标不够具体，请细化" for s in resubmit.history)
    revised = key_application("基层党代表列席试点（修改稿）")
    party.submit(APPLICANT, instance_id, revised)
    party.pass_review(APPLICANT, instance_id)
    assert party.steps(instance_id) == ["assign_panel"]
    submissions = [e for e in view(party, instance_id).events
                   if e.kind == "task_completed" and e.bpmn_id == "submit_key"]
    assert [s.data["title"] for s in submissions] == ["基层党代表列席试点", "基层党代表列席试点（修改稿）"]


def test_rejected_at_argumentation(party):
    instance_id = party.apply("dept1_applicant", "党务公开及社会评价试点")
    party.pass_review("dept1_applicant", instance_id)  # a municipal department: no county review
    party.at("2008-04-10")
    party.assign_panel(instance_id)
    party.score_argumentation(instance_id, {"panel1": 45, "panel2": 50, "panel3": 40})
    party.decide(instance_id, "reject")
    final = view(party, instance_id)
    assert final.status == "completed" and final.business["status_text"] == "不予立项"
    assert milestones(party, instance_id) == ["submitted", "rejected"]  # it frees the unit's quota


def test_third_application_of_a_unit_is_refused(party):
    # three drafts started while the quota was free; the third filing is refused when it comes
    drafts = [party.start("dept2_applicant") for _ in range(3)]
    for draft, title in zip(drafts, ("第一个项目", "第二个项目"), strict=False):
        party.submit("dept2_applicant", draft, key_application(title))
    with pytest.raises(Refused) as refused:
        party.submit("dept2_applicant", drafts[2], key_application("第三个项目"))
    assert "已申报2个同类项目" in refused.value.message
    assert party.steps(drafts[2]) == ["submit_key"]
    with pytest.raises(Refused):  # and now nobody of the unit can even start a fourth
        party.start("dept2_applicant")
    # another unit is not affected, and a demonstration application has its own quota
    party.apply("dept3_applicant", "另一单位的项目")


def test_recusing_panel_member_is_left_out_of_the_mean(party):
    instance_id = party.apply("ent1_applicant", "非公企业党建覆盖")
    party.pass_review("ent1_applicant", instance_id)
    party.at("2008-04-10")
    party.assign_panel(instance_id)
    party.score_argumentation(instance_id, {"panel1": 70, "panel2": None, "panel3": 90})
    detail = party.engine.task("city_org", party.task("city_org", "decide", instance_id).id)
    assert detail.values["argumentation_score"] == 80.0
    recusal = next(e for e in view(party, instance_id).events if e.actor == "panel2" and e.kind == "task_completed")
    assert recusal.data["recuse"] is True and recusal.data["recuse_reason"]


def test_acceptance_fail_then_rectification_then_pass(party):
    instance_id = approved_project(party)
    party.at("2008-04-21")
    party.report(instance_id, APPLICANT)
    party.at("2008-05-19")
    party.score_stage(instance_id, POOR_SCORE)
    assert who_is_asked(party, instance_id, [APPLICANT])[APPLICANT] == ["rectify"]
    assert view(party, instance_id).business["status_text"] == "整改中（前期验收）"
    party.rectify(instance_id, APPLICANT)
    assert sorted(set(party.steps(instance_id)) - {"wait", "midyear_wait"}) == ["score"]
    party.score_stage(instance_id, GOOD_SCORE)
    assert "score" not in party.steps(instance_id) and view(party, instance_id).status == "waiting"
    rectified = next(e for e in view(party, instance_id).events if e.bpmn_id == "rectify")
    assert rectified.data["issues"][0]["problem"] == "考核指标完成不足"
    rescore = [e for e in view(party, instance_id).events if e.bpmn_id == "score"][-1]
    assert rescore.data["rectification_check"] == [
        {"problem": "考核指标完成不足", "measure": "逐项制定整改措施，补齐工作短板", "verified": "rectified"}]


def test_failing_twice_leads_to_accountability_with_an_outcome(party):
    instance_id = approved_project(party)
    party.at("2008-05-19")
    party.score_stage(instance_id, POOR_SCORE)
    party.rectify(instance_id, APPLICANT)
    party.score_stage(instance_id, POOR_SCORE)
    assert "failure_decision" in party.steps(instance_id)  # the city decides; nothing ends by itself
    party.decide_failure(instance_id, "withdraw")
    assert party.steps(instance_id) == ["open_case"]  # 撤项: quarterly reports and other stages stopped
    party.account(instance_id, APPLICANT, outcome="no_award")
    final = view(party, instance_id)
    assert final.status == "completed" and "accounted" in milestones(party, instance_id)
    decision = next(e for e in final.events if e.bpmn_id == "decide_case")
    assert decision.data["outcomes"] == ["no_award"] and decision.data["document_no"].startswith("雅组通〔2008〕")
    opened = next(e for e in final.events if e.bpmn_id == "open_case")
    assert opened.actor == "city_org"
    statement = next(e for e in final.events if e.bpmn_id == "statement")
    assert statement.actor == APPLICANT


def test_overdue_report_reminder_escalation_then_accountability(party):
    instance_id = approved_project(party)
    party.at("2008-04-21")
    report = party.task(APPLICANT, "report", instance_id)
    assert report.due_at.isoformat() == "2008-04-30T15:59:59+00:00"
    party.at("2008-04-28")  # three days before: reminder
    party.at("2008-05-01")  # overdue: formal notice (催办)
    party.at("2008-05-12")  # five working days later (after the May holiday): escalation (督办)
    with party.engine.db.read() as session:
        notes = session.execute(select(Notification.kind, Notification.username)
                                .where(Notification.instance_id == instance_id)).all()
    kinds = {}
    for kind, username in notes:
        kinds.setdefault(kind, set()).add(username)
    assert kinds["due_soon"] == {APPLICANT} and kinds["overdue"] == {APPLICANT}
    assert {"county1_leader", "supervisor"} <= kinds["escalated"]
    assert party.task(APPLICANT, "report", instance_id).ever_overdue
    party.at("2008-05-20")  # past the grace period: the case opens, the report stays open
    assert sorted(set(party.steps(instance_id)) - {"wait", "midyear_wait", "apply_acceptance"}) == [
        "open_case", "report"]
    party.account(instance_id, APPLICANT, outcome="interview")
    events = view(party, instance_id).events
    assert [e.kind for e in events if e.kind in ("overdue", "escalated")] == ["overdue", "escalated"]


def test_statement_window_expires(party):
    instance_id = approved_project(party)
    party.at("2008-05-20")
    party.do("city_org", "open_case", instance_id, {"facts": "第一季度推进情况逾期未报。", "basis": "立项书约定"})
    assert "statement" in party.steps(instance_id)
    party.at("2008-06-10")
    assert "decide_case" in party.steps(instance_id) and "statement" not in party.steps(instance_id)
    detail = party.engine.task("city_org", party.task("city_org", "decide_case", instance_id).id)
    assert "未提交情况说明" in detail.values["statement"]


def test_demonstration_project_to_closure(party):
    with pytest.raises(Refused):
        party.start("dept1_applicant", "demonstration_project")  # only counties apply for these
    instance_id = party.apply("county2_applicant", "名山县茶乡党建示范带", kind="demonstration_project")
    assert view(party, instance_id).business["kind"] == "demonstration"
    party.pass_review("county2_applicant", instance_id)
    party.at("2008-04-10")
    party.argue_and_approve(instance_id, "county2_applicant", collaborator=None)
    implement_to_late_acceptance(party, instance_id, "county2_applicant")
    party.score_stage(instance_id, GOOD_SCORE)
    party.at("2008-12-05")
    party.report(instance_id, "county2_applicant")
    party.at("2008-12-08")
    party.benefit(instance_id, "county2_applicant", rating="优秀", collaborator=None)
    final = view(party, instance_id)
    assert final.status == "completed" and final.business["sector"] == "demonstration"
    assert "closed" in milestones(party, instance_id)


def test_failed_benefit_evaluation_leads_to_accountability(party):
    instance_id = approved_project(party, applicant="dept3_applicant", title="市属单位党员示范岗")
    implement_to_late_acceptance(party, instance_id, "dept3_applicant")
    party.score_stage(instance_id, GOOD_SCORE)
    party.at("2008-12-05")
    party.report(instance_id, "dept3_applicant")
    party.at("2008-12-08")
    party.benefit(instance_id, "dept3_applicant", rating="不合格")
    assert party.steps(instance_id) == ["open_case"]
    party.account(instance_id, "dept3_applicant", outcome="assessment")
    final = view(party, instance_id)
    assert final.status == "completed" and final.business["status_text"] == "责任追究"
    assert "closed" not in milestones(party, instance_id) and "accounted" in milestones(party, instance_id)
