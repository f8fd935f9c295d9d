"""Every decision a reviewer takes is the one the process carries out.

A form offers only what the diagram will do: once the year plan's limit of returns is reached, 退回
is no longer a choice (and the form says why); a 退回 submitted anyway is refused, never turned
into another outcome by a gateway behind the reviewer's back.
"""

from __future__ import annotations

import pytest

from engine.errors import InvalidSubmission
from party.demo.driver import ProjectDriver
from party.demo.submissions import key_application

APPLICANT = "county1_applicant"


def choices(party: ProjectDriver, user: str, bpmn_id: str, instance_id: int) -> tuple[list, str]:
    detail = party.engine.task(user, party.task(user, bpmn_id, instance_id).id)
    field = detail.form["properties"]["decision"]
    return list(field["enum"]), str(field.get("description", ""))


def test_a_quarterly_report_returned_up_to_the_limit_can_no_longer_be_returned(party):
    instance_id = party.apply(APPLICANT, "季度汇报退回上限项目")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.argue_and_approve(instance_id, APPLICANT)
    party.at("2008-04-21")
    for _round in range(3):  # the year plan allows three returns
        party.report(instance_id, APPLICANT, review="return")
        assert "report" in party.steps(instance_id)  # each 退回 returns the report
    party.file_report(instance_id, APPLICANT)
    offered, why = choices(party, "city_org", "review", instance_id)
    assert offered == ["pass"] and "不能再退回" in why
    with pytest.raises(InvalidSubmission):
        party.do("city_org", "review", instance_id, {"decision": "return", "opinion": "再补充"})
    assert "review" in party.steps(instance_id)  # refused: nothing happened
    party.do("city_org", "review", instance_id, {"decision": "pass", "opinion": "同意，请下季度补齐佐证材料"})
    assert "review" not in party.steps(instance_id) and "report" not in party.steps(instance_id)


def test_an_application_past_the_return_limit_is_not_rejected_behind_the_reviewers_back(party):
    instance_id = party.apply(APPLICANT, "退回上限申报项目")
    for _round in range(3):
        party.do("county1_leader", "leader_approval", instance_id, {"decision": "pass", "opinion": "同意上报"})
        assert "return" in choices(party, "city_org", "city_review", instance_id)[0]
        party.do("city_org", "city_review", instance_id, {"decision": "return", "opinion": "请细化指标"})
        assert party.steps(instance_id) == ["submit_key"]  # the 退回 returns the application
        party.submit(APPLICANT, instance_id, key_application("退回上限申报项目"))
    offered, why = choices(party, "county1_leader", "leader_approval", instance_id)
    assert offered == ["pass", "reject"] and "不能再退回" in why
    with pytest.raises(InvalidSubmission):
        party.do("county1_leader", "leader_approval", instance_id, {"decision": "return", "opinion": "再改"})
    party.do("county1_leader", "leader_approval", instance_id, {"decision": "pass", "opinion": "同意上报"})
    assert choices(party, "city_org", "city_review", instance_id)[0] == ["pass", "reject"]
    party.do("city_org", "city_review", instance_id, {"decision": "pass", "opinion": "审核通过"})
    assert party.steps(instance_id) == ["assign_panel"]  # 通过 as chosen, not 不予通过


def test_argumentation_past_the_return_limit_offers_no_return(party):
    instance_id = party.apply(APPLICANT, "论证退回上限项目")
    for _round in range(3):
        party.pass_review(APPLICANT, instance_id)
        party.at("2008-04-10")
        party.assign_panel(instance_id)
        party.score_argumentation(instance_id, {"panel1": 80, "panel2": 82, "panel3": 84})
        party.decide(instance_id, "return")
        assert party.steps(instance_id) == ["submit_key"]
        party.submit(APPLICANT, instance_id, key_application("论证退回上限项目"))
    party.do("county1_leader", "leader_approval", instance_id, {"decision": "pass", "opinion": "同意上报"})
    party.do("city_org", "city_review", instance_id, {"decision": "pass", "opinion": "审核通过"})
    party.assign_panel(instance_id)
    party.score_argumentation(instance_id, {"panel1": 80, "panel2": 82, "panel3": 84})
    offered, why = choices(party, "city_org", "decide", instance_id)
    assert offered == ["approve", "reject"] and "不能再退回" in why
    with pytest.raises(InvalidSubmission):
        party.decide(instance_id, "return")


def test_a_leader_or_county_refusal_is_a_decision_of_its_own(party):
    instance_id = party.apply(APPLICANT, "领导不同意上报项目")
    party.do("county1_leader", "leader_approval", instance_id, {"decision": "reject", "opinion": "不符合本单位实际"})
    assert party.steps(instance_id) == []
    assert party.engine.instance("admin", instance_id).status == "completed"
