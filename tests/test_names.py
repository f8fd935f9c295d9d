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
