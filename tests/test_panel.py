"""The panel as the source has it: a 组长 named with the panel writes the collective opinion (never
one who recused), confirms or rejects a member's 一票否决, and the 整改通知 comes from the panel."""

from __future__ import annotations

import pytest

from engine.errors import Refused
from party.demo.driver import ProjectDriver
from party.demo.submissions import GOOD_SCORE
from party.demo.submissions import IMPLEMENTATION_DATES
from party.demo.submissions import score_sheet

APPLICANT = "county1_applicant"
RECUSED = {"recuse": True, "recuse_reason": "本人曾在项目实施单位任职"}
VETO = "弄虚作假、虚报成绩"  # one of the 2008 plan's 一票否决 items


def approved(party: ProjectDriver, title: str, argumentation: dict[str, int | None] | None = None) -> int:
    instance_id = party.apply(APPLICANT, title)
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.assign_panel(instance_id)  # panel1 is the 组长
    party.score_argumentation(instance_id, argumentation or {"panel1": 86, "panel2": 90, "panel3": 88})
    party.decide(instance_id, "approve")
    party.approve(instance_id, APPLICANT)
    party.implement(instance_id, APPLICANT, IMPLEMENTATION_DATES[:1])  # the first quarterly report
    party.at("2008-05-19")  # the early acceptance opens
    party.apply_for_acceptance(instance_id)
    return instance_id


def holders(party: ProjectDriver, bpmn_id: str, instance_id: int) -> list[str]:
    return [m for m in ("panel1", "panel2", "panel3", "panel4", "panel5")
            if any(row.bpmn_id == bpmn_id for row in party.tasks(m, instance_id))]


def scored(party: ProjectDriver, instance_id: int, members: dict) -> None:
    """Every member scores (``members`` overrides some); the 综合意见 is left open."""
    for member in party.panel:
        task = party.task(member, "score", instance_id)
        sheet = party.engine.task(member, task.id).values.get("criteria", [])
        party.complete(member, task, score_sheet(members.get(member, GOOD_SCORE), sheet))


def test_the_leader_must_be_one_of_the_panel(party):
    instance_id = party.apply(APPLICANT, "组长须为专家项目")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    with pytest.raises(Refused):
        party.do("city_org", "assign_panel", instance_id,
                 {"panel": ["panel1", "panel2", "panel3"], "panel_leader": "panel4", "meeting_date": "2008-04-15"})
    assert party.steps(instance_id) == ["assign_panel"]


def test_a_recused_leader_writes_no_collective_opinion(party):
    instance_id = approved(party, "组长回避项目", {"panel1": None, "panel2": 84, "panel3": 88})
    scored(party, instance_id, {"panel1": RECUSED})
    assert holders(party, "leader_summary", instance_id) == ["panel2"]  # never the recused 组长
    party.summarise_stage(instance_id)
    assert "leader_summary" not in party.steps(instance_id)


def test_the_leader_writes_the_opinions_when_present(party):
    instance_id = approved(party, "组长综合意见项目")
    scored(party, instance_id, {})
    assert holders(party, "leader_summary", instance_id) == ["panel1"]


def test_a_veto_the_leader_rejects_does_not_fail_the_stage(party):
    instance_id = approved(party, "一票否决不予认定项目")
    scored(party, instance_id, {"panel3": {**GOOD_SCORE, "veto_items": [VETO]}})
    party.summarise_stage(instance_id, veto="reject")
    result = party.engine.instance("admin", instance_id)
    assert "rectify" not in party.steps(instance_id) and result.error_message is None


def test_a_confirmed_veto_fails_the_stage_and_the_notice_comes_from_the_panel(party):
    instance_id = approved(party, "一票否决确认项目")
    scored(party, instance_id, {"panel3": {**GOOD_SCORE, "veto_items": [VETO]}})
    leader = holders(party, "leader_summary", instance_id)[0]
    task = party.task(leader, "leader_summary", instance_id)
    detail = party.engine.task(leader, task.id)
    assert detail.values["proposed_veto"] == [VETO]
    assert detail.form["properties"]["veto_decision"]["enum"] == ["confirm", "reject"]
    base = {"veto_decision": "confirm", "summary_opinion": "经核实，项目存在虚报成绩情形，确认一票否决。",
            "inspection_date": "2008-05-19", "inspection_place": "项目实施单位会议室"}
    with pytest.raises(Refused):  # a failed stage needs the 整改通知's problems
        party.complete(leader, task, base)
    party.complete(leader, task, {**base, "summary_issues": [
        {"problem": "虚报示范点建设数量", "requirement": "如实核减并说明情况"}]})
    assert holders(party, "rectify", instance_id) == [] and "rectify" in party.steps(instance_id)
    rectify = party.engine.task(APPLICANT, party.task(APPLICANT, "rectify", instance_id).id)
    assert [(row["problem"], row["requirement"]) for row in rectify.values["issues"]] == [
        ("虚报示范点建设数量", "如实核减并说明情况")]
