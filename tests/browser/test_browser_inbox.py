"""The inbox as each person sees it, in headless Chromium: routing, confidentiality, quota,
withdrawal, reminders that clear, and an extension that holds off the grace timer."""

from __future__ import annotations

import pytest

from tests.browser.helpers import User

pytestmark = pytest.mark.browser
APPLICANT = "county1_applicant"


def text(user: User) -> str:
    return user.page.inner_text("main")


def test_routing_and_expert_confidentiality(browser, site):
    base, party = site
    instance_id = party.apply(APPLICANT, "浏览器保密项目")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.assign_panel(instance_id)
    party.do("panel1", "panel_score", instance_id, {"recuse": False, "score": 71, "opinion": "专家一的保密意见"})

    panel2 = User(browser, base, "panel2", "confidential").login()
    assert panel2.inbox() == ["专家论证评分"]
    panel2.open("专家论证评分")
    assert "专家一的保密意见" not in text(panel2) and "71" not in text(panel2)
    assert panel2.page.input_value("#f-opinion") == ""  # not the city's "审核通过" from another step
    panel2.close()

    party.do("panel2", "panel_score", instance_id, {"recuse": False, "score": 88, "opinion": "同意"})
    party.do("panel3", "panel_score", instance_id, {"recuse": True, "recuse_reason": "保密的回避理由"})
    party.write_panel_opinion(instance_id)  # the 组长's collective opinion
    city = User(browser, base, "city_org", "confidential").login()  # lands on 我的待办 with the decision in it
    assert city.page.locator("table.tasks tbody tr").count() >= 1
    city.close()
    party.decide(instance_id, "approve")
    applicant = User(browser, base, APPLICANT, "confidential").login()
    applicant.page.goto(base + "/?tab=done")
    applicant.follow(applicant.page.locator("table.tasks td:nth-child(2) a").first)
    page = text(applicant)
    assert "专家一的保密意见" not in page and "保密的回避理由" not in page and "专家论证评分" not in page
    applicant.close()


def test_quota_withdrawal_and_a_reminder_that_clears(browser, site):
    base, party = site
    first = party.apply(APPLICANT, "第一个申报")
    party.apply(APPLICANT, "第二个申报")
    applicant = User(browser, base, APPLICANT, "quota").login()
    button = applicant.page.get_by_role("button", name="申报: 重点建设项目")
    assert button.is_disabled() and "名额已用完" in text(applicant)
    applicant.page.goto(base + "/?tab=done")
    applicant.page.get_by_role("link", name="填写重点项目申报书").first.click()
    applicant.page.once("dialog", lambda dialog: dialog.accept())  # 撤回申报 asks first
    applicant.page.get_by_role("button", name="撤回申报").click()
    applicant.page.wait_for_url(base + "/")
    assert party.engine.instance("admin", first).status in ("withdrawn", "waiting")
    assert applicant.page.get_by_role("button", name="申报: 重点建设项目").is_enabled()

    leader_task = party.task("county1_leader", "leader_approval", party.engine.inbox(
        "county1_leader", "mine").rows[0].instance_id)
    party.engine.send_reminder("supervisor", leader_task.id, "请尽快审批")
    leader = User(browser, base, "county1_leader", "quota").login()
    assert "请尽快审批" in text(leader)
    leader.open("分管领导审批")
    leader.choose("decision", "pass")
    leader.page.fill("#f-opinion", "同意上报")
    leader.submit()
    leader.page.goto(base + "/")
    assert "请尽快审批" not in text(leader)  # the task is done: its reminder is gone
    leader.close()
    applicant.close()


def test_an_extension_holds_off_the_grace_timer(browser, site):
    base, party = site
    instance_id = party.apply(APPLICANT, "延期项目")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.argue_and_approve(instance_id, APPLICANT)
    party.at("2008-04-21")
    applicant = User(browser, base, APPLICANT, "extension").login()
    applicant.open("填写季度推进情况")
    applicant.page.fill("#new-due", "2008-05-30")
    applicant.page.fill("#reason", "需等待年度考核数据")
    applicant.page.get_by_role("button", name="提交申请").click()
    city = User(browser, base, "city_org", "extension").login()
    city.page.get_by_role("button", name="批准").first.click()
    party.at("2008-05-20")  # past the original grace date (19 May)
    city.page.goto(base + "/?tab=mine")
    assert "责任追究立案" not in text(city)  # no case inside the granted time
    applicant.page.goto(base + "/?tab=mine")
    assert "填写季度推进情况" in text(applicant)
    city.close()
    applicant.close()
