"""Applications below and at the county: a county's own application skips its own 初审, a
township or village shares its county's quota, and the supervisors' list of units that have not
applied tells key projects from 示范片/带 and does not count drafts."""

from __future__ import annotations

import pytest

from engine.errors import Refused
from party.demo.driver import ProjectDriver
from party.demo.submissions import key_application

COUNTY = "county1_applicant"  # 雨城区 itself: the 区委组织部's own applications
TOWN = "town_applicant"  # 北郊镇, in 雨城区


@pytest.fixture
def town(party: ProjectDriver) -> ProjectDriver:
    party.engine.add_user(TOWN, "511802001", ["applicant"], password="demo-password")
    party.engine.add_user("town_leader", "511802001", ["unit_leader"], password="demo-password")
    return party


def test_a_countys_own_application_is_not_reviewed_by_that_county(party):
    instance_id = party.apply(COUNTY, "区委组织部自己的项目")
    party.do("county1_leader", "leader_approval", instance_id, {"decision": "pass", "opinion": "同意上报"})
    assert party.steps(instance_id) == ["city_review"]
    assert party.engine.inbox("county1_org", "mine").total == 0


def test_a_townships_application_is_reviewed_by_its_county(town):
    instance_id = town.apply(TOWN, "北郊镇党建项目")
    town.do("town_leader", "leader_approval", instance_id, {"decision": "pass", "opinion": "同意上报"})
    assert town.steps(instance_id) == ["county_review"]
    assert [row.bpmn_id for row in town.engine.inbox("county1_org", "mine").rows] == ["county_review"]


def test_a_township_cannot_bypass_its_countys_quota(town):
    town.apply(COUNTY, "区级项目一")
    draft = town.start(TOWN)  # started while the county still had room
    town.apply(COUNTY, "区级项目二")
    refusals = {pid: why for pid, _name, why in town.engine.startable_processes(TOWN)}
    assert "名额已用完" in refusals["key_project"]
    with pytest.raises(Refused):
        town.submit(TOWN, draft, key_application("北郊镇项目"))
    assert town.steps(draft) == ["submit_key"]


def test_the_not_applied_list_tells_key_projects_from_demonstrations_and_ignores_drafts(party):
    party.apply("county1_applicant", "雨城区重点项目")
    party.start("county2_applicant")  # a draft only: 名山县 has not applied
    party.apply("county3_applicant", "荥经县示范带", kind="demonstration_project")
    party.at("2008-04-10")  # the application window has closed
    found = party.engine.supervision("supervisor")
    key = [name for _code, name in found.not_applied["key_project"]]
    demo = [name for _code, name in found.not_applied["demonstration"]]
    assert "雨城区" not in key and "名山县" in key and "荥经县" in key
    assert "雨城区" in demo and "名山县" in demo and "荥经县" not in demo
    assert all(name in ("雨城区", "名山县", "荥经县", "汉源县") for name in demo)  # only counties


def test_demonstration_drafts_do_not_count_either(party):
    instance_id = party.start("county4_applicant", "demonstration_project")
    party.at("2008-04-10")
    assert "汉源县" in [name for _code, name in party.engine.supervision("supervisor").not_applied["demonstration"]]
    assert party.steps(instance_id) == ["submit_demo"]
