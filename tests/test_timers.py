"""Timers fire from the worker on the engine clock, catch up after downtime, and fire once."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select

from engine import Engine
from engine import clock
from engine.persistence.models import InstanceArchive
from engine.persistence.models import InstanceEvent
from engine.persistence.models import ProcessInstance
from engine.worker import work_once
from party import PARTY
from tests.helpers import do
from tests.helpers import steps


def test_duration_timer_waits_then_fires(deployed):
    instance_id = deployed.start("timers", "city", {"deadline": "2008-04-30T00:00:00+08:00"})
    view = deployed.instance("admin", instance_id)
    assert steps(deployed, instance_id) == ["wait_week"]
    assert view.next_timer_due == clock.now() + timedelta(days=7)
    clock.advance(timedelta(days=6))
    assert work_once(deployed) == 0
    clock.advance(timedelta(days=1, seconds=1))
    assert work_once(deployed) == 1
    assert steps(deployed, instance_id) == ["report"]
    fired = [e for e in deployed.instance("admin", instance_id).events if e.kind == "timer_fired"]
    assert len(fired) == 1 and fired[0].actor == "system"


def test_cycle_reminders_and_date_timer_from_data(deployed):
    instance_id = deployed.start("timers", "city", {"deadline": "2008-05-31T00:00:00+08:00"})
    clock.advance(timedelta(days=7, seconds=1))
    work_once(deployed)
    clock.advance(timedelta(days=10, seconds=1))
    work_once(deployed)
    clock.advance(timedelta(days=10, seconds=1))
    work_once(deployed)
    do(deployed, "city", "report", instance_id, note="已填报")
    assert steps(deployed, instance_id) == ["wait_date"]
    view = deployed.instance("admin", instance_id)
    assert view.next_timer_due.isoformat() == "2008-05-30T16:00:00+00:00"
    assert [e.kind for e in view.events].count("timer_fired") == 3
    clock.travel_to(view.next_timer_due + timedelta(minutes=1))
    work_once(deployed)
    assert deployed.instance("admin", instance_id).status == "completed"


def times_completed(engine: Engine, instance_id: int, bpmn_id: str) -> int:
    """How often ``bpmn_id`` completed: in the live state and in the archive of its finished parts."""
    with engine.db.read() as session:
        run = engine.runs.load(session, session.get(ProcessInstance, instance_id))
        archived = session.scalars(select(InstanceArchive.content).where(InstanceArchive.instance_id == instance_id))
        tasks = [task for part in archived for task in json.loads(part)["tasks"].values()]
    live = sum(1 for task in run.workflow.get_tasks() if task.task_spec.name == bpmn_id and task.state == 64)
    return live + sum(1 for task in tasks if task["task_spec"] == bpmn_id and task["state"] == 64)


def test_worker_catches_up_after_downtime(deployed):
    instance_id = deployed.start("timers", "city", {"deadline": "2008-12-01T00:00:00+08:00"})
    clock.advance(timedelta(days=90))  # the worker was down for three months
    assert work_once(deployed) == 1
    view = deployed.instance("admin", instance_id)
    assert [s["id"] for s in view.steps] == ["report"]
    # the reminder cycle starts when the report task starts, that is now
    assert view.next_timer_due == clock.now() + timedelta(days=10)
    clock.advance(timedelta(days=60))  # down again: both reminder cycles (R2/P10D) are overdue
    assert work_once(deployed) == 1
    assert times_completed(deployed, instance_id, "count_reminder") == 2
    assert deployed.instance("admin", instance_id).next_timer_due is None


def test_interrupting_boundary_cancels_the_task_and_escalates(deployed):
    instance_id = deployed.start("overdue", "app1", {"applicant_unit": "511802"})
    clock.advance(timedelta(days=10, seconds=1))
    work_once(deployed)
    assert steps(deployed, instance_id) == ["account"]
    assert deployed.inbox("app1", "claimable").rows == []
    do(deployed, "city", "account", instance_id, decision="approve")
    assert deployed.instance("admin", instance_id).status == "completed"


def test_two_workers_never_fire_one_timer_twice(deployed, database_url):
    ids = [deployed.start("timers", "city", {"deadline": "2009-01-01T00:00:00+08:00"}) for _ in range(12)]
    clock.advance(timedelta(days=7, seconds=1))
    workers = [Engine(deployed.settings, domain=PARTY) for _ in range(2)]
    barrier = threading.Barrier(2)
    counts = []

    def run(worker: Engine) -> None:
        barrier.wait()
        counts.append(work_once(worker))

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(counts) == len(ids)
    with deployed.db.read() as session:
        fired = dict(session.execute(select(InstanceEvent.instance_id, func.count())
                                     .where(InstanceEvent.kind == "timer_fired")
                                     .group_by(InstanceEvent.instance_id)).all())
    assert fired == dict.fromkeys(ids, 1)
    for worker in workers:
        worker.db.dispose()
