"""The modeler in headless Chromium, as an administrator: add a user task to application_review, see
the lint mark it, fix it in the properties panel, deploy version 2 with a comment; new applications
follow version 2 while a running one stays on version 1; the comparison shows the added task; the
running one is moved to version 2 after a preview and continues there; a restart keeps version 2
current."""

from __future__ import annotations

import pytest

from tests.browser.helpers import User

pytestmark = pytest.mark.browser

# Through the modeler's own API (what a drag from the palette does): a user task between the
# city's passing gateway and the end, without a form yet.
ADD_TASK = """() => {
  const modeler = window.dangjianModeler;
  const registry = modeler.get("elementRegistry"), modeling = modeler.get("modeling");
  const passed = registry.get("passed"), end = registry.get("end_passed");
  modeling.moveElements([end], { x: 160, y: 0 });
  const task = modeling.createShape({ type: "bpmn:UserTask" }, { x: end.x - 100, y: end.y + end.height / 2 },
                                    passed.parent);
  modeling.updateProperties(task, { id: "archive", name: "立项材料归档" });
  modeling.removeConnection(registry.get("flow_passed_end_passed"));
  modeling.connect(passed, task);
  modeling.connect(task, end);
  return task.id;
}"""


def test_administrator_edits_checks_deploys_and_compares(browser, site, assets):
    base, party = site
    running = party.apply("county1_applicant", "第一版流程上的项目")

    admin = User(browser, base, "admin", "modeler").login()
    admin.page.get_by_role("link", name="流程管理").click()
    admin.page.locator("tr", has_text="application_review").get_by_role("link", name="在建模器中编辑").click()
    admin.page.wait_for_selector("#modeler[data-state=ready]")
    admin.page.wait_for_selector(".djs-minimap")
    assert admin.page.evaluate(ADD_TASK) == "archive"

    admin.page.get_by_role("button", name="检查", exact=True).click()
    admin.page.wait_for_selector("#modeler[data-state=checked]")
    assert "lint-error" in admin.page.locator('#modeler-canvas [data-element-id="archive"]').get_attribute("class")
    problem = admin.page.locator('#modeler-problems li[data-element="archive"]').first
    assert "表单" in problem.inner_text()
    admin.shot("lint")
    problem.click()  # selects the task: the properties panel shows it
    admin.page.get_by_text("本平台约定").click()
    form = admin.page.locator("#bio-properties-panel-dj-form")
    form.fill("city_review.json")
    admin.page.wait_for_timeout(600)  # the panel applies typing after a pause
    admin.page.get_by_role("button", name="检查", exact=True).click()
    admin.page.wait_for_selector("#modeler-status.success")
    assert admin.page.locator("#modeler-problems li").count() == 0
    assert "lint-error" not in admin.page.locator('#modeler-canvas [data-element-id="archive"]').get_attribute("class")

    admin.page.fill("#modeler-comment", "审核通过后增加立项材料归档")
    admin.page.get_by_role("button", name="发布为新版本").click()
    admin.page.wait_for_selector("#modeler[data-state=deployed]")
    assert "已发布" in admin.page.inner_text("#modeler-status")
    admin.shot("deployed")

    newer = party.apply("county2_applicant", "第二版流程上的项目")
    assert party.engine.instance("admin", running).version == 1
    assert party.engine.instance("admin", newer).version == 2

    admin.page.goto(base + "/admin/processes/application_review/versions")
    assert "审核通过后增加立项材料归档" in admin.page.inner_text("table.versions")
    admin.page.get_by_role("button", name="比较").click()
    admin.page.wait_for_selector("#diff-new[data-state=drawn]")
    assert "立项材料归档" in admin.page.inner_text("table.changes")
    assert "diff-added" in admin.page.locator('#diff-new [data-element-id="archive"]').get_attribute("class")
    admin.shot("diff")

    # move the running project onto version 2 after the preview; it continues there
    admin.page.goto(base + "/admin/processes/key_project/versions")
    admin.page.locator("table.versions tr.current").get_by_role("link", name="将运行中的项目迁移到此版本").click()
    row = admin.page.locator("table.migration tr", has_text="第一版流程上的项目")
    assert "分管领导审批" in row.inner_text() and "1 → 2" in row.inner_text()
    admin.shot("migration-preview")
    admin.page.fill("#migrate-reason", "按新流程归档立项材料")
    admin.follow(admin.page.get_by_role("button", name="迁移所选项目"))
    assert "已将 1 个项目迁移到版本 2" in admin.page.inner_text("main")
    assert party.engine.instance("admin", running).version == 2
    party.pass_review("county1_applicant", running)
    assert party.steps(running) == ["archive"]  # version 2's new step

    party.engine.deploy(shipped=True)  # bin/run's deploy step at a restart
    admin.page.goto(base + "/admin/processes/key_project/versions")
    current = admin.page.locator("table.versions tr.current td").first.inner_text()
    assert current.startswith("2")
    admin.close()


RETITLE = """() => {
  const view = window.formEditor;
  const text = view.state.doc.toString();
  const at = text.indexOf('"title"', text.indexOf('"opinion"'));
  const end = text.indexOf('",', at + 9);
  view.dispatch({ changes: { from: at, to: end + 1, insert: '"title": "审核意见（请写明理由）"' } });
}"""


def test_administrator_edits_a_form_with_a_live_preview_and_deploys_it(browser, site, assets):
    base, party = site
    admin = User(browser, base, "admin", "forms").login()
    admin.page.goto(base + "/admin/processes/")
    admin.page.get_by_role("link", name="表单").click()
    admin.page.locator("tr", has_text="city_review.json").get_by_role("link", name="编辑").click()
    admin.page.wait_for_selector("#form-editor[data-state=previewed]")
    assert admin.page.locator("#form-source .cm-content").count() == 1  # the highlighting editor
    admin.page.evaluate("() => window.formEditor.dispatch({ changes: { from: 0, insert: '{{' } })")
    admin.page.wait_for_selector("#form-editor[data-state=invalid]")
    assert "表单定义有误" in admin.page.inner_text("#form-status")
    admin.page.evaluate("() => window.formEditor.dispatch({ changes: { from: 0, to: 2 } })")
    admin.page.evaluate(RETITLE)
    admin.page.wait_for_selector("#form-preview >> text=审核意见（请写明理由）")
    admin.shot("form-preview")
    admin.page.fill("#form-comment", "审核意见须写明理由")
    admin.page.get_by_role("button", name="发布为新版本").click()
    admin.page.wait_for_selector("#form-editor[data-state=deployed]")
    assert "审核意见（请写明理由）" in party.engine.form_text("admin", "city_review.json")
    admin.close()


# An expanded sub-process with a script task inside, drawn through the modeler's own API (what
# dragging from the palette does), between the new diagram's start event and a new end event.
DRAW_SUB_PROCESS = """() => {
  const modeler = window.dangjianModeler;
  const registry = modeler.get("elementRegistry"), modeling = modeler.get("modeling");
  const root = modeler.get("canvas").getRootElement(), start = registry.get("start");
  const middle = start.y + start.height / 2;
  const sub = modeling.createShape({ type: "bpmn:SubProcess", isExpanded: true }, { x: 460, y: middle }, root);
  modeling.updateProperties(sub, { id: "gather", name: "汇总" });
  const inner = (type, x) => modeling.createShape({ type }, { x: sub.x + x, y: middle }, sub);
  const innerStart = inner("bpmn:StartEvent", 50), task = inner("bpmn:ScriptTask", 175);
  const innerEnd = inner("bpmn:EndEvent", 300);
  modeling.updateProperties(task, { id: "count", name: "计数", scriptFormat: "python", script: "counted = 3" });
  modeling.connect(innerStart, task);
  modeling.connect(task, innerEnd);
  const end = modeling.createShape({ type: "bpmn:EndEvent" }, { x: sub.x + sub.width + 80, y: middle }, root);
  modeling.updateProperties(end, { id: "finished" });
  modeling.connect(start, sub);
  modeling.connect(sub, end);
  return registry.filter((element) => element.parent === sub).map((element) => element.type).sort();
}"""


def test_administrator_draws_an_expanded_sub_process_checks_and_deploys_it(browser, site, assets, tmp_path):
    """No overlap is reported for the shapes inside the sub-process; it deploys and runs. A file
    other tools drew the same way opens and checks clean too; a copy of a deployed diagram under
    another name replaces it only after the administrator confirms."""
    from pathlib import Path

    base, party = site
    admin = User(browser, base, "admin", "modeler-sub-process").login()
    admin.page.goto(base + "/admin/processes/new")
    admin.page.wait_for_selector("#modeler[data-state=ready]")
    inside = admin.page.evaluate(DRAW_SUB_PROCESS)
    assert [t for t in inside if t != "bpmn:SequenceFlow"] == ["bpmn:EndEvent", "bpmn:ScriptTask", "bpmn:StartEvent"]
    admin.page.fill("#modeler-name", "gather.bpmn")
    admin.page.get_by_role("button", name="检查", exact=True).click()
    admin.page.wait_for_selector("#modeler[data-state=checked]")
    assert admin.page.evaluate("() => window.modelerReport.problems") == []
    assert "重叠" not in admin.page.inner_text("#modeler-problems")
    assert "success" in admin.page.get_attribute("#modeler-status", "class")
    admin.shot("sub-process")
    admin.page.fill("#modeler-comment", "汇总子流程")
    admin.page.get_by_role("button", name="发布为新版本").click()
    admin.page.wait_for_selector("#modeler[data-state=deployed]")
    assert "已发布" in admin.page.inner_text("#modeler-status")
    instance_id = party.engine.start("new_process", "city_org", {})
    assert party.engine.instance("admin", instance_id).status == "completed"

    admin.page.goto(base + "/admin/processes/new")
    admin.page.wait_for_selector("#modeler[data-state=ready]")
    drawn_elsewhere = Path(__file__).parent.parent / "foreign_diagrams" / "expanded_subprocess.bpmn"
    admin.page.set_input_files("#modeler-upload", str(drawn_elsewhere))
    admin.page.wait_for_selector('#modeler-canvas [data-element-id="Activity_count"]')
    admin.page.get_by_role("button", name="检查", exact=True).click()
    admin.page.wait_for_selector("#modeler[data-state=checked]")
    assert admin.page.evaluate("() => window.modelerReport.problems") == []

    # A copy of a deployed diagram under another name (issue 19): deploying it asks first.
    original = party.engine.model_file("admin", "key_project")
    copy = tmp_path / "key_project (1).bpmn"
    copy.write_text(original.xml, encoding="utf-8")
    admin.page.set_input_files("#modeler-upload", str(copy))
    admin.page.wait_for_selector('#modeler-canvas [data-element-id="start"]')
    admin.page.fill("#modeler-comment", "用电脑上的副本替换")
    questions = []
    admin.page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    admin.page.get_by_role("button", name="发布为新版本").click()
    admin.page.wait_for_selector("#modeler[data-state=deployed]")
    assert "key_project.bpmn" in questions[0] and "替换" in questions[0]
    replaced = party.engine.model_file("admin", "key_project")
    assert replaced.name == "key_project (1).bpmn" and replaced.version == original.version + 1
    admin.close()


def test_the_modeler_draws_on_a_phone(browser, site, assets):
    """At 390 px the palette and the properties panel leave the diagram room: it is drawn, not a blank
    canvas with bpmn-js's error about a non-finite scale."""
    base, _party = site
    admin = User(browser, base, "admin", "modeler-phone").login()
    admin.page.set_viewport_size({"width": 390, "height": 844})
    admin.page.goto(f"{base}/admin/processes/quarterly_report/modeler")
    admin.page.wait_for_selector("#modeler[data-state=ready]")
    assert "无法打开" not in admin.page.locator("#modeler-status").inner_text()
    width = admin.page.evaluate("document.getElementById('modeler-canvas').getBoundingClientRect().width")
    assert width > 300
    assert admin.page.locator("#modeler-canvas .djs-element.djs-shape").count() > 3
    admin.shot("modeler-390")
