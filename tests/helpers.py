"""Small helpers that drive the engine the way a user would."""

from __future__ import annotations

from typing import Any

from engine import Engine
from engine.service.tasks import TaskRow


def open_tasks(engine: Engine, username: str) -> list[TaskRow]:
    """Every open task the user can see in 我的待办 and 待认领."""
    rows = []
    for tab in ("mine", "claimable"):
        rows += engine.inbox(username, tab=tab, page_size=500).rows
    return rows


def task_named(engine: Engine, username: str, bpmn_id: str, instance_id: int | None = None) -> TaskRow:
    """The user's open task with this BPMN id (in the given instance)."""
    matches = [row for row in open_tasks(engine, username)
               if row.bpmn_id == bpmn_id and (instance_id is None or row.instance_id == instance_id)]
    assert matches, f"{username} has no open task {bpmn_id}; has {[r.bpmn_id for r in open_tasks(engine, username)]}"
    return matches[0]


def do(engine: Engine, username: str, bpmn_id: str, instance_id: int | None = None, **data: Any) -> int:
    """Complete the user's task ``bpmn_id`` with ``data``; returns the instance id."""
    row = task_named(engine, username, bpmn_id, instance_id)
    return engine.complete(username, row.id, data).instance_id


def steps(engine: Engine, instance_id: int) -> list[str]:
    return [step["id"] for step in engine.instance("admin", instance_id).steps]
