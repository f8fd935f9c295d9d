"""The dangjian command line: happy paths, stable JSON, and bad input that changes nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.conftest import DIAGRAMS
from web.cli import main


@pytest.fixture
def cli(database_url, monkeypatch, frozen_clock):
    monkeypatch.setenv("DATABASE_URL", database_url)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def setup_org(cli) -> None:
    for args in (("unit", "add", "511800", "雅安市", "--kind", "city"),
                 ("unit", "add", "511802", "雨城区", "--parent", "511800", "--kind", "county"),
                 ("user", "add", "app1", "--unit", "511802", "--role", "applicant", "--password", "password-1"),
                 ("user", "add", "county1", "--unit", "511802", "--role", "county_org", "--password", "password-1"),
                 ("deploy", str(DIAGRAMS))):
        result = cli(*args)
        assert result.exit_code == 0, result.output


def test_full_round_through_the_cli(cli):
    setup_org(cli)
    result = cli("start", "approval", "--as", "app1", "--data", json.dumps({"applicant_unit": "511802", "year": 2008}))
    assert result.exit_code == 0 and "已启动流程实例 1" in result.output
    listed = json.loads(cli("tasks", "--as", "app1", "--json").output)
    assert [(t["id"], t["bpmn_id"], t["name"], t["instance_id"]) for t in listed] == [(1, "submit", "提交申请", 1)]
    assert set(listed[0]) == {"id", "name", "bpmn_id", "instance_id", "process_id", "title", "unit_code", "role",
                              "assignee", "claimed_by", "status", "created_at", "due_at", "completed_at",
                              "completed_by", "ever_overdue", "return_note", "process_name"}
    data = json.dumps({"title": "命令行项目", "plan": "完整的五大体系实施方案"})
    assert cli("complete", "1", "--as", "app1", "--data", data).exit_code == 0
    listed = json.loads(cli("tasks", "--as", "county1", "--json").output)
    assert [t["bpmn_id"] for t in listed] == ["county_review"] and listed[0]["title"] == "命令行项目"
    assert cli("worker", "--once").exit_code == 0


@pytest.mark.parametrize("args,message", [
    (("start", "approval", "--as", "app1", "--data", "{not json"), "不是有效的 JSON"),
    (("start", "approval", "--as", "app1", "--data", "[1, 2]"), "JSON 对象"),
    (("start", "approval", "--as", "app1", "--data", '{"note": "\\ud800"}'), "代理项"),
    (("start", "approval", "--as", "app1", "--data", '{"budget": NaN}'), "NaN"),
    (("start", "approval", "--as", "nobody"), "nobody"),
    (("start", "no_such", "--as", "app1"), "no_such"),
    (("complete", "99", "--as", "app1", "--data", "{}"), "99"),
    (("unit", "add", "bad code!", "名称"), "单位代码"),
    (("unit", "add", "511899", "某县", "--parent", "999999"), "999999"),
    (("user", "add", "x1", "--unit", "511802", "--role", "wizard"), "wizard"),
    (("user", "add", "app1", "--unit", "511802", "--role", "applicant", "--password", "password-2"), "app1"),
    (("deploy", "/nonexistent"), "/nonexistent"),
])
def test_bad_input_exits_1_and_changes_nothing(cli, args, message):
    setup_org(cli)
    before = cli("tasks", "--as", "app1", "--json").output
    result = cli(*args)
    assert result.exit_code == 1
    assert message in result.output and result.output.startswith("错误：")
    assert cli("tasks", "--as", "app1", "--json").output == before


def test_invalid_form_data_lists_each_field(cli):
    setup_org(cli)
    cli("start", "approval", "--as", "app1", "--data", json.dumps({"applicant_unit": "511802", "year": 2008}))
    result = cli("complete", "1", "--as", "app1", "--data", json.dumps({"title": "x", "budget": -1}))
    assert result.exit_code == 1
    assert "plan:" in result.output and "title:" in result.output and "budget:" in result.output
    assert json.loads(cli("tasks", "--as", "app1", "--json").output)[0]["status"] == "open"


def test_lint_command_reports_problems(cli, tmp_path):
    (tmp_path / "bad.bpmn").write_text("<broken")
    result = cli("lint", str(tmp_path))
    assert result.exit_code == 1 and "bad.bpmn" in result.output
    assert cli("lint", str(DIAGRAMS)).exit_code == 0


def test_instance_control_from_the_cli(cli):
    setup_org(cli)
    cli("user", "add", "root", "--unit", "511800", "--role", "admin", "--password", "password-1")
    cli("start", "approval", "--as", "app1", "--data", json.dumps({"applicant_unit": "511802", "year": 2008}))
    assert "suspended" in cli("instance", "suspend", "1", "--as", "root", "--reason", "核查").output
    assert json.loads(cli("tasks", "--as", "app1", "--json").output) == []
    assert cli("instance", "suspend", "1", "--as", "root", "--reason", "再次").exit_code == 1  # already suspended
    assert cli("instance", "resume", "1", "--as", "root").exit_code == 1  # no reason given
    assert "waiting" in cli("instance", "resume", "1", "--as", "root", "--reason", "核查完毕").output
    shown = cli("instance", "show", "1", "--as", "root").output
    assert "当前：提交申请" in shown and "suspended" in shown and "resumed" in shown
    assert cli("instance", "terminate", "1", "--as", "app1", "--reason", "x").exit_code == 1  # not an administrator
    assert "terminated" in cli("instance", "terminate", "1", "--as", "root", "--reason", "终止").output


def test_every_command_reads_the_applications_clock(cli, monkeypatch):
    """A step completed from the command line is dated on the clock the web and worker share."""
    from engine import clock

    setup_org(cli)
    clock.reset()
    monkeypatch.setenv("DANGJIAN_CLOCK", "2008-12-22T10:00:00+08:00")
    try:
        cli("start", "approval", "--as", "app1", "--data", json.dumps({"applicant_unit": "511802", "year": 2008}))
        listed = json.loads(cli("tasks", "--as", "app1", "--json").output)
    finally:
        clock.reset()
    assert listed[0]["created_at"].startswith("2008-12-22")


def test_the_command_line_builds_its_engine_with_the_applications_settings(cli, monkeypatch):
    """``dangjian start`` keeps the daily limit the web application keeps (MAX_STARTS_PER_DAY)."""
    setup_org(cli)
    monkeypatch.setenv("MAX_STARTS_PER_DAY", "1")
    data = json.dumps({"applicant_unit": "511802", "year": 2008})
    assert cli("start", "approval", "--as", "app1", "--data", data).exit_code == 0
    refused = cli("start", "approval", "--as", "app1", "--data", data)
    assert refused.exit_code == 1 and "1" in refused.output
