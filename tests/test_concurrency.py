"""Two users completing the same task at the same moment: exactly one wins."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func
from sqlalchemy import select

from engine import Engine
from engine import clock
from engine.errors import TaskAlreadyHandled
from engine.persistence import records
from engine.persistence.models import HumanTask
from engine.persistence.records import StaleInstance
from engine.service.runs import Change
from party import PARTY
from tests.helpers import task_named

APPLICATION = {"title": "并发测试项目", "plan": "五大体系完整的实施方案"}


def test_simultaneous_completion_applies_once(deployed):
    instance_id = deployed.start("approval", "app1", {"applicant_unit": "511802", "year": 2008})
    row = task_named(deployed, "app1", "submit")
    # Two engines: separate connection pools, as two web processes would have.
    contenders = [("app1", Engine(deployed.settings, domain=PARTY)), ("app1b", Engine(deployed.settings, domain=PARTY))]
    barrier = threading.Barrier(len(contenders))
    outcomes: dict[str, object] = {}

    def attempt(username: str, engine: Engine) -> None:
        barrier.wait()
        try:
            outcomes[username] = engine.complete(username, row.id, APPLICATION).instance_id
        except TaskAlreadyHandled as error:
            outcomes[username] = error

    threads = [threading.Thread(target=attempt, args=contender) for contender in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    winners = [user for user, outcome in outcomes.items() if outcome == instance_id]
    losers = [outcome for outcome in outcomes.values() if isinstance(outcome, TaskAlreadyHandled)]
    assert len(winners) == 1 and len(losers) == 1
    assert winners[0] in losers[0].message  # "already handled by <winner> at <time>"
    events = deployed.instance("admin", instance_id).events
    assert [e.actor for e in events if e.kind == "task_completed"] == winners
    assert [s["id"] for s in deployed.instance("admin", instance_id).steps] == ["county_review"]
    for _user, engine in contenders:
        engine.db.dispose()


def test_a_stale_step_write_changes_nothing(deployed):
    """The version check fails after the step's other writes were queued: none of them survive."""
    instance_id = deployed.start("approval", "app1", {"applicant_unit": "511802", "year": 2008})
    row = task_named(deployed, "app1", "submit")
    before = deployed.instance("admin", instance_id)
    with pytest.raises(StaleInstance), deployed.db.write() as session:
        task, record = records.lock_task(session, row.id)
        record.lock_version -= 1  # as if read before another writer's step
        change = Change("app1")
        change.update_task(task.id, {"status": "completed", "completed_by": "app1"})
        change.add("task_completed", task=task, data={"stale": True})
        change.add("comment", reason="second event of the step")
        new_task = {"instance_id": instance_id, "task_guid": "stale-guid", "bpmn_id": "x", "name": "x",
                    "process": "approval", "status": "open", "ever_overdue": False,
                    "created_at": clock.now()}
        records.write_step(session, record, {"status": "error"}, change.task_updates, [new_task],
                           change.rows(instance_id))
    after = deployed.instance("admin", instance_id)
    assert after.status == before.status and len(after.events) == len(before.events)
    assert task_named(deployed, "app1", "submit").id == row.id  # still open, not completed
    with deployed.db.read() as session:
        assert session.scalar(select(func.count()).where(HumanTask.task_guid == "stale-guid")) == 0


def test_changes_to_one_task_row_merge():
    """A step's single statement may touch a row once: a second change to it merges into the first."""
    change = Change("city")
    change.update_task(7, {"status": "completed", "claimed_by": "a"})
    change.update_task(7, {"claimed_by": "b"})
    change.update_task(8, {"status": "cancelled"})
    assert change.task_updates == {7: {"status": "completed", "claimed_by": "b"}, 8: {"status": "cancelled"}}
