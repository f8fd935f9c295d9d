"""The acceptance score sheet follows the year plan's scoring template as it was when the project
started: criteria, maxima, rules, veto items; scores above a criterion's maximum are refused and a
criterion cannot be rewritten by the one who scores."""

from __future__ import annotations

import copy

import pytest

from engine.errors import InvalidSubmission
from party.demo.driver import ProjectDriver
from party.demo.submissions import GOOD_SCORE
from party.demo.submissions import IMPLEMENTATION_DATES
from party.demo.submissions import score_sheet

APPLICANT = "county1_applicant"


def at_early_acceptance(party: ProjectDriver, applicant: str, title: str) -> int:
    instance_id = party.apply(applicant, title)
    party.pass_review(applicant, instance_id)
    party.at("2008-04-10")
    party.argue_and_approve(instance_id, applicant)
    party.implement(instance_id, applicant, IMPLEMENTATION_DATES[:1])
    party.at("2008-05-19")
    party.apply_for_acceptance(instance_id)
    return instance_id


def sheet_of(party: ProjectDriver, instance_id: int, member: str = "panel1") -> list[dict]:
    task = party.task(member, "score", instance_id)
    return party.engine.task(member, task.id).values["criteria"]


def test_the_sheet_shows_the_templates_criteria_and_refuses_scores_above_the_maximum(party_engine):
    party = ProjectDriver(party_engine)
    instance_id = at_early_acceptance(party, APPLICANT, "评分表项目")
    sheet = sheet_of(party, instance_id)
    assert [(row["criterion"], row["max"]) for row in sheet] == [
        ("目标达成与考核指标完成", 40), ("过程管理与质量节点", 20), ("创新与品牌贡献", 15), ("支撑保障与资源使用", 5),
        ("效益与示范推广", 20)]
    assert "每有一项未完成扣4分" in sheet[0]["rules"]
    task = party.task("panel1", "score", instance_id)
    too_much = score_sheet({**GOOD_SCORE, "goals": 41}, sheet)
    with pytest.raises(InvalidSubmission) as refused:
        party_engine.complete("panel1", task.id, too_much)
    assert [error.path for error in refused.value.errors] == ["criteria.0.score"]
    tampered = score_sheet(GOOD_SCORE, sheet)
    tampered["criteria"][0].update(criterion="随便写的项目", max=100)
    party_engine.complete("panel1", task.id, tampered)
    scored = next(e for e in party_engine.instance("admin", instance_id).events
                  if e.kind == "task_completed" and e.bpmn_id == "score")
    first = scored.data["criteria"][0]
    assert first["criterion"] == "目标达成与考核指标完成" and first["max"] == 40


def test_a_veto_item_fails_the_stage_whatever_the_scores(party_engine):
    party = ProjectDriver(party_engine)
    instance_id = at_early_acceptance(party, APPLICANT, "一票否决项目")
    party.score_stage(instance_id, {**GOOD_SCORE, "veto_items": ["弄虚作假、虚报成绩"]})
    business = party_engine.instance("admin", instance_id).business
    assert business["stage_grade"] == "不合格"


def test_a_changed_template_applies_to_new_projects_while_running_ones_keep_theirs(party_engine):
    party = ProjectDriver(party_engine)
    running = party.apply(APPLICANT, "按旧模板评分的项目")
    plan = copy.deepcopy(party_engine.reference("year:2008"))
    plan["acceptance_template"] = [{"key": "goals", "name": "目标任务完成情况", "max": 60, "rules": "逐项核查"},
                                   {"key": "satisfaction", "name": "群众满意度", "max": 40, "rules": "测评得分折算"}]
    party_engine.set_reference("admin", "year:2008", plan)
    newer = party.apply("county2_applicant", "按新模板评分的项目")
    for instance_id, applicant in ((running, APPLICANT), (newer, "county2_applicant")):
        party.pass_review(applicant, instance_id)
    party.at("2008-04-10")
    for instance_id, applicant in ((running, APPLICANT), (newer, "county2_applicant")):
        party.argue_and_approve(instance_id, applicant, collaborator=None)
        party.implement(instance_id, applicant, IMPLEMENTATION_DATES[:1])
    party.at("2008-05-19")
    party.apply_for_acceptance(running)
    party.apply_for_acceptance(newer)
    assert sheet_of(party, running)[0]["criterion"] == "目标达成与考核指标完成"
    assert [(row["criterion"], row["max"]) for row in sheet_of(party, newer)] == [
        ("目标任务完成情况", 60), ("群众满意度", 40)]
    party.score_stage(newer, GOOD_SCORE)
    assert party_engine.instance("admin", newer).business["stage_grade"] in ("良好", "优秀")


def test_a_stage_may_have_its_own_template(party_engine):
    party = ProjectDriver(party_engine)
    plan = copy.deepcopy(party_engine.reference("year:2008"))
    early = [{"key": "start", "name": "启动部署情况", "max": 100, "rules": "方案、机构、经费到位"}]
    plan["stage_templates"] = {"early": early}
    party_engine.set_reference("admin", "year:2008", plan)
    instance_id = at_early_acceptance(party, APPLICANT, "分阶段模板项目")
    assert [(row["criterion"], row["max"]) for row in sheet_of(party, instance_id)] == [("启动部署情况", 100)]
    party.score_stage(instance_id, GOOD_SCORE)
    party.implement(instance_id, APPLICANT, IMPLEMENTATION_DATES[2:5])  # the mid-term acceptance is scored too
    scores = [e.data for e in party_engine.instance("admin", instance_id).events if e.bpmn_id == "score"]
    assert scores[0]["criteria"][0]["criterion"] == "启动部署情况"
    assert scores[-1]["criteria"][0]["criterion"] == "目标达成与考核指标完成"  # the default template


def test_a_recusing_member_submits_the_sheet_without_scores(party_engine, app, client):
    """回避: the reason is all a recusing expert gives, on the engine and through the task page."""
    from tests.webhelpers import login
    from tests.webhelpers import post

    party = ProjectDriver(party_engine)
    instance_id = at_early_acceptance(party, APPLICANT, "回避评分项目")
    task = party.task("panel1", "score", instance_id)
    party_engine.complete("panel1", task.id, {"recuse": True, "recuse_reason": "本人曾在申报单位任职"})
    assert "score" not in [t.bpmn_id for t in party.tasks("panel1", instance_id)]
    task = party.task("panel2", "score", instance_id)
    login(client, "panel2")
    page = f"/tasks/{task.id}"
    response = post(client, page, {"action": "submit", "recuse": "on", "recuse_reason": "与项目负责人系近亲属"},
                    page=page)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with pytest.raises(InvalidSubmission):  # a recusal without its reason is still refused
        party_engine.complete("panel3", party.task("panel3", "score", instance_id).id, {"recuse": True})
