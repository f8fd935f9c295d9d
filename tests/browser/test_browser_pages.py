"""What people trip over in the pages (issue 18), in headless Chromium where the page's behaviour is
the point: a score sheet after an error, confirmation dialogs, readable diagrams, the matrix on a
1366 px screen."""

from __future__ import annotations

import pytest

from tests.browser.helpers import User
from tests.test_score_sheet import at_early_acceptance

pytestmark = pytest.mark.browser
APPLICANT = "county1_applicant"


def test_the_score_sheet_keeps_its_criteria_after_an_error(browser, site):
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


LABEL_HEIGHTS = """(selector) => Array.from(document.querySelectorAll(selector + ' .djs-shape .djs-label tspan, '
    + selector + ' .djs-shape text tspan')).map((t) => t.getBoundingClientRect().height).filter((h) => h > 0)"""
FILLED = """(selector) => { const frame = document.querySelector(selector);
    const drawn = frame.querySelector('.viewport').getBoundingClientRect();
    return Math.min(drawn.height, frame.clientHeight) / frame.clientHeight; }"""


def test_diagrams_are_drawn_at_a_size_people_can_read(browser, site, assets):
    base, party = site
    instance_id = party.apply(APPLICANT, "可读图项目")
    party.pass_review(APPLICANT, instance_id)
    city = User(browser, base, "city_org", "readable").login()
    city.page.set_viewport_size({"width": 1366, "height": 768})
    city.page.goto(f"{base}/projects/{instance_id}")
    city.page.wait_for_selector("#progress[data-state=drawn]")
    heights = city.page.evaluate(LABEL_HEIGHTS, "#progress")
    assert heights and min(heights) >= 9.5, heights  # labels of 12 px text, at least about 10 px on screen
    assert city.page.evaluate(FILLED, "#progress") >= 0.5  # not a thin strip in a tall empty frame
    city.shot("lifecycle")
    city.page.goto(f"{base}/processes/key_project/diagram")
    city.page.wait_for_selector("#diagram[data-state=drawn]")
    heights = city.page.evaluate(LABEL_HEIGHTS, "#diagram")
    assert heights and min(heights) >= 9.5, heights
    city.close()

    admin = User(browser, base, "admin", "readable").login()
    admin.page.set_viewport_size({"width": 1366, "height": 768})
    admin.page.goto(f"{base}/admin/processes/application_review/modeler")
    admin.page.wait_for_selector("#modeler[data-state=ready]")
    assert admin.page.locator(".djs-minimap.open").count() == 0  # closed until asked for
    palette = admin.page.locator(".djs-palette").bounding_box()
    lefts = admin.page.evaluate("""() => Array.from(document.querySelectorAll('#modeler-canvas .djs-shape'))
        .map((s) => s.getBoundingClientRect()).filter((r) => r.width > 0).map((r) => r.left)""")
    assert lefts and min(lefts) >= palette["x"] + palette["width"], (palette, min(lefts))
    heights = admin.page.evaluate(LABEL_HEIGHTS, "#modeler-canvas")
    assert heights and min(heights) >= 9.5, heights
    admin.shot("modeler")
    admin.close()


def test_the_matrix_fits_a_1366_screen_with_the_project_column_in_view(browser, site):
    base, party = site
    for applicant in (APPLICANT, "county2_applicant", "county3_applicant"):
        party.apply(applicant, f"矩阵屏幕项目（{applicant[:7]}）")
    supervisor = User(browser, base, "supervisor", "matrix-screen").login()
    page = supervisor.page
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{base}/projects/matrix?state=all")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    frame = page.locator(".matrix-frame")
    assert page.evaluate("(f) => f.scrollWidth > f.clientWidth", frame.element_handle())  # the nodes scroll
    first = page.locator("table.matrix tbody th[scope=row]").first
    before = first.bounding_box()["x"]
    page.evaluate("(f) => { f.scrollLeft = 600; }", frame.element_handle())
    page.wait_for_timeout(100)
    assert abs(first.bounding_box()["x"] - before) < 2  # sticky: the project stays in view
    assert first.is_visible() and "矩阵屏幕项目" in first.inner_text()
    supervisor.shot("matrix")
    supervisor.close()


def test_irreversible_actions_ask_first_and_disabled_buttons_look_disabled(browser, site):
    base, party = site
    first = party.apply(APPLICANT, "确认撤回的项目")
    party.apply(APPLICANT, "第二个确认项目")  # the unit's quota is used up
    applicant = User(browser, base, APPLICANT, "confirm").login()
    button = applicant.page.get_by_role("button", name="申报: 重点建设项目")
    assert button.is_disabled()
    colours = button.evaluate("(b) => [getComputedStyle(b).backgroundColor, getComputedStyle(b).cursor]")
    assert colours == ["rgb(228, 228, 228)", "not-allowed"], colours
    applicant.page.goto(f"{base}/tasks/{party.engine.inbox(APPLICANT, 'done').rows[-1].id}")
    asked = []
    applicant.page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    applicant.page.get_by_role("button", name="撤回申报").click()
    applicant.page.wait_for_timeout(300)
    assert asked and "撤回" in asked[0]
    assert party.engine.instance("admin", first).status == "waiting"  # dismissed: nothing happened
    applicant.close()

    admin = User(browser, base, "admin", "confirm").login()
    admin.page.goto(f"{base}/admin/users")
    row = admin.page.locator("tr", has_text="county2_leader")
    for label, word in (("重置密码", "重置"), ("停用", "停用")):
        asked.clear()
        admin.page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        row.get_by_role("button", name=label).click()
        admin.page.wait_for_timeout(300)
        assert asked and word in asked[0], (label, asked)
    assert "新密码" not in admin.page.inner_text("main")
    assert party.engine.user("county2_leader").active
    admin.shot("users")
    admin.close()


def test_the_properties_panel_names_a_default_flow_in_chinese(browser, site, assets):
    base, _party = site
    admin = User(browser, base, "admin", "default-flow").login()
    admin.page.goto(f"{base}/admin/processes/application_review/modeler")
    admin.page.wait_for_selector("#modeler[data-state=ready]")
    admin.page.evaluate("""() => { const m = window.dangjianModeler;
        m.get("selection").select(m.get("elementRegistry").get("flow_which_form_submit_key")); }""")
    header = admin.page.locator(".bio-properties-panel-header-type")
    header.wait_for()
    assert header.inner_text().strip().upper() != "DEFAULT FLOW" and "默认连线" in header.inner_text()
    admin.close()


def test_wide_tables_scroll_inside_their_box_on_a_phone(browser, site):
    """At 390 px the ledger, a quarterly report's node table and the year plan stay within the
    screen: their tables scroll sideways on their own, with columns wider than a character."""
    base, party = site
    for applicant in (APPLICANT, "county2_applicant"):
        party.apply(applicant, f"手机台账项目（{applicant[:7]}）")
    for user, path in (("supervisor", "/projects/"), ("city_org", "/plans/2008")):
        reader = User(browser, base, user, f"phone-{user}").login()
        page = reader.page
        page.set_viewport_size({"width": 390, "height": 800})
        page.goto(f"{base}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        narrowest = page.evaluate("""() => Math.min(...[...document.querySelectorAll('main table td')]
            .filter(c => c.offsetParent !== null).map(c => c.getBoundingClientRect().width))""")
        assert narrowest >= 40, (path, narrowest)
        reader.shot(f"phone-{user}")
        reader.close()
