"""Diagrams from other tools through deployment: an expanded sub-process as bpmn-js draws it deploys
and runs; a file whose process another file defines needs an explicit choice (command line and
modeler); the modeler's check and deploy answer every foreign file with located messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine.errors import FileConflict
from tests.webhelpers import csrf
from tests.webhelpers import login
from web.cli import main

FOREIGN = Path(__file__).parent / "foreign_diagrams"
SUB_PROCESS = FOREIGN / "expanded_subprocess.bpmn"


def folder_with(tmp_path: Path, folder: str, name: str, text: str) -> Path:
    (tmp_path / folder).mkdir()
    (tmp_path / folder / name).write_text(text, encoding="utf-8")
    return tmp_path / folder


@pytest.mark.parametrize("name,process_id", [("expanded_subprocess.bpmn", "expanded_sub"),
                                             ("collapsed_subprocess.bpmn", "collapsed_sub")])
def test_a_minimal_sub_process_drawn_by_bpmn_js_deploys_and_runs(org, tmp_path, name, process_id):
    folder = folder_with(tmp_path, "sub", name, (FOREIGN / name).read_text(encoding="utf-8"))
    [deployed] = org.deploy(folder, actor="admin")
    assert deployed.process_id == process_id and deployed.created
    instance_id = org.start(process_id, "city", {})
    view = org.instance("admin", instance_id)
    assert view.status == "completed", (view.error_element, view.error_message)


def test_an_unrelated_file_with_the_same_process_id_needs_an_explicit_choice(org, tmp_path):
    text = SUB_PROCESS.read_text(encoding="utf-8").replace("expanded_sub", "main")
    first = folder_with(tmp_path, "a", "collaboration.bpmn", text)
    other = folder_with(tmp_path, "b", "simple.bpmn", text.replace("计数", "另一个流程"))
    assert org.deploy(first, actor="admin")[0].version == 1
    with pytest.raises(FileConflict) as refused:
        org.deploy(other, actor="admin")
    assert refused.value.params == {"process": "main", "old": "collaboration.bpmn", "new": "simple.bpmn"}
    assert [v[:2] for v in org.versions()] == [("main", 1)]
    assert org.deploy(other, actor="admin", replace_file=True)[0].version == 2
    # The same file changed again is an ordinary new version.
    (other / "simple.bpmn").write_text(text.replace("计数", "第三版"), encoding="utf-8")
    assert org.deploy(other, actor="admin")[0].version == 3


def test_the_command_line_asks_for_replace_file(database_url, frozen_clock, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    runner = CliRunner()
    text = SUB_PROCESS.read_text(encoding="utf-8")
    assert runner.invoke(main, ["deploy", str(folder_with(tmp_path, "a", "one.bpmn", text))]).exit_code == 0
    other = str(folder_with(tmp_path, "b", "two.bpmn", text.replace("计数", "另一个")))
    refused = runner.invoke(main, ["deploy", other])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "one.bpmn" in refused.output and "--replace-file" in refused.output and "流程 expanded_sub" in refused.output
    replaced = runner.invoke(main, ["deploy", other, "--replace-file"])
    assert replaced.exit_code == 0 and "第 2 版\t新版本" in replaced.output


def post_json(client: FlaskClient, url: str, body: dict[str, Any]) -> TestResponse:
    return client.post(url, json=body, headers={"X-CSRFToken": csrf(client, "/admin/processes/")})


@pytest.mark.parametrize("name", sorted(p.name for p in FOREIGN.iterdir()))
def test_the_modeler_checks_and_deploys_every_foreign_file_without_a_500(app, client, name):
    login(client, "admin")
    body = {"name": name, "xml": (FOREIGN / name).read_text(encoding="utf-8"), "comment": "导入其他工具的文件"}
    checked = post_json(client, "/admin/processes/check", body)
    assert checked.status_code == 200
    deployed = post_json(client, "/admin/processes/deploy", body)
    assert deployed.status_code in (200, 422), deployed.data[:500]
    for answer in (checked.json["problems"], deployed.json.get("problems", [])):
        assert all(p["message"] and p["file"] and (p["line"] or p["element"]) for p in answer), answer
        assert not [p for p in answer if "list index" in p["message"] or "%(" in p["message"]]
    assert bool(checked.json["problems"]) == (deployed.status_code == 422)


def test_a_copy_of_a_deployed_diagram_under_another_name_is_confirmed_before_it_replaces_it(app, client):
    """``key_project (1).bpmn`` uploaded in the modeler: a located message on check, a question on
    deploy, and with the administrator's yes it becomes the process's new version."""
    engine = app.config["ENGINE"]
    original = engine.model_file("admin", "key_project")
    login(client, "admin")
    body = {"name": "key_project (1).bpmn", "xml": original.xml.replace("重点建设项目", "重点建设项目（副本）", 1),
            "comment": "从电脑打开的副本"}
    checked = post_json(client, "/admin/processes/check", body)
    assert checked.status_code == 200
    [problem] = [p for p in checked.json["problems"] if p["code"] == "duplicate_process"]
    assert problem["element"] == "key_project" and problem["line"] and original.name in problem["message"]
    asked = post_json(client, "/admin/processes/deploy", body)
    assert asked.status_code == 409 and asked.json["confirm"] == "replace_file"
    assert original.name in asked.json["message"] and "key_project (1).bpmn" in asked.json["message"]
    assert engine.model_file("admin", "key_project").version == original.version
    replaced = post_json(client, "/admin/processes/deploy", {**body, "replace_file": True})
    assert replaced.status_code == 200, replaced.json
    current = engine.model_file("admin", "key_project")
    assert current.version == original.version + 1 and current.name == "key_project (1).bpmn"
    again = post_json(client, "/admin/processes/check", {**body, "xml": current.xml})
    assert again.status_code == 200 and again.json["problems"] == []
    # A restart deploys the shipped files (key_project.bpmn): no question there, and the
    # administrator's version stays current.
    engine.deploy(shipped=True)
    assert engine.model_file("admin", "key_project").name == "key_project (1).bpmn"
