"""What people trip over in the pages (issue 18), in headless Chromium where the page's behaviour is
the point: a score sheet after an error, confirmation dialogs, readable diagrams, the matrix on a
1366 px screen."""

from __future__ import annotations

import pytest

from tests.test_browser import User
from tests.test_browser import browser  # noqa: F401 - the shared Chromium fixture
from tests.test_browser_inbox import site  # noqa: F401 - the demo site and its driver
from tests.test_score_sheet import at_early_acceptance

pytestmark = pytest.mark.browser
APPLICANT = "county1_applicant"


def test_the_score_sheet_keeps_its_criteria_after_an_error(browser, site):  # noqa: F811
    base, party = site
    instance_id = at_early_acceptance(party, APPLICANT, "浏览器评分表项目")
    expert = User(browser, base, "panel1", "score-sheet").login()
    expert.open("验收评分")
    for index, score in enumerate((41, 20, 15, 5, 20)):
        expert.page.fill(f"#f-criteria-{index}-score", str(score))
    expert.page.locator("input[name=methods]").first.check()
    expert.page.fill("#f-opinion", "意见")
    expert.submit()
    sheet = expert.page.inner_text("table[data-rows=criteria]")
    assert "目标达成与考核指标完成" in sheet and "效益与示范推广" in sheet and "每有一项未完成扣4分" in sheet
    assert expert.page.input_value("#f-criteria-0-score") == "41"
    assert expert.page.locator("#f-criteria-0-max").inner_text() == "40"
    expert.page.fill("#f-criteria-0-score", "38")
    expert.submit()  # 38 of 40 without a reason: refused, the rows still there
    assert expert.page.locator("[id='criteria.0.deduction-error']").count() == 1
    assert "过程管理与质量节点" in expert.page.inner_text("table[data-rows=criteria]")
    expert.page.fill("#f-criteria-0-deduction", "一项指标未完成")
    expert.submit()
    assert instance_id and "验收评分" not in expert.inbox()
    expert.close()
