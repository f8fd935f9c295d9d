"""The year plan in the city's hands: edit it through the form, copy a year, the numbers it sets."""

from __future__ import annotations

import pytest

from engine.errors import Conflict
from engine.errors import InvalidSubmission
from engine.errors import NotAllowed
from party.demo.org import year_plan
from party.year_plan import form_to_plan
from party.year_plan import plan_to_form
from tests.webhelpers import login
from tests.webhelpers import post
from tests.webhelpers import text


def flat(values: dict, prefix: str = "") -> dict:
    """Form values as the browser posts them (tables as name.0.column)."""
    out: dict = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, list):
            for index, row in enumerate(value):
                out.update(flat(row, f"{name}.{index}.") if isinstance(row, dict) else {f"{name}.{index}": row})
        else:
            out[name] = "" if value is None else str(value)
    return out


def test_the_form_round_trips_the_shipped_plan():
    plan = year_plan()
    again = form_to_plan(2008, plan_to_form(plan), plan)
    assert again["calendar"] == plan["calendar"] and again["acceptance_template"] == plan["acceptance_template"]
    assert again["quota"] == plan["quota"] and again["workdays"] == plan["workdays"]
    assert again["reminders"] == {"remind_days_before": 3, "escalate_workdays_after": 5}


def test_saving_checks_the_template_and_keeps_nothing_on_error(party_engine):
    _form, values = party_engine.plan_form("city_org", 2008)
    values["acceptance_template"][0]["max"] = 45
    with pytest.raises(InvalidSubmission) as refused:
        party_engine.save_year_plan("city_org", 2008, values)
    assert [e.path for e in refused.value.errors] == ["acceptance_template"]
    assert party_engine.reference("year:2008")["acceptance_template"][0]["max"] == 40
    with pytest.raises(NotAllowed):
        party_engine.plan_form("county1_org", 2008)


def test_copying_a_year_moves_its_dates(party_engine):
    party_engine.copy_year_plan("city_org", 2008, 2009)
    plan = party_engine.reference("year:2009")
    assert plan["year"] == 2009 and plan["title"].startswith("2009年度")
    assert plan["calendar"]["application_close"] == "2009-03-31"
    assert plan["calendar"]["quarters"][0]["opens"] == "2009-04-21T09:00:00+08:00"
    assert party_engine.plan_years("admin") == [2009, 2008]
    with pytest.raises(Conflict):
        party_engine.copy_year_plan("city_org", 2008, 2009)


def test_the_plan_page_saves_a_new_template_and_reminder_numbers(app, client):
    engine = app.config["ENGINE"]
    login(client, "city_org")
    page = text(client.get("/plans/2008"))
    assert "验收评分模板" in page and "目标达成与考核指标完成" in page and "2008-03-31" in page
    _form, values = engine.plan_form("city_org", 2008)
    values["acceptance_template"] = [{"key": "goals", "name": "目标任务完成情况", "max": 60, "rules": "逐项核查"},
                                     {"key": "satisfaction", "name": "群众满意度", "max": 40, "rules": "测评折算"}]
    values["escalate_workdays_after"] = 3
    bad = {**flat(values), "acceptance_template.1.max": "30"}
    response = post(client, "/plans/2008", bad, page="/plans/2008")
    assert response.status_code == 422 and "合计须为 100 分（现为 90 分）" in text(response)
    assert "目标任务完成情况" in text(response)  # what was typed comes back
    post(client, "/plans/2008", flat(values), page="/plans/2008")
    plan = engine.reference("year:2008")
    assert [c["name"] for c in plan["acceptance_template"]] == ["目标任务完成情况", "群众满意度"]
    assert plan["reminders"]["escalate_workdays_after"] == 3
    assert engine.supervision("supervisor", 2008).escalate_workdays == 3
    login(client, "county1_org")
    assert client.get("/plans/2008").status_code == 403


def test_a_script_that_changes_the_plan_it_read_changes_nothing_stored(party_engine):
    from party.functions import PartyFunctions

    with party_engine.db.write() as session:
        helpers = PartyFunctions(session, None)
        helpers.year_plan(2008).pop("quota")  # what an in-server script may do with what it read
        assert "quota" not in helpers.year_plan(2008)  # this use case's copy
        assert "quota" in PartyFunctions(session, None).year_plan(2008)
    with party_engine.db.read() as session:
        assert "quota" in PartyFunctions(session, None).year_plan(2008)
