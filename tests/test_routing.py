"""Work reaches the right person, and a form shows only its own step's values.

A task that exactly one person may take (an assignee, or the only holder of the role in scope) is
in that person's 我的待办 at once; 待认领 holds only work several people could take. A field that
two steps share by name (``opinion``, ``decision``) never carries one step's input into the other.
"""

from __future__ import annotations

from party.demo.driver import ProjectDriver
from party.demo.submissions import GOOD_SCORE
from party.demo.submissions import key_application

APPLICANT = "county1_applicant"


def mine(party: ProjectDriver, user: str) -> list[str]:
    return sorted(row.bpmn_id for row in party.engine.inbox(user, "mine").rows)


def claimable(party: ProjectDriver, user: str) -> list[str]:
    return sorted(row.bpmn_id for row in party.engine.inbox(user, "claimable").rows)


def test_work_with_one_possible_holder_is_in_my_inbox_without_claiming(party):
    instance_id = party.start(APPLICANT)
    assert mine(party, APPLICANT) == ["submit_key"] and claimable(party, APPLICANT) == []
    party.submit(APPLICANT, instance_id, key_application("一人经办的项目"))
    assert mine(party, "county1_leader") == ["leader_approval"]
    party.do("county1_leader", "leader_approval", instance_id, {"decision": "pass", "opinion": "同意上报"})
    assert mine(party, "county1_org") == []  # the county's own application: no 初审 by itself
    assert mine(party, "city_org") == ["city_review"]  # city_org lands on a non-empty 我的待办
    party.do("city_org", "city_review", instance_id, {"decision": "pass", "opinion": "审核通过"})
    party.at("2008-04-10")
    party.assign_panel(instance_id)
    assert [mine(party, member) for member in ("panel1", "panel2", "panel3")] == [["panel_score"]] * 3


def test_work_several_may_take_waits_to_be_claimed_and_then_is_theirs_alone(party):
    party.engine.add_user("county1_applicant2", "511802", ["applicant"], password="demo-password")
    party.start(APPLICANT)
    assert claimable(party, APPLICANT) == claimable(party, "county1_applicant2") == ["submit_key"]
    task_id = party.engine.inbox(APPLICANT, "claimable").rows[0].id
    party.engine.claim("county1_applicant2", task_id)
    assert mine(party, "county1_applicant2") == ["submit_key"] and claimable(party, APPLICANT) == []


def test_steps_sharing_a_field_name_keep_their_own_values(party):
    instance_id = party.apply(APPLICANT, "字段隔离项目")
    party.pass_review(APPLICANT, instance_id)  # three reviews, each with its own `opinion`
    party.at("2008-04-10")
    party.assign_panel(instance_id)
    engine = party.engine
    panel1 = engine.task("panel1", party.task("panel1", "panel_score", instance_id).id)
    assert "opinion" not in panel1.values  # not city_org's "审核通过" from the review
    party.score_argumentation(instance_id, {"panel1": 86, "panel2": 90, "panel3": 88})
    decide = engine.task("city_org", party.task("city_org", "decide", instance_id).id)
    assert decide.values == {"argumentation_score": 88.0}  # computed for the step; no expert's opinion
    party.decide(instance_id, "return")
    resubmit = engine.task(APPLICANT, party.task(APPLICANT, "submit_key", instance_id).id)
    assert resubmit.values["title"] == "字段隔离项目"  # its own earlier submission comes back
    assert "opinion" not in resubmit.values and "decision" not in resubmit.values


def test_a_panel_member_never_sees_another_members_score_in_the_form(party):
    instance_id = party.apply(APPLICANT, "评分隔离项目")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.assign_panel(instance_id)
    party.score_argumentation(instance_id, {"panel1": 61})
    panel2 = party.engine.task("panel2", party.task("panel2", "panel_score", instance_id).id)
    assert panel2.values.get("score") is None and panel2.values.get("opinion") is None


def test_a_returned_step_is_marked_and_opens_with_the_reason(party, app):
    from tests.webhelpers import login
    from tests.webhelpers import text

    instance_id = party.apply(APPLICANT, "退回标记项目")
    first = party.engine.inbox("county1_leader", "mine").rows[0]
    assert first.return_note is None  # done for the first time
    party.do("county1_leader", "leader_approval", instance_id, {"decision": "return", "opinion": "请补充经费预算"})
    [again] = party.engine.inbox(APPLICANT, "mine").rows
    assert again.bpmn_id == "submit_key" and again.return_note == "请补充经费预算"
    client = app.test_client()
    login(client, APPLICANT)
    assert "退回" in text(client.get("/"))
    page = text(client.get(f"/tasks/{again.id}"))
    assert page.index("请补充经费预算") < page.index("填写重点项目申报书</h1>")  # the reason comes first


def test_expert_scores_are_read_by_the_city_and_the_expert_only(party, app):
    from tests.webhelpers import login
    from tests.webhelpers import text

    instance_id = party.apply(APPLICANT, "评分保密项目")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.assign_panel(instance_id)
    party.do("panel1", "panel_score", instance_id, {"recuse": True, "recuse_reason": "曾在申报单位任职多年"})
    party.do("panel2", "panel_score", instance_id, {"recuse": False, "score": 73, "opinion": "论证不够充分的具体意见"})
    engine = party.engine
    panel3 = engine.task("panel3", party.task("panel3", "panel_score", instance_id).id)
    assert not any(s.data and ("score" in s.data or "recuse_reason" in s.data) for s in panel3.history)
    party.do("panel3", "panel_score", instance_id, {"recuse": False, "score": 90, "opinion": "同意"})
    party.write_panel_opinion(instance_id)
    city = engine.task("city_org", party.task("city_org", "decide", instance_id).id)
    scores = [s.data.get("score") for s in city.history if s.data and "score" in s.data]
    assert sorted(scores) == [73, 90] and any(s.data.get("recuse_reason") for s in city.history if s.data)
    party.decide(instance_id, "approve")
    for reader in (APPLICANT, "panel3"):  # the applicant, and an expert looking at the others
        view = engine.instance(reader, instance_id)
        leaked = [e for e in view.events if e.actor != reader and e.data and
                  ({"score", "opinion", "recuse_reason"} & set(e.data)) and e.bpmn_id == "panel_score"]
        assert leaked == []
    client = app.test_client()
    login(client, APPLICANT)
    page = text(client.get(f"/tasks/{party.engine.inbox(APPLICANT, 'done').rows[0].id}"))
    assert "曾在申报单位任职多年" not in page and "论证不够充分的具体意见" not in page
    assert "专家论证评分" not in page  # not even that each expert scored


def test_a_process_called_again_starts_afresh_and_a_return_within_one_run_is_marked(party):
    instance_id = party.apply(APPLICANT, "季度汇报退回项目")
    party.pass_review(APPLICANT, instance_id)
    party.argue_and_approve(instance_id, APPLICANT)
    party.at("2008-04-21")
    assert party.task(APPLICANT, "report", instance_id).return_note is None
    party.report(instance_id, APPLICANT, review="return")
    assert party.task(APPLICANT, "report", instance_id).return_note == "请补充佐证材料"
    party.report(instance_id, APPLICANT)
    party.at("2008-05-19")
    assert party.task(APPLICANT, "apply_acceptance", instance_id).return_note is None
    party.score_stage(instance_id, GOOD_SCORE)
    party.at("2008-06-20")  # the second quarterly report, and later the mid-term stage, are new runs
    assert party.task(APPLICANT, "report", instance_id).return_note is None
    party.report(instance_id, APPLICANT)
    party.at("2008-08-18")
    assert party.task(APPLICANT, "apply_acceptance", instance_id).return_note is None


def test_a_step_returned_long_after_it_was_done_is_marked(party):
    instance_id = party.apply(APPLICANT, "论证后退回项目")
    party.pass_review(APPLICANT, instance_id)
    party.assign_panel(instance_id)
    party.score_argumentation(instance_id, {"panel1": 70, "panel2": 72, "panel3": 68})
    party.decide(instance_id, "return")
    [again] = [row for row in party.tasks(APPLICANT, instance_id) if row.bpmn_id == "submit_key"]
    assert again.return_note == "请进一步细化考核指标"
