"""The administrators' process pages through the Flask test client: versions, download, compare,
roll back, check and deploy from the modeler; nobody else reaches them."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.test_versions import ORPHAN_TASK
from tests.test_versions import renamed_review
from tests.webhelpers import csrf
from tests.webhelpers import login
from tests.webhelpers import post
from tests.webhelpers import text


def post_json(client: FlaskClient, url: str, body: dict[str, Any]) -> TestResponse:
    return client.post(url, json=body, headers={"X-CSRFToken": csrf(client, "/admin/processes/")})


def test_only_administrators_reach_the_process_pages(app, client):
    login(client, "city_org")
    for url in ("/admin/processes/", "/admin/processes/key_project/versions", "/admin/processes/new",
                "/admin/processes/key_project/modeler", "/admin/processes/key_project/versions/1.bpmn"):
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/processes/check", json={"name": "a.bpmn", "xml": "<x/>"},
                       headers={"X-CSRFToken": csrf(client, "/")}).status_code == 403
    assert "流程管理" not in text(client.get("/"))


def test_check_and_deploy_from_the_modeler_then_compare_and_roll_back(app, client):
    login(client, "admin")
    page = client.get("/admin/processes/application_review/modeler")
    assert page.status_code == 200 and "modeler.js" in text(page) and "application_review.bpmn" in text(page)
    assert "'unsafe-inline'" in page.headers["Content-Security-Policy"]
    xml = client.get("/admin/processes/application_review/versions/1.bpmn").get_data(as_text=True)
    assert 'id="application_review"' in xml

    broken = xml.replace("</bpmn:process>", ORPHAN_TASK + "</bpmn:process>", 1)
    problems = post_json(client, "/admin/processes/check", {"name": "application_review.bpmn", "xml": broken}).json
    assert problems["problems"] and {p["element"] for p in problems["problems"]} == {"orphan_check"}
    assert "表单" in {p["kind"] for p in problems["problems"]}
    refused = post_json(client, "/admin/processes/deploy",
                        {"name": "application_review.bpmn", "xml": broken, "comment": "加一个核查环节"})
    assert refused.status_code == 422 and refused.json["problems"]
    no_comment = post_json(client, "/admin/processes/deploy",
                           {"name": "application_review.bpmn", "xml": renamed_review(xml), "comment": " "})
    assert no_comment.status_code == 422 and "版本说明" in no_comment.json["message"]
    too_large = post_json(client, "/admin/processes/check", {"name": "a.bpmn", "xml": "<x>" + "a" * 2_200_000})
    assert too_large.status_code == 413 and "MB" in too_large.json["message"]
    assert post_json(client, "/admin/processes/check", {"xml": 1}).status_code == 400

    done = post_json(client, "/admin/processes/deploy",
                     {"name": "application_review.bpmn", "xml": renamed_review(xml), "comment": "市委审核改为复核"})
    assert done.status_code == 200 and "已发布" in done.json["message"]
    versions = text(client.get("/admin/processes/key_project/versions"))
    assert "市委审核改为复核" in versions and "当前版本" in versions and "管理员发布" in versions

    diff = client.get("/admin/processes/application_review/diff?old=1&new=2")
    assert diff.status_code == 200 and "市委组织部审核（复核）" in text(diff) and "修改" in text(diff)
    post(client, "/admin/processes/key_project/versions/1/current", page="/admin/processes/key_project/versions")
    versions = text(client.get("/admin/processes/key_project/versions"))
    assert "版本 1 已设为当前版本" in versions
    assert client.get("/admin/processes/key_project/diff?old=1").status_code == 400
    assert client.get("/admin/processes/nothing/versions").status_code == 404


def test_new_diagram_page(app, client):
    login(client, "admin")
    page = client.get("/admin/processes/new")
    assert page.status_code == 200 and "new_process.bpmn" in text(page) and 'id=&#34;new_process&#34;' in text(page)


def test_migration_pages_move_and_undo(app, client):
    from party.demo.driver import ProjectDriver
    from tests.test_version_changes import with_archive_step

    engine = app.config["ENGINE"]
    running = ProjectDriver(engine).apply("county1_applicant", "网页迁移的项目")
    file = engine.model_file("admin", "application_review")
    engine.deploy_model("admin", file.name, with_archive_step(file.xml), "审核通过后增加立项材料归档")
    login(client, "admin")
    preview = client.get("/admin/processes/key_project/versions/2/move")
    assert "网页迁移的项目" in text(preview) and "分管领导审批" in text(preview)
    url = "/admin/processes/key_project/versions/2/move"
    post(client, url, {"instance": str(running), "reason": ""}, page=url)
    assert engine.instance("admin", running).version == 1  # no reason: refused
    page = text(post(client, url, {"instance": str(running), "reason": "按新流程"}, page=url, follow_redirects=True))
    assert "已将 1 个项目迁移到版本 2" in page and engine.instance("admin", running).version == 2
    project = text(client.get(f"/projects/{running}"))
    assert "迁移到新版本" in project and "撤销版本迁移" in project
    post(client, f"/admin/processes/instances/{running}/revert-version-change", {"reason": "误操作"},
         page=f"/projects/{running}")
    assert engine.instance("admin", running).version == 1
    login(client, "city_org")
    assert client.get(url).status_code == 403


def test_forms_editor_previews_checks_and_deploys_with_the_diagrams(app, client):
    import json

    engine = app.config["ENGINE"]
    login(client, "admin")
    forms = text(client.get("/admin/processes/forms/"))
    assert "city_review.json" in forms and "重点建设项目" in forms
    editor = client.get("/admin/processes/forms/city_review.json")
    assert editor.status_code == 200 and "form-editor.js" in text(editor) and "&#34;properties&#34;" in text(editor)
    original = engine.form_text("admin", "city_review.json")
    preview = post_json(client, "/admin/processes/forms/preview", {"text": original}).json
    assert preview["problem"] is None and 'name="decision"' in preview["html"]
    broken = post_json(client, "/admin/processes/forms/preview", {"text": original[:-5]}).json
    assert broken["problem"].startswith("不是有效的 JSON（第 ") and broken["html"] == ""
    not_a_form = post_json(client, "/admin/processes/forms/preview", {"text": '{"type": "array"}'}).json
    assert "表单必须形如" in not_a_form["problem"]
    schema = json.loads(original)
    schema["properties"]["opinion"]["title"] = "审核意见（请写明理由）"
    changed = json.dumps(schema, ensure_ascii=False, indent=2)
    previewed = post_json(client, "/admin/processes/forms/preview", {"text": changed}).json
    assert "审核意见（请写明理由）" in previewed["html"]
    done = post_json(client, "/admin/processes/deploy", {"name": "city_review.json", "xml": changed,
                                                          "comment": "审核意见须写明理由"})
    assert done.status_code == 200 and {d["process_id"] for d in done.json["deployed"]} >= {"key_project"}
    assert engine.form_text("admin", "city_review.json") == changed
    refused = post_json(client, "/admin/processes/deploy", {"name": "city_review.json", "xml": "{", "comment": "坏的"})
    assert refused.status_code == 422 and refused.json["problems"]
    assert client.get("/admin/processes/forms/nothing.json").status_code == 404
