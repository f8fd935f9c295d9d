"""The supervisor's pages in headless Chromium: the ledger filtered and sorted, the bottleneck chart,
a reminder sent from the ledger, and a county that sees only its own projects."""

from __future__ import annotations

import pytest

from tests.test_browser import User
from tests.test_browser import browser  # noqa: F401 - the shared Chromium fixture
from tests.test_browser_inbox import site  # noqa: F401 - the application on the demo organisation

pytestmark = pytest.mark.browser


def ledger_titles(user: User) -> list[str]:
    """The project titles in the ledger (without the marks beside them)."""
    return [text.split()[0] for text in user.page.locator("table.ledger tbody tr td:nth-child(2)").all_inner_texts()]


def test_supervisor_finds_the_late_project_charts_the_bottleneck_and_urges_its_holder(browser, site):  # noqa: F811
    base, party = site
    late = party.apply("county1_applicant", "逾期未审批项目")
    party.apply("county2_applicant", "名山区申报项目")
    party.at("2008-03-06")
    on_time = party.apply("dept1_applicant", "部门新申报项目")
    party.at("2008-03-12")  # the first two leaders' approvals (due 10 March) are late, the third is not
    assert late and on_time

    supervisor = User(browser, base, "supervisor", "board").login()
    supervisor.page.get_by_role("link", name="项目台账").click()
    supervisor.page.get_by_label("仅看逾期").check()
    supervisor.page.get_by_role("button", name="筛选").click()
    assert sorted(ledger_titles(supervisor)) == sorted(["逾期未审批项目", "名山区申报项目"])
    supervisor.page.get_by_role("link", name="等待起始").click()  # sort by waiting time
    assert "overdue=1" in supervisor.page.url and "sort=waiting" in supervisor.page.url
    supervisor.shot("ledger")

    supervisor.page.get_by_role("link", name="卡点分析").click()
    chart = supervisor.page.locator("#chart-steps")
    chart.wait_for(state="attached")
    supervisor.page.wait_for_selector("#chart-steps[data-state=drawn] svg")
    assert "分管领导审批" in supervisor.page.inner_text("table")
    supervisor.shot("bottlenecks")

    supervisor.page.goto(base + "/projects/?q=逾期未审批项目")
    supervisor.page.get_by_role("link", name="分管领导审批").click()
    supervisor.page.fill("#remind-message", "请于今日完成审批")
    supervisor.page.get_by_role("button", name="发出催办").click()
    supervisor.close()

    leader = User(browser, base, "county1_leader", "board").login()
    assert "请于今日完成审批" in leader.page.inner_text("main")
    leader.close()

    county = User(browser, base, "county2_org", "board").login()
    county.page.goto(base + "/projects/?state=all")
    assert ledger_titles(county) == ["名山区申报项目"]
    county.close()
