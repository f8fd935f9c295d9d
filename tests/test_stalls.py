"""No silent stall: an instance that nothing can move on is put in error where people see it, and
states saved in the stalled shape by earlier code are repaired.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from engine import Engine
from engine.persistence.models import ProcessInstance
from engine.runtime import specs
from engine.service.ledger import LedgerQuery
from engine.worker import work_once
from party.demo.driver import ProjectDriver
from party.demo.driver import fresh_engine
from tests.bpmn_builder import Process
from tests.test_workflows import APPLICANT

SCORE = {"recuse": False, "score": 85, "opinion": "方案可行，建议立项。"}


def mismatched_join() -> Process:
    """An exclusive split feeding a parallel join: when the default flow is taken the join waits
    for a branch that never comes (a modelling error no gateway condition reports)."""
    p = Process("mismatched", "分支不匹配", lanes=[("lane_city", "市委组织部")])
    p.start("start", lane="lane_city")
    p.user("first", "登记", "lane_city", form="note.json", dueIn="P5D")
    p.xor("which", "是否补充", "lane_city")
    p.user("extra", "补充材料", "lane_city", form="note.json", dueIn="P5D")
    p.parallel("join", "汇合", "lane_city")
    p.user("after", "办结", "lane_city", form="note.json", dueIn="P5D")
    p.end("end", lane="lane_city")
    p.chain("start", "first", "which")
    p.flow("which", "extra", condition="more == True")
    p.flow("which", "join", default=True)
    p.chain("extra", "join", "after", "end")
    return p


@pytest.fixture
def mismatched(deployed: Engine, tmp_path) -> Engine:
    folder = tmp_path / "mismatched"
    folder.mkdir()
    (folder / "note.json").write_text(json.dumps({"type": "object", "properties": {"more": {"type": "boolean"}}}))
    (folder / "mismatched.bpmn").write_text(mismatched_join().to_xml())
    deployed.deploy(folder, actor="admin")
    return deployed


def first_task(engine: Engine, user: str, instance_id: int):
    return next(row for row in engine.inbox(user, tab="mine").rows if row.instance_id == instance_id)


def as_stored_before(engine: Engine, instance_id: int) -> None:
    """Put the row in the shape earlier code saved a stalled instance in: waiting, no error."""
    with engine.db.write() as session:
        session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                        .values(status="waiting", error_message=None, error_element=None))


def test_a_run_that_nothing_can_move_on_is_put_in_error_when_saved(mismatched):
    instance_id = mismatched.start("mismatched", "city", {})
    mismatched.complete("city", first_task(mismatched, "city", instance_id).id, {"more": False})
    view = mismatched.instance("admin", instance_id)
    assert view.status == "error" and view.error_element == "join"
    assert view.error_message.startswith("流程无法继续：停在「汇合」")
    page = mismatched.ledger("admin", LedgerQuery(state="error"))
    assert [row.instance_id for row in page.rows] == [instance_id] and page.counts["error"] == 1


def test_a_stalled_instance_stored_as_waiting_is_in_error_after_one_worker_pass(mismatched):
    instance_id = mismatched.start("mismatched", "city", {})
    waiting = mismatched.start("mismatched", "city", {})  # at its first step: not stalled
    mismatched.complete("city", first_task(mismatched, "city", instance_id).id, {"more": False})
    as_stored_before(mismatched, instance_id)
    assert mismatched.instance("admin", instance_id).status == "waiting"
    with fresh_engine(mismatched) as worker:
        work_once(worker)
    view = mismatched.instance("admin", instance_id)
    assert view.status == "error" and "流程无法继续" in view.error_message
    assert mismatched.instance("admin", waiting).status == "waiting"
    assert [row.instance_id for row in mismatched.ledger("admin",
                                                LedgerQuery(state="error")).rows] == [instance_id]


def stall_the_panel(party: ProjectDriver, monkeypatch: pytest.MonkeyPatch) -> int:
    """Three experts score, the last two in a process that parses specs as earlier code did (no
    merge wired), and the row is stored as that code stored it: the shape of the demo's stalls."""
    party.cold = False
    instance_id = party.apply(APPLICANT, "党员党性定期分析试点")
    party.pass_review(APPLICANT, instance_id)
    party.at("2008-04-10")
    party.assign_panel(instance_id)
    party.do("panel1", "panel_score", instance_id, SCORE)
    with monkeypatch.context() as patched:
        patched.setattr(specs, "wire_spec_events", lambda spec, subprocess_specs: None)
        with fresh_engine(party.engine) as earlier:
            for member in ("panel2", "panel3"):
                earlier.complete(member, party.task(member, "panel_score", instance_id).id, SCORE)
    as_stored_before(party.engine, instance_id)
    assert party.steps(instance_id) == []
    return instance_id


def test_the_upgrade_merges_unmerged_scores_and_the_project_goes_on(party, monkeypatch):
    instance_id = stall_the_panel(party, monkeypatch)
    with fresh_engine(party.engine) as upgrade:
        assert upgrade.resolve_stalled() == (1, 0)
    assert party.steps(instance_id) == ["panel_opinion"]
    party.write_panel_opinion(instance_id)
    detail = party.engine.task("city_org", party.task("city_org", "decide", instance_id).id)
    assert detail.values["argumentation_score"] == 85.0  # all three scores reached the mean
    assert any(event.kind == "repaired" for event in party.engine.instance("admin", instance_id).events)
    party.decide(instance_id, "approve")
    party.approve(instance_id, APPLICANT)
    assert party.engine.instance("admin", instance_id).business["status_text"].startswith("实施中")


def test_the_worker_repairs_a_stalled_panel_too(party, monkeypatch):
    instance_id = stall_the_panel(party, monkeypatch)
    with fresh_engine(party.engine) as worker:
        work_once(worker)
    assert party.steps(instance_id) == ["panel_opinion"]


def test_a_stall_shows_under_errors_on_the_ledger_and_on_the_project_page(party_engine, app, tmp_path):
    from tests.webhelpers import login
    from tests.webhelpers import text

    folder = tmp_path / "mismatched"
    folder.mkdir()
    (folder / "note.json").write_text(json.dumps({"type": "object", "properties": {"more": {"type": "boolean"}}}))
    (folder / "mismatched.bpmn").write_text(mismatched_join().to_xml())
    party_engine.deploy(folder, actor="admin")
    instance_id = party_engine.start("mismatched", "city_org", {})
    party_engine.complete("city_org", first_task(party_engine, "city_org", instance_id).id, {"more": False})
    for user in ("supervisor", "admin"):
        client = app.test_client()
        login(client, user)
        ledger = text(client.get("/projects/?state=error"))
        assert f"/projects/{instance_id}" in ledger and "流程无法继续：停在「汇合」" in ledger
        page = text(client.get(f"/projects/{instance_id}"))
        assert "运行异常" in page and "流程无法继续" in page
