"""Binding decisions are signed by the department's leadership, 追责 outcomes are consistent, an
申诉 leads to a 复核, and a stage failed twice ends only by the city's decision."""

from __future__ import annotations

import pytest

from engine.errors import Refused
from party.demo.driver import ProjectDriver
from party.demo.submissions import POOR_SCORE
from party.demo.submissions import SIGNING_LEADER
from party.demo.submissions import approval

APPLICANT = "county1_applicant"
CASE = {"facts": "前期验收两次评定为不合格，经核实属实。", "basis": "立项批复和年度考核办法"}
REASONS = "依据认定的事实和申辩情况作出处理。"


def argued(party: ProjectDriver, title: str) -> int:
    instance_id = party.apply(APPLICANT, title)
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.assign_panel(instance_id)
    party.score_argumentation(instance_id, {"panel1": 86, "panel2": 90, "panel3": 88})
    party.decide(instance_id, "approve")
    return instance_id


def failed_twice(party: ProjectDriver, title: str) -> int:
    instance_id = argued(party, title)
    party.approve(instance_id, APPLICANT)
    party.at("2008-05-19")
    party.score_stage(instance_id, POOR_SCORE)
    party.rectify(instance_id, APPLICANT)
    party.score_stage(instance_id, POOR_SCORE)
    return instance_id


def test_approval_waits_for_the_leaders_signature_and_may_come_back(party):
    instance_id = argued(party, "立项审签项目")
    party.do("city_org", "approve", instance_id, approval(APPLICANT, "county1_leader", None))
    assert party.steps(instance_id) == ["sign_approval"]
    assert [row.bpmn_id for row in party.engine.inbox(SIGNING_LEADER, "mine").rows] == ["sign_approval"]
    assert party.engine.instance("admin", instance_id).business.get("status_text") == "立项中"
    party.sign(instance_id, "sign_approval", "return")
    assert party.steps(instance_id) == ["approve"]  # back to the clerk, with the leader's reason
    assert party.task("city_org", "approve", instance_id).return_note
    party.approve(instance_id, APPLICANT)  # the clerk again, then the leader signs
    assert "sign_approval" not in party.steps(instance_id)
    assert party.engine.instance("admin", instance_id).business.get("status_text").startswith("实施中")


def test_a_second_failure_waits_for_the_citys_decision_and_may_continue(party):
    instance_id = failed_twice(party, "调整后继续项目")
    steps = party.steps(instance_id)
    assert "failure_decision" in steps and "open_case" not in steps  # no automatic termination
    party.decide_failure(instance_id, "continue")
    steps = party.steps(instance_id)
    assert "failure_decision" not in steps and "open_case" not in steps
    party.at("2008-08-18")  # the mid-term acceptance still takes place
    assert "apply_acceptance" in party.steps(instance_id)


def test_no_action_excludes_other_outcomes_and_the_decision_is_signed(party):
    instance_id = failed_twice(party, "追责决定审签项目")
    party.decide_failure(instance_id, "withdraw")
    party.do("city_org", "open_case", instance_id, CASE)
    party.do(APPLICANT, "statement", instance_id, {"statement": "因客观原因导致进度滞后。"})
    decision = {"document_no": "雅组通〔2008〕12号", "decision_date": "2008-06-10", "reasons": REASONS,
                "appeal_deadline": "2008-07-10"}
    with pytest.raises(Refused):
        party.do("city_org", "decide_case", instance_id, {**decision, "outcomes": ["none", "criticism"]})
    party.do("city_org", "decide_case", instance_id, {**decision, "outcomes": ["criticism"]})
    assert party.steps(instance_id) == ["sign_case"]
    party.sign(instance_id, "sign_case", "return")
    assert party.steps(instance_id) == ["decide_case"]
    party.do("city_org", "decide_case", instance_id, {**decision, "outcomes": ["interview"]})
    party.sign(instance_id, "sign_case")
    assert party.steps(instance_id) == ["appeal"]  # the person held responsible may appeal
    party.do(APPLICANT, "appeal", instance_id, {"appeal_choice": "appeal",
                                                "grounds": "滞后系因上级政策调整所致，请求复核。"})
    assert party.steps(instance_id) == ["review_appeal"]
    party.do("city_org", "review_appeal", instance_id, {"review_result": "change", "changed_outcomes": ["education"],
                                                         "review_opinion": "经复核，情节较轻，变更为批评教育。"})
    final = party.engine.instance("admin", instance_id)
    assert final.status == "completed" and final.error_message is None


def test_an_appeal_window_that_lapses_closes_the_case(party):
    instance_id = failed_twice(party, "申诉期满项目")
    party.decide_failure(instance_id, "withdraw")
    party.do("city_org", "open_case", instance_id, CASE)
    party.do(APPLICANT, "statement", instance_id, {"statement": "对认定的事实无异议，接受组织处理。"})
    party.do("city_org", "decide_case", instance_id, {
        "document_no": "雅组通〔2008〕13号", "decision_date": "2008-06-10", "reasons": REASONS,
        "appeal_deadline": "2008-06-20", "outcomes": ["assessment"]})
    party.sign(instance_id, "sign_case")
    assert party.steps(instance_id) == ["appeal"]
    party.at("2008-06-21")
    assert party.engine.instance("admin", instance_id).status == "completed"
