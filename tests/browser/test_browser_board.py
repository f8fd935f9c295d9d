"""The supervisor's pages in headless Chromium: the ledger filtered and sorted, the bottleneck chart,
a reminder sent from the ledger, and a county that sees only its own projects."""

from __future__ import annotations

import pytest

from tests.browser.helpers import ARTIFACTS
from tests.browser.helpers import User

pytestmark = pytest.mark.browser


def ledger_titles(user: User) -> list[str]:
    """The project titles in the ledger (without the marks beside them)."""
    return [text.split()[0] for text in user.page.locator("table.ledger tbody tr td:nth-child(2)").all_inner_texts()]


def test_supervisor_finds_the_late_project_charts_the_bottleneck_and_urges_its_holder(browser, site, assets):
    base, party = site
    longest = party.apply("county1_applicant", "论证逾期最久项目")
    party.pass_review("county1_applicant", longest)
    party.assign_panel(longest)
    party.at("2008-03-10")
    shorter = party.apply("county2_applicant", "名山县论证项目")
    party.pass_review("county2_applicant", shorter)
    party.assign_panel(shorter)
    party.apply("dept1_applicant", "部门新申报项目")  # waits at its leader's approval, not at argumentation
    party.at("2008-05-20")  # every scoring is late by now
    urged = party.task("panel1", "panel_score", longest)

    supervisor = User(browser, base, "supervisor", "board").login()
    supervisor.page.get_by_role("link", name="项目台账").click()
    supervisor.page.get_by_label("环节").select_option("专家论证评分")
    supervisor.page.get_by_label("仅看逾期").check()
    supervisor.follow(supervisor.page.get_by_role("button", name="筛选"))
    assert sorted(ledger_titles(supervisor)) == sorted(["论证逾期最久项目", "名山县论证项目"])
    supervisor.follow(supervisor.page.get_by_role("link", name="等待起始"))  # sort by waiting time, longest first
    assert "overdue=1" in supervisor.page.url and "sort=waiting" in supervisor.page.url
    assert ledger_titles(supervisor)[0] == "论证逾期最久项目"
    supervisor.shot("ledger")

    supervisor.page.locator("table.ledger tbody tr").first.get_by_role("link", name="论证逾期最久项目").click()
    supervisor.page.wait_for_selector("#progress[data-state=drawn]")
    argumentation = supervisor.page.locator('#progress .djs-element[data-element-id="argumentation"]')
    assert "step-late" in argumentation.get_attribute("class")
    assert "step-done" in supervisor.page.locator('#progress [data-element-id="application"]').get_attribute("class")
    assert supervisor.page.locator(".progress-badge").first.inner_text() == "已等待 78 天"
    supervisor.shot("project-diagram")
    argumentation.click()  # drill down into the called process
    supervisor.page.wait_for_selector("#progress[data-state=drawn][data-process=argumentation]")
    assert "step-late" in supervisor.page.locator('#progress [data-element-id="panel_score"]').get_attribute("class")
    assert "step-done" in supervisor.page.locator('#progress [data-element-id="assign_panel"]').get_attribute("class")
    supervisor.shot("project-diagram-argumentation")
    supervisor.page.locator("#progress-trail").get_by_role("button").click()  # back up to the project
    supervisor.page.wait_for_selector("#progress[data-state=drawn][data-process=key_project]")

    supervisor.follow(supervisor.page.get_by_role("link", name="打印项目档案"))  # the A4 dossier, printed to PDF
    assert "填写重点项目申报书" in supervisor.page.inner_text("#documents")
    pdf = supervisor.page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    (ARTIFACTS / "board-dossier.pdf").write_bytes(pdf)
    supervisor.page.emulate_media(media="print")
    supervisor.shot("dossier-print")
    supervisor.page.emulate_media(media="screen")
    supervisor.page.go_back()

    supervisor.page.locator(f'#waiting a[href$="/tasks/{urged.id}"]').click()
    supervisor.page.fill("#remind-message", "请于今日完成评分")
    supervisor.page.get_by_role("button", name="发出催办").click()

    panel = User(browser, base, "panel1", "board").login()
    assert "请于今日完成评分" in panel.page.inner_text("main")
    panel.close()

    supervisor.page.goto(base + "/projects/?overdue=1")
    supervisor.page.get_by_role("link", name="卡点分析").click()
    chart = supervisor.page.locator("#chart-steps")
    chart.wait_for(state="attached")
    supervisor.page.wait_for_selector("#chart-steps[data-state=drawn] svg")
    supervisor.shot("bottlenecks")

    assert "专家论证评分" in supervisor.page.inner_text("table")
    supervisor.follow(supervisor.page.get_by_role("link", name="矩阵管理图"))
    assert supervisor.page.locator('table.matrix tr:has-text("论证逾期最久项目") td[data-node=argue]') \
        .get_attribute("data-state") == "late"
    supervisor.shot("matrix")
    supervisor.close()

    county = User(browser, base, "county2_org", "board").login()
    county.page.goto(base + "/projects/?state=all")
    assert ledger_titles(county) == ["名山县论证项目"]
    county.close()
