"""No page a person reads shows a user name, a unit code or an ISO date where a display value exists."""

from __future__ import annotations

import html
import re

import pytest

from tests.webhelpers import login
from web.demo_org import demo_users
from web.demo_projects import ProjectDriver
from web.demo_projects import key_application

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def visible_text(page: str) -> str:
    """What a reader sees: text nodes only (no tags, attributes, scripts or styles)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture
def busy_project(party_engine):
    """A project with history: filed, returned with a reason, a comment and a file, filed again."""
    driver = ProjectDriver(party_engine)
    driver.at("2008-03-03")
    instance_id = driver.apply("county1_applicant", "名称显示项目")
    driver.do("county1_leader", "leader_approval", instance_id, {"decision": "return", "opinion": "请补充经费预算"})
    task_id = party_engine.my_task_in("county1_applicant", instance_id)
    party_engine.comment("county1_applicant", task_id, "已按要求补充。")
    party_engine.upload("county1_applicant", task_id, "预算表.pdf", b"%PDF-1.4\n%budget\n")
    driver.submit("county1_applicant", instance_id, key_application("名称显示项目（修改稿）"))
    driver.do("county1_leader", "leader_approval", instance_id, {"decision": "pass", "opinion": "同意上报"})
    return instance_id


def test_pages_name_people_units_and_dates_as_people_read_them(app, party_engine, busy_project):
    usernames = {user.username for user in demo_users()}
    unit_codes = {unit.code for unit in party_engine.units()}
    readers = ["county1_applicant", "county1_leader", "county1_org", "city_org", "supervisor"]
    checked = 0
    for reader in readers:
        client = app.test_client()
        login(client, reader)
        pages = [f"/?tab={tab}" for tab in ("mine", "claimable", "done")]
        pages += [f"/tasks/{row.id}" for tab in ("mine", "done") for row in party_engine.inbox(reader, tab).rows]
        if reader in ("county1_org", "city_org", "supervisor"):
            pages += ["/projects/?state=all", "/projects/?state=all&sort=title&dir=desc", f"/projects/{busy_project}",
                      "/projects/bottlenecks", "/projects/supervision"]
        for path in pages:
            text = visible_text(client.get(path).get_data(as_text=True))
            words = set(re.findall(r"[A-Za-z0-9_]+", text))
            assert not words & usernames, f"{reader} {path}: user names {words & usernames}"
            assert not words & unit_codes, f"{reader} {path}: unit codes {words & unit_codes}"
            assert not ISO_DATE.search(text), f"{reader} {path}: ISO date {ISO_DATE.search(text).group(0)}"
            checked += 1
    assert checked >= 12


ENGLISH_OR_CODE = re.compile(r"SyntaxError|never closed|Field not allowed|DEFAULT FLOW|\b\d+\.\d+\s*天")


def _dossier_text(client, instance_id: int) -> str:
    import io

    import docx

    document = docx.Document(io.BytesIO(client.get(f"/projects/{instance_id}/dossier.docx").data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_documents_lists_plans_checks_and_the_cli_name_things_as_people_read_them(app, party_engine, busy_project,
                                                                                   database_url, monkeypatch):
    from click.testing import CliRunner

    from web.cli import main
    from web.demo_projects import ProjectDriver

    usernames = {user.username for user in demo_users()}
    process_ids = {name for name in ("key_project", "demonstration_project", "application_review", "argumentation",
                                     "implementation", "acceptance_stage", "benefit_evaluation", "accountability",
                                     "quarterly_report")}
    driver = ProjectDriver(party_engine)
    late = driver.apply("county2_applicant", "催办督办名称项目")
    driver.at("2008-03-20")
    party_engine.process_deadlines()  # 催办 to the leader
    driver.at("2008-04-10")
    party_engine.process_deadlines()  # 督办 to the leaders and supervisors

    city = app.test_client()
    login(city, "city_org")
    for instance_id in (busy_project, late):
        words = set(re.findall(r"[A-Za-z0-9_]+", _dossier_text(city, instance_id)))
        assert not words & usernames, f"Word dossier {instance_id}: user names {words & usernames}"
        assert not ISO_DATE.search(_dossier_text(city, instance_id))
    plan = city.get("/plans/2008").get_data(as_text=True)
    assert re.search(r'<select[^>]*name="catalogue\.0\.sector"', plan), "the catalogue's sector is chosen by name"
    assert not re.search(r'<input[^>]*name="catalogue\.0\.sector"', plan)
    assert "党员素质提高工程" in plan
    bottlenecks = visible_text(city.get("/projects/bottlenecks").get_data(as_text=True))
    assert not re.search(r"\b\d+\.\d\b", bottlenecks), "whole days in 卡点分析"

    applicant = app.test_client()
    login(applicant, "county1_applicant")
    words = set(re.findall(r"[A-Za-z0-9_]+", visible_text(applicant.get("/processes/").get_data(as_text=True))))
    assert not words & process_ids, f"/processes/: process ids {words & process_ids}"

    admin = app.test_client()
    login(admin, "admin")
    xml = admin.get("/admin/processes/argumentation/versions/1.bpmn").get_data(as_text=True)
    broken = xml.replace("<bpmn:script>status_text = '论证中'</bpmn:script>", "<bpmn:script>a = (1</bpmn:script>", 1)
    assert broken != xml
    from tests.webhelpers import csrf

    checked = admin.post("/admin/processes/check", json={"name": "argumentation.bpmn", "xml": broken},
                         headers={"X-CSRFToken": csrf(admin, "/admin/processes/")}).json
    messages = " ".join(problem["message"] for problem in checked["problems"])
    assert "没有闭合" in messages and not ENGLISH_OR_CODE.search(messages), messages

    monkeypatch.setenv("DATABASE_URL", database_url)
    task_id = party_engine.my_task_in("county2_leader", late)
    result = CliRunner().invoke(main, ["complete", str(task_id), "--as", "county2_leader", "--data",
                                       '{"decision": "pass", "opinion": "同意", "key": 1}'])
    assert result.exit_code == 1
    assert "不允许" in result.output and not ENGLISH_OR_CODE.search(result.output), result.output
