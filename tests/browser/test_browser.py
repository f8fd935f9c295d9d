"""New users in headless Chromium: an application from filing to approval, screenshot at each page.

Chromium, the demo site and the ``User`` helper are shared with the other browser tests: see
``conftest.py`` and ``helpers.py`` here.
"""

from __future__ import annotations

import pytest

from tests.browser.helpers import ARTIFACTS
from tests.browser.helpers import User
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

PLAN = {
    "goal_system": "年内在全区村(社区)党组织全面开展党员党性定期分析，形成可复制的制度成果。",
    "assurance_system": "成立由分管领导任组长的领导小组，组织科具体负责，落实专项经费和督查制度。",
    "assessment_system": "实行季度汇报、年中检查和三阶段验收，考核结果纳入年度党建目标考核。",
    "support_system": "依托党员远程教育网络，整合宣传、民政等部门资源，建立协作联席会议制度。",
    "benefit_system": "采取群众测评、实地查看与数据比对相结合的方式评估政治、经济和社会效益。",
}


def review(user: User, step: str, decision: str, opinion: str = "") -> None:
    user.open(step)
    user.choose("decision", decision)
    if opinion:
        user.page.fill("#f-opinion", opinion)
    user.submit()
    assert "已提交" in user.page.content()


def test_application_from_filing_to_approval(browser, server, tmp_path):
    name = "application"
    applicant = User(browser, server, "county1_applicant", name).login()
    applicant.page.get_by_role("button", name="申报: 重点建设项目").click()
    applicant.page.wait_for_selector("#f-title")
    applicant.shot("new-application")
    applicant.choose("catalogue_project", "P03")
    applicant.page.fill("#f-title", "党员党性定期分析试点（雨城区）")
    applicant.choose("sector", "quality")
    applicant.page.check("input[name=brands][value=xuanyou]")
    for field, text in PLAN.items():
        applicant.page.fill(f"#f-{field}", text)
    applicant.page.fill("#f-indicators-0-name", "党组织覆盖率")
    applicant.page.fill("#f-indicators-0-target", "100%")
    applicant.page.fill("#f-contact_person", "王芳")
    applicant.page.fill("#f-contact_phone", "0835-2222333")
    applicant.page.fill("#f-project_leader", "张明（组织部副部长）")
    applicant.page.fill("#f-period_start", "2008-04-01")
    applicant.page.fill("#f-period_end", "2008-12-31")
    applicant.page.fill("#f-schedule-0-step", "制定实施细则，明确责任分工")
    applicant.page.fill("#f-schedule-0-start", "2008-04-01")
    applicant.page.fill("#f-schedule-0-end", "2008-05-15")
    applicant.page.fill("#f-budget_amount", "12.5")
    applicant.page.fill("#f-budget_source", "县（区）财政党建专项经费")
    applicant.page.fill("#f-expected_results", "建成3个示范点，形成一套可复制推广的制度成果。")
    applicant.page.fill("#f-unit_opinion", "同意申报，给予保障。")
    applicant.page.fill("#f-secretary", "刘建华")
    applicant.page.check("#f-sealed")
    applicant.page.fill("#f-filing_date", "2008-03-03")
    attachment = tmp_path / "实施方案.pdf"
    attachment.write_bytes(b"%PDF-1.4\n% implementation plan\n")
    applicant.page.set_input_files("input[name=attachments__upload]", str(attachment))
    applicant.submit()
    assert "已提交" in applicant.page.content()
    assert applicant.inbox() == []

    county2 = User(browser, server, "county2_org", name).login()
    assert county2.inbox() == []  # another county sees nothing
    leader = User(browser, server, "county1_leader", name).login()
    assert leader.inbox() == ["分管领导审批"]
    review(leader, "分管领导审批", "pass")

    reviewer = User(browser, server, "county1_org", name).login()
    assert reviewer.inbox() == []  # the county's own application: no 初审 by the same county
    city = User(browser, server, "city_org", name).login()
    assert city.inbox() == ["市委组织部审核"]
    city.open("市委组织部审核")
    assert "实施方案.pdf" in city.page.content()  # the attachment is there to read
    city.choose("decision", "return")
    city.submit()
    assert "审核结果" in city.page.content() and "退回或不予通过时必须写明理由" in city.page.content()
    city.page.fill("#f-opinion", "考核指标需要量化，请补充群众满意度指标。")
    city.submit()
    assert city.inbox() == []

    assert applicant.inbox() == ["填写重点项目申报书"]
    applicant.open("填写重点项目申报书")
    assert "考核指标需要量化，请补充群众满意度指标。" in applicant.page.content()
    assert applicant.page.input_value("#f-title") == "党员党性定期分析试点（雨城区）"
    applicant.page.fill("#f-indicators-1-name", "群众满意度")
    applicant.page.fill("#f-indicators-1-target", "不低于90%")
    applicant.submit()
    assert "已提交" in applicant.page.content()

    review(leader, "分管领导审批", "pass")
    assert city.inbox() == ["市委组织部审核"]
    review(city, "市委组织部审核", "pass")

    city.open("组织论证（确定专家）")
    for member in ("panel1", "panel2", "panel3"):
        city.page.check(f"input[name=panel][value={member}]")
    city.choose("panel_leader", "panel1")  # the 组长
    city.page.fill("#f-meeting_date", "2008-04-15")
    city.submit()

    scores = {"panel1": "86", "panel2": "90", "panel3": None}
    for member, score in scores.items():
        expert = User(browser, server, member, name).login()
        assert expert.inbox() == ["专家论证评分"]
        expert.open("专家论证评分")
        if score is None:
            expert.page.check("#f-recuse")
            expert.page.fill("#f-recuse_reason", "本人曾在申报单位任职，申请回避。")
        else:
            expert.page.fill("#f-score", score)
            expert.page.fill("#f-opinion", "方案可行，建议立项。")
        expert.submit()
        expert.close()
    assert User(browser, server, "panel4", name).login().inbox() == []
    leader_of_panel = User(browser, server, "panel1", name).login()
    assert leader_of_panel.inbox() == ["专家组组长综合论证意见"]
    leader_of_panel.open("专家组组长综合论证意见")
    leader_of_panel.choose("recommendation", "approve")
    leader_of_panel.page.fill("#f-collective_opinion", "专家组认为项目目标明确，方案可行，同意立项。")
    leader_of_panel.submit()
    leader_of_panel.close()

    city.open("论证结论与立项决定")
    assert "88" in city.page.locator("#f-argumentation_score").inner_text()  # mean of the two who scored
    city.choose("decision", "approve")
    city.submit()
    city.open("项目立项（矩阵管理图）")
    city.page.fill("#f-approval_doc_no", "雅组通〔2008〕12号")
    city.page.fill("#f-approval_date", "2008-04-15")
    city.page.fill("#f-approved_budget", "10")
    assert "党员党性分析覆盖率" in city.page.content()  # the catalogue's refined indicators
    city.page.fill("#f-project_indicators-3-target", "不低于92%")  # the city adjusts one target
    city.choose("responsible_person", "county1_applicant")
    city.choose("leader_in_charge", "county1_leader")
    city.page.fill("#f-sub_items-0-name", "党性分析制度建设")
    city.page.fill("#f-sub_items-0-owner", "组织科")
    city.page.fill("#f-nodes-0-name", "制定实施细则")
    city.page.fill("#f-nodes-0-sub_item", "党性分析制度建设")
    city.page.fill("#f-nodes-0-planned_date", "2008-05-15")
    city.submit()
    assert "已提交：项目立项（矩阵管理图）" in city.page.content()
    assert city.inbox() == []
    signer = User(browser, server, "city_leader", name).login()
    assert signer.inbox() == ["部领导审签（立项批复）"]
    signer.open("部领导审签（立项批复）")
    signer.choose("sign_decision", "approve")
    signer.submit()
    assert "已提交" in signer.page.content() and signer.inbox() == []
    for user in (applicant, county2, leader, reviewer, city, signer):
        user.close()
    assert len(list(ARTIFACTS.glob(f"{name}-*.png"))) > 20


def test_form_without_javascript_and_english(browser, server):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.goto(server + "/login")
    page.fill("#username", "dept1_applicant")
    page.fill("#password", "demo-password")
    page.click("button.primary")
    page.click("button[value=en]")
    page.get_by_role("button", name="Apply: 重点建设项目").click()
    page.click("button[value=submit]")  # empty form, no JavaScript: the server answers
    content = page.content()
    assert "Please correct the marked fields." in content and "This field is required." in content
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "nojs-english-validation.png"), full_page=True)
    context.close()



PROCESSES = sorted(path.stem for path in (ROOT / "workflows").glob("*.bpmn"))


def test_every_shipped_diagram_renders_in_bpmn_js_without_overlaps(browser, server, assets):
    user = User(browser, server, "supervisor", "diagrams").login()
    for process_id in PROCESSES:
        user.page.goto(f"{server}/processes/{process_id}/diagram")
        # A selector, not wait_for_function: polling a JS string is eval, which our CSP forbids.
        user.page.wait_for_selector("#diagram[data-state]", state="attached")
        report = user.page.evaluate("window.diagramReport")
        assert "error" not in report, (process_id, report)
        assert report["warnings"] == [], (process_id, report["warnings"])
        boxes = [s for s in report["shapes"] if s["type"] not in (
            "bpmn:Process", "bpmn:Collaboration", "bpmn:Participant", "bpmn:Lane", "bpmn:BoundaryEvent")]
        assert len(boxes) > 5
        for index, a in enumerate(boxes):
            for b in boxes[index + 1:]:
                overlap = (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
                           and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])
                assert not overlap, (process_id, a["id"], b["id"])
        user.shot(process_id)
    user.close()
