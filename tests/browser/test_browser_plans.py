"""The city changes the year plan's scoring template in the browser: a project started afterwards
gets the new score sheet, one started before keeps its own."""

from __future__ import annotations

import pytest

from party.demo.submissions import IMPLEMENTATION_DATES
from tests.browser.helpers import User

pytestmark = pytest.mark.browser


def test_city_changes_the_scoring_template_new_projects_follow_running_ones_keep_theirs(browser, site):
    base, party = site
    running = party.apply("county1_applicant", "按旧模板的项目")

    city = User(browser, base, "city_org", "plans").login()
    city.page.get_by_role("link", name="年度计划").click()
    city.page.get_by_role("link", name="编辑").first.click()
    city.page.fill("#f-acceptance_template-0-name", "目标任务完成情况")
    city.page.fill("#f-acceptance_template-0-max", "45")  # 105 in all: refused, nothing lost
    city.follow(city.page.get_by_role("button", name="保存年度计划"))
    assert "现为 105 分" in city.page.inner_text("main")
    assert city.page.input_value("#f-acceptance_template-0-name") == "目标任务完成情况"
    city.page.fill("#f-acceptance_template-0-max", "40")
    city.follow(city.page.get_by_role("button", name="保存年度计划"))
    assert "年度计划已保存" in city.page.inner_text("main")
    city.shot("plan")
    city.close()

    newer = party.apply("county2_applicant", "按新模板的项目")
    for instance_id, applicant in ((running, "county1_applicant"), (newer, "county2_applicant")):
        party.pass_review(applicant, instance_id)
    party.at("2008-04-10")
    for instance_id, applicant in ((running, "county1_applicant"), (newer, "county2_applicant")):
        party.argue_and_approve(instance_id, applicant, collaborator=None)
        party.implement(instance_id, applicant, IMPLEMENTATION_DATES[:1])
    party.at("2008-05-19")
    party.apply_for_acceptance(running)
    party.apply_for_acceptance(newer)

    panel = User(browser, base, "panel1", "plans").login()
    for instance_id, first in ((running, "目标达成与考核指标完成"), (newer, "目标任务完成情况")):
        task = party.task("panel1", "score", instance_id)
        panel.page.goto(f"{base}/tasks/{task.id}")
        assert first in panel.page.inner_text("form.task-form")
    panel.shot("score-sheet")
    panel.close()
