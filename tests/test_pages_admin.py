"""Forms, administration and operations pages people trip over (issue 18), through the Flask test
client and the CLI: dates and numbers in words people use, rollback wording, empty reminders, user
editing, the sign-in wait, what `db upgrade` and the set-up say."""

from __future__ import annotations

import re

from tests.webhelpers import login
from tests.webhelpers import post
from tests.webhelpers import text

APPLICANT = "county1_applicant"

def test_the_application_form_checks_dates_and_numbers_in_words_people_use(client, party_engine):
    from tests.test_web import start_application
    from tests.webhelpers import application_form

    login(client, APPLICANT)
    task_id = start_application(client, party_engine)
    page = f"/tasks/{task_id}"
    html = text(client.get(page))
    budget = re.search(r'<input id="f-budget_amount"[^>]*>', html).group(0)
    assert 'type="number"' in budget and 'inputmode="decimal"' in budget
    response = post(client, page, application_form(**{
        "period_start": "2008-12-31", "period_end": "2008-04-01", "schedule.0.start": "2008-05-15",
        "schedule.0.end": "2008-04-01", "budget_amount": "十二万", "brands": []}), page=page)
    assert response.status_code == 422
    html = text(response)
    assert "不得早于“实施周期（开始）”" in html and "不得早于“开始日期”" in html
    assert "请填写数字" in html and "类型不正确" not in html
    assert "行" not in re.search(r'id="brands-error">([^<]*)<', html).group(1)  # a checkbox list: choose


def test_a_score_that_is_not_a_whole_number_is_told_so(party_engine):
    from forms import validate_submission

    schema = {"type": "object", "properties": {"score": {"type": "integer"},
                                               "picks": {"type": "array", "minItems": 3, "items": {"type": "string"}}}}
    errors = {e.path: e.template for e in validate_submission(schema, {"score": "8.5", "picks": ["a"]})}
    assert errors == {"score": "Enter a whole number.", "picks": "Choose at least %(limit)s."}


def test_the_quarterly_report_shows_planned_dates_as_people_write_them(client, party):
    instance_id = party.apply(APPLICANT, "计划日期显示项目")
    party.pass_review(APPLICANT, instance_id)
    party.argue_and_approve(instance_id, APPLICANT)
    party.at("2008-04-21")
    report = party.task(APPLICANT, "report", instance_id)
    login(client, APPLICANT)
    html = text(client.get(f"/tasks/{report.id}"))
    cells = re.findall(r'<p class="readonly" id="f-node_status-\d+-planned">([^<]*)</p>', html)
    assert cells and "2008年5月15日" in cells and not [c for c in cells if re.match(r"\d{4}-", c)]


def deploy_from_modeler(client, name: str, xml: str, comment: str) -> None:
    """Deploy ``xml`` as the modeler's 发布为新版本 does."""
    from tests.webhelpers import csrf

    deployed = client.post("/admin/processes/deploy", json={"name": name, "xml": xml, "comment": comment},
                           headers={"X-CSRFToken": csrf(client, "/admin/processes/")})
    assert deployed.status_code == 200, deployed.get_data(as_text=True)


def test_a_called_process_offers_no_make_current_but_says_what_to_roll_back(client):
    login(client, "admin")
    xml = client.get("/admin/processes/argumentation/versions/1.bpmn").get_data(as_text=True)
    changed = xml.replace('name="进入论证"', 'name="进入项目论证"', 1)
    assert changed != xml
    deploy_from_modeler(client, "argumentation.bpmn", changed, "改名")
    html = text(client.get("/admin/processes/argumentation/versions"))
    assert "/versions/1/current" not in html and "调用它的流程" in html
    key_xml = client.get("/admin/processes/key_project/versions/1.bpmn").get_data(as_text=True)
    renamed = re.sub(r'(<bpmn:process id="key_project"[^>]*name=")([^"]+)"', r'\1\2（第二版）"', key_xml, count=1)
    assert renamed != key_xml
    deploy_from_modeler(client, "key_project.bpmn", renamed, "第二版")
    key = text(client.get("/admin/processes/key_project/versions"))
    form = re.search(r'<form[^>]*action="/admin/processes/key_project/versions/1/current"[^>]*>', key)
    assert form is not None and "data-confirm" in form.group(0) and "设为当前版本" in form.group(0)


def test_an_empty_reminder_is_refused_and_sends_nothing(client, party, party_engine):
    instance_id = party.apply(APPLICANT, "空催办项目")
    task = party.task("county1_leader", "leader_approval", instance_id)
    login(client, "supervisor")
    page = f"/tasks/{task.id}"
    assert 'id="remind-message" name="message" maxlength="2000" required' in text(client.get(page))
    response = post(client, page, {"action": "remind", "message": "  "}, page=page)
    assert response.status_code == 302
    assert party_engine.notifications("county1_leader") == []
    assert "请填写催办内容" in text(client.get(page))


def test_an_administrator_edits_a_users_name_unit_and_roles(client, party_engine):
    login(client, "admin")
    users = text(client.get("/admin/users"))
    assert 'href="/admin/users/county1_leader"' in users and "data-confirm" in users
    page = "/admin/users/county1_leader"
    assert client.get(page).status_code == 200
    response = post(client, page, {"display_name": "雨城区 分管领导 王新", "unit": "511802",
                                   "roles": ["unit_leader", "responsible"]}, page=page)
    assert response.status_code == 302
    info = party_engine.user("county1_leader")
    assert info.display_name == "雨城区 分管领导 王新" and info.roles == ("responsible", "unit_leader")
    response = post(client, "/admin/users/admin", {"display_name": "管理员", "unit": "511800", "roles": ["city_org"]},
                    page="/admin/users/admin")
    assert "admin" in party_engine.user("admin").roles  # nobody removes their own administrator role
    assert response.status_code == 302


def test_a_return_tells_the_applicant_why(party, party_engine):
    instance_id = party.apply(APPLICANT, "退回通知项目")
    party.do("county1_leader", "leader_approval", instance_id, {"decision": "return", "opinion": "请补充经费来源说明"})
    notices = party_engine.notifications(APPLICANT)
    assert [(n.kind, n.message, n.sender) for n in notices] == [("returned", "请补充经费来源说明", "county1_leader")]
    assert notices[0].task_id == party.task(APPLICANT, "submit_key", instance_id).id


def test_the_sign_in_page_promises_the_wait_the_engine_applies(client):
    from engine.service.signin import FIRST_WAIT
    from engine.service.signin import FREE_FAILURES

    page = text(client.get("/login"))
    assert "15 分钟" not in page
    assert f"连续输错 {FREE_FAILURES} 次" in page and f"等待 {int(FIRST_WAIT.total_seconds() // 60)} 分钟" in page


def test_db_upgrade_says_it_created_a_new_schema_and_deploy_dates_by_the_demo_clock(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from sqlalchemy import create_engine
    from sqlalchemy import text as sql

    from engine import clock
    from tests.conftest import ROOT
    from web.cli import main

    url = f"sqlite:///{tmp_path}/new.db"
    monkeypatch.setenv("DATABASE_URL", url)
    runner = CliRunner()
    first = runner.invoke(main, ["db", "upgrade"])
    assert first.exit_code == 0 and "已创建数据库结构" in first.output and "已是最新" not in first.output
    again = runner.invoke(main, ["db", "upgrade"])
    assert "数据库已是最新版本" in again.output
    monkeypatch.setenv("DANGJIAN_CLOCK", "2008-01-02T09:00:00+08:00")
    try:
        deployed = runner.invoke(main, ["deploy", "--shipped", str(ROOT / "workflows")])
    finally:
        clock.reset()
    assert deployed.exit_code == 0, deployed.output
    database = create_engine(url)
    with database.connect() as connection:
        years = {str(row[0])[:4] for row in connection.execute(sql("SELECT deployed_at FROM process_version"))}
    database.dispose()
    assert years == {"2008"}


def test_each_server_has_its_own_gunicorn_control_socket_and_setup_installs_node(monkeypatch, tmp_path):
    import runpy

    from tests.conftest import ROOT

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # the settings file would set it for good
    sockets = set()
    for port in ("5000", "5001"):
        monkeypatch.setenv("PORT", port)
        monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
        sockets.add(runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))["control_socket"])
    assert len(sockets) == 2 and not any(".gunicorn/gunicorn.ctl" in path for path in sockets)
    setup = (ROOT / "bin" / "_lib.sh").read_text(encoding="utf-8")
    assert setup.index("ensure_apt node nodejs npm npm") < setup.index("npm ci")
