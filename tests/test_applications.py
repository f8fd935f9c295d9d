"""Quota and withdrawal: the quota shows before anything is written, and a withdrawn or rejected
application frees it again."""

from __future__ import annotations

import pytest

from engine.errors import InvalidState
from engine.errors import NotAllowed
from engine.errors import Refused
from party.demo.driver import ProjectDriver
from party.demo.submissions import key_application
from tests.webhelpers import login
from tests.webhelpers import post
from tests.webhelpers import text

APPLICANT = "county1_applicant"


def refusal(party: ProjectDriver, process_id: str = "key_project") -> str | None:
    return {pid: why for pid, _name, why in party.engine.startable_processes(APPLICANT)}[process_id]


def test_a_full_quota_is_shown_before_anything_is_written_and_withdrawal_frees_it(party, app):
    first = party.apply(APPLICANT, "第一个项目")
    assert refusal(party) is None
    party.apply(APPLICANT, "第二个项目")
    assert "名额已用完" in refusal(party)
    with pytest.raises(Refused):
        party.start(APPLICANT)
    client = app.test_client()
    login(client, APPLICANT)
    page = text(client.get("/"))
    assert "disabled" in page and "名额已用完" in page
    # the first is still with the unit's leader: the applicant takes it back
    done = party.engine.inbox(APPLICANT, "done").rows
    assert party.engine.task(APPLICANT, done[-1].id).may_withdraw
    assert post(client, f"/instances/{first}/withdraw").status_code == 302
    assert party.engine.instance("admin", first).status == "withdrawn"
    assert party.engine.inbox("county1_leader", "mine").total == 1  # only the second one is left there
    assert refusal(party) is None and party.start(APPLICANT)


def test_withdrawal_ends_once_the_leader_has_approved_and_is_the_starters_alone(party):
    instance_id = party.apply(APPLICANT, "已审批的项目")
    with pytest.raises(NotAllowed):
        party.engine.withdraw("county1_leader", instance_id)
    party.do("county1_leader", "leader_approval", instance_id, {"decision": "pass", "opinion": "同意上报"})
    with pytest.raises(InvalidState):
        party.engine.withdraw(APPLICANT, instance_id)


def test_a_rejected_application_does_not_count_against_the_quota(party):
    rejected = party.apply(APPLICANT, "将被否决的项目")
    party.do("county1_leader", "leader_approval", rejected, {"decision": "pass", "opinion": "同意"})
    party.do("city_org", "city_review", rejected, {"decision": "reject", "opinion": "与年度重点重复"})
    party.apply(APPLICANT, "第二个项目")
    assert refusal(party) is None  # one counts, the rejected one does not
    party.submit(APPLICANT, party.start(APPLICANT), key_application("第三个项目"))
    assert "名额已用完" in refusal(party)


def test_only_counties_may_start_a_demonstration_application(party):
    assert "由县(区)申报" in {pid: why for pid, _n, why in party.engine.startable_processes("dept1_applicant")
                            }["demonstration_project"]
    assert refusal(party, "demonstration_project") is None
