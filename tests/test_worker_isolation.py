"""One broken instance never stops the worker, and what a script leaves behind must be storable.

Probed as a hostile diagram author would: a script that leaves a value the state cannot hold
(a generator, an exception, a huge integer, a deep or self-multiplying structure) fails there,
at its element; an instance that fails anywhere else, saving included, is put in error in a
transaction of its own; and in the same worker pass the healthy instances' timers still fire.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import Engine
from engine import clock
from engine.persistence.models import Notification
from engine.runtime.sandbox import SandboxEnvironment
from engine.runtime.sandbox import UnstorableValue
from engine.service.runs import RunStore
from engine.worker import work_once
from tests.bpmn_builder import Process
from tests.helpers import do
from tests.helpers import steps

UNSTORABLE = [
    "x = (i for i in [1, 2])",
    "x = ValueError('boom')",
    "x = 10 ** 5000",
    "x = []\nfor i in range(100):\n    x = [x]",
    "row = [0] * 1000\nx = [row] * 1000",  # a million cells, written out in full as JSON
    "x = {(1, 2): 'tuple key'}",
    "x = float('nan')",
]


@pytest.mark.parametrize("script", UNSTORABLE)
def test_a_script_cannot_leave_an_unstorable_value(script):
    with pytest.raises(UnstorableValue, match="the value of x"):
        SandboxEnvironment().execute(script, {"keep": 1})


def test_storable_values_pass_and_unchanged_data_is_not_rechecked():
    context = {"big": list(range(150_000)), "n": 1}
    SandboxEnvironment().execute("n += 1\nitems = [{'a': i, 'when': '2008-03-01'} for i in range(10)]", context)
    assert context["n"] == 2 and len(context["items"]) == 10 and len(context["big"]) == 150_000


def _timed(name: str, script: str) -> Process:
    """start → wait one day → script → user task → end."""
    p = Process(name, "定时流程", lanes=[("lane_city", "市委组织部")])
    p.start("start", lane="lane_city")
    p.timer("wait", "等待一天", "timeDuration", '"P1D"', "lane_city")
    p.script("compute", "计算", script, "lane_city")
    p.user("after", "之后办理", "lane_city", form="note.json", dueIn="P5D")
    p.end("end", lane="lane_city")
    p.chain("start", "wait", "compute", "after", "end")
    return p


@pytest.fixture
def timed(deployed: Engine, tmp_path) -> Engine:
    folder = tmp_path / "timed"
    folder.mkdir()
    (folder / "note.json").write_text(json.dumps({"type": "object", "properties": {}}))
    (folder / "healthy.bpmn").write_text(_timed("healthy", "done = True").to_xml())
    (folder / "poison.bpmn").write_text(_timed("poison", "x = (i for i in [1, 2])").to_xml())
    deployed.deploy(folder, actor="admin")
    return deployed


def test_a_poisoned_instance_errors_and_healthy_timers_still_fire_in_the_same_pass(timed):
    poisoned = [timed.start("poison", "city", {}) for _ in range(2)]
    healthy = timed.start("healthy", "city", {})
    clock.advance(timedelta(days=2))
    assert work_once(timed) == 3
    for instance_id in poisoned:
        view = timed.instance("admin", instance_id)
        assert view.status == "error" and view.error_element == "compute"
        assert "cannot be stored" in view.error_message and view.next_timer_due is None
    assert steps(timed, healthy) == ["after"]
    assert work_once(timed) == 0  # instances in error are not taken again


def test_an_instance_that_fails_while_saving_is_put_in_error_and_the_pass_goes_on(timed, monkeypatch):
    broken = timed.start("healthy", "city", {})
    healthy = timed.start("healthy", "city", {})
    original = RunStore.save

    def save(self, session, instance, *args, **kwargs):  # a fault in the store, for one instance only
        if instance.id == broken:
            raise RecursionError("maximum recursion depth exceeded while encoding a JSON object")
        return original(self, session, instance, *args, **kwargs)

    monkeypatch.setattr(RunStore, "save", save)
    clock.advance(timedelta(days=2))
    assert work_once(timed) == 1
    view = timed.instance("admin", broken)
    assert view.status == "error" and "RecursionError" in view.error_message
    assert [event.kind for event in view.events][-1] == "error"
    assert steps(timed, healthy) == ["after"]
    monkeypatch.setattr(RunStore, "save", original)
    # The broken instance kept its last good state: an administrator's retry moves it on.
    timed.retry("admin", broken, reason="修正后重试")
    assert steps(timed, broken) == ["after"]


def test_a_user_step_whose_next_script_leaves_an_unstorable_value_errors_the_instance(deployed, tmp_path):
    p = Process("after_user", "办理后计算", lanes=[("lane_city", "市委组织部")])
    p.start("start", lane="lane_city")
    p.user("first", "先办理", "lane_city", form="note.json", dueIn="P5D")
    p.script("compute", "计算", "x = ValueError('boom')", "lane_city")
    p.user("second", "再办理", "lane_city", form="note.json", dueIn="P5D")
    p.end("end", lane="lane_city")
    p.chain("start", "first", "compute", "second", "end")
    folder = tmp_path / "after_user"
    folder.mkdir()
    (folder / "note.json").write_text(json.dumps({"type": "object", "properties": {}}))
    (folder / "after_user.bpmn").write_text(p.to_xml())
    deployed.deploy(folder, actor="admin")
    instance_id = deployed.start("after_user", "city", {})
    do(deployed, "city", "first", instance_id)
    view = deployed.instance("admin", instance_id)
    assert view.status == "error" and view.error_element == "compute" and "ValueError" in view.error_message
    assert any(event.kind == "task_completed" for event in view.events)  # what the user submitted is kept


def test_a_deadline_that_fails_does_not_stop_the_others(timed, monkeypatch):
    import engine.service.reminders as reminders

    first, second = timed.start("healthy", "city", {}), timed.start("healthy", "city", {})
    clock.advance(timedelta(days=2))
    work_once(timed)
    original = reminders.task_recipients

    def recipients(session, task):  # a fault while notifying the first instance's task only
        if task.instance_id == first:
            raise RuntimeError("recipient lookup failed")
        return original(session, task)

    monkeypatch.setattr(reminders, "task_recipients", recipients)
    clock.advance(timedelta(days=6))
    assert timed.process_deadlines() >= 1
    assert overdue_notices(timed) == [second]
    monkeypatch.setattr(reminders, "task_recipients", original)
    timed.process_deadlines()  # the next pass sends the one that failed, once
    timed.process_deadlines()
    assert overdue_notices(timed) == sorted([first, second])


def overdue_notices(engine: Engine) -> list[int]:
    """The instances whose task got a 催办, once per notice."""
    with engine.db.read() as session:
        query = select(Notification.instance_id).where(Notification.kind == "overdue")
        return sorted(session.scalars(query))
