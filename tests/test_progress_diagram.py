"""The progress diagram of the project page: marks from projections, drill-down, access."""

from __future__ import annotations

import pytest

from engine import Engine
from engine.errors import NotAllowed
from engine.errors import NotFound
from engine.service.runs import RunStore
from party.demo.driver import ProjectDriver
from tests.webhelpers import login

COUNTY = "county1_applicant"


@pytest.fixture
def waiting(party_engine: Engine) -> tuple[Engine, int]:
    """A key project waiting at its county leader's approval, overdue by 10 April 2008."""
    party = ProjectDriver(party_engine)
    instance_id = party.apply(COUNTY, "生命周期项目")
    party.at("2008-04-10")
    return party_engine, instance_id


def test_top_diagram_marks_the_call_activity_that_holds_the_late_step(waiting, monkeypatch):
    engine, instance_id = waiting

    def refuse(*_args, **_kwargs):
        raise AssertionError("the diagram loaded a workflow state")

    monkeypatch.setattr(RunStore, "load", refuse)
    found = engine.progress_diagram("supervisor", instance_id)
    assert found.process_id == "key_project" and 'id="application"' in found.xml
    assert found.calls["implementation"] == "implementation"
    assert found.marks["application"].state == "late"
    assert found.marks["application"].since is not None and found.marks["application"].due is not None
    assert "implementation" not in found.marks and "approve" not in found.marks


def test_drill_down_marks_done_and_late_steps(waiting):
    engine, instance_id = waiting
    found = engine.progress_diagram("supervisor", instance_id, "application_review")
    assert 'id="leader_approval"' in found.xml
    assert found.marks["submit_key"].state == "done" and found.marks["submit_key"].since is None
    assert found.marks["leader_approval"].state == "late"
    assert "city_review" not in found.marks


def test_approved_project_marks_finished_parts_done(party_engine):
    party = ProjectDriver(party_engine)
    instance_id = party.apply(COUNTY, "已立项的项目")
    party.pass_review(COUNTY, instance_id)
    party.at("2008-04-10")
    party.argue_and_approve(instance_id, COUNTY)
    found = party_engine.progress_diagram("city_org", instance_id)
    assert found.marks["application"].state == "done" and found.marks["argumentation"].state == "done"
    assert found.marks["approve"].state == "done"
    assert found.marks["implementation"].state in ("active", "late")


def test_access_and_unknown_processes(waiting):
    engine, instance_id = waiting
    with pytest.raises(NotFound):
        engine.progress_diagram("supervisor", instance_id, "no_such_process")
    assert engine.progress_diagram(COUNTY, instance_id)  # the applicant reads their own project's
    with pytest.raises(NotAllowed):
        engine.progress_diagram("county2_applicant", instance_id)  # not another unit's
    with pytest.raises(NotAllowed):
        engine.progress_diagram("county2_org", instance_id)  # another county's project


def test_progress_json_has_badges_in_chinese(waiting, app, client):
    _engine, instance_id = waiting
    login(client, "supervisor")
    page = client.get(f"/projects/{instance_id}")
    assert page.status_code == 200 and "progress_diagram.js" in page.get_data(as_text=True)
    assert "'unsafe-inline'" in page.headers["Content-Security-Policy"].split("style-src")[1].split(";")[0]
    view = client.get(f"/projects/{instance_id}/progress_diagram.json?process=application_review").get_json()
    mark = view["marks"]["leader_approval"]
    assert mark["state"] == "late" and mark["badge"] == "已等待 38 天"
    assert "已逾期" in mark["title"] and "2008年3月3日" in mark["title"]
    assert view["names"]["key_project"] and view["process"] == "application_review"
    assert client.get(f"/projects/{instance_id}/progress_diagram.json?process=nothing").status_code == 404
