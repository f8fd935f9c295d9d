"""The hot path of every engine step, in SQLAlchemy Core: lock, read and write instance rows.

Every use case that moves an instance (start, complete, fire timers, admin actions) reads the
instance row locked, then writes the state with its projections. Doing that through Core rather
than the ORM's unit of work halves the per-step overhead (see ``bench/engine_bench.py``). The
optimistic ``lock_version`` check stays: an update that finds another version raises
:class:`StaleInstance`.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import fields
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.errors import Conflict
from engine.persistence.models import HumanTask
from engine.persistence.models import InstanceEvent
from engine.persistence.models import Milestone
from engine.persistence.models import ProcessInstance

INSTANCES = ProcessInstance.__table__
TASKS = HumanTask.__table__
EVENTS = InstanceEvent.__table__
MILESTONES = Milestone.__table__


# Statements run on the session's connection: Core rows, without the ORM's per-statement work.


class StaleInstance(Conflict):
    """The instance row changed since it was read (lock version mismatch)."""


@dataclass
class InstanceRecord:
    """The columns of ``process_instance`` the engine works with."""

    id: int
    process_id: str
    version_id: int
    status: str
    state: str
    lock_version: int
    started_by: str
    unit_code: str | None
    unit_path: str | None
    business: dict
    current_steps: list
    completed_at: datetime | None
    title: str
    year: int | None
    responsible: str | None


@dataclass
class TaskRecord:
    """The columns of ``human_task`` the engine works with."""

    id: int
    instance_id: int
    task_guid: str
    bpmn_id: str
    name: str
    process: str
    role: str | None
    scope_path: str | None
    assignee: str | None
    claimed_by: str | None
    form: str | None
    status: str
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None


_INSTANCE_COLUMNS = [INSTANCES.c[f.name] for f in fields(InstanceRecord)]
_TASK_COLUMNS = [TASKS.c[f.name] for f in fields(TaskRecord)]


def _instance(row: Any) -> InstanceRecord:
    return InstanceRecord(*row)


# Statements built once: constructing them per call costs more than running them.
_LOCK_INSTANCE = select(*_INSTANCE_COLUMNS).where(INSTANCES.c.id == bindparam("instance_id")).with_for_update()
_LOCK_TASK = (select(*_TASK_COLUMNS, *_INSTANCE_COLUMNS)
              .join_from(TASKS, INSTANCES, INSTANCES.c.id == TASKS.c.instance_id)
              .where(TASKS.c.id == bindparam("task_id")).with_for_update())


def lock_instance(session: Session, instance_id: int) -> InstanceRecord | None:
    row = session.connection().execute(_LOCK_INSTANCE, {"instance_id": instance_id}).first()
    return _instance(row) if row is not None else None


def lock_task(session: Session, task_id: int) -> tuple[TaskRecord, InstanceRecord] | None:
    """A task and its instance, both locked, in one statement.

    Both rows are locked so that PostgreSQL re-reads both after waiting for a concurrent
    completion: the loser then sees the task as already handled.
    """
    row = session.connection().execute(_LOCK_TASK, {"task_id": task_id}).first()
    if row is None:
        return None
    split = len(_TASK_COLUMNS)
    return TaskRecord(*row[:split]), _instance(row[split:])


def due_instance(session: Session, now: datetime, exclude: Collection[int] = ()) -> InstanceRecord | None:
    """The most overdue waiting instance with a due timer, locked, skipping rows others hold."""
    query = (select(*_INSTANCE_COLUMNS)
             .where(INSTANCES.c.status == "waiting", INSTANCES.c.next_timer_due <= now)
             .order_by(INSTANCES.c.next_timer_due).limit(1).with_for_update(skip_locked=True))
    if exclude:
        query = query.where(INSTANCES.c.id.not_in(list(exclude)))
    row = session.connection().execute(query).first()
    return _instance(row) if row is not None else None


def insert_instance(session: Session, values: dict[str, Any]) -> InstanceRecord:
    """Insert a new instance row (state filled in by the first save) and return it."""
    values = {"state": "{}", "serializer_version": "", "lock_version": 1, "current_steps": [], "business": {},
              "title": "", **values}
    statement = insert(INSTANCES).values(**values).returning(INSTANCES.c.id)
    instance_id = session.connection().execute(statement).scalar_one()
    return InstanceRecord(instance_id, values["process_id"], values["version_id"], values["status"], values["state"],
                          1, values["started_by"], values.get("unit_code"), None, {}, [], None, "", None, None)


@lru_cache(maxsize=64)
def _update_statement(table_name: str, keys: tuple[str, ...], optimistic: bool) -> Any:
    """An UPDATE with bound parameters, built once per column set (statement building is not free)."""
    table = {"process_instance": INSTANCES, "human_task": TASKS}[table_name]
    condition = table.c.id == bindparam("row_id")
    if optimistic:
        condition = condition & (table.c.lock_version == bindparam("row_version"))
    return update(table).where(condition).values({key: bindparam(key) for key in keys})


def update_instance(session: Session, record: InstanceRecord, values: dict[str, Any]) -> None:
    """Write ``values`` if the row still has the version ``record`` was read at.

    :raises StaleInstance: when another transaction changed the row meanwhile.
    """
    values = {**values, "lock_version": record.lock_version + 1}
    statement = _update_statement("process_instance", tuple(sorted(values)), True)
    params = {**values, "row_id": record.id, "row_version": record.lock_version}
    result = session.connection().execute(statement, params)
    if result.rowcount != 1:
        raise StaleInstance(record.id)
    for key, value in values.items():
        if hasattr(record, key):
            setattr(record, key, value)


def update_task(session: Session, task_id: int, values: dict[str, Any]) -> None:
    statement = _update_statement("human_task", tuple(sorted(values)), False)
    session.connection().execute(statement, {**values, "row_id": task_id})


# inline(): no RETURNING of new ids, which nothing here needs and which costs a round of work.
_INSERT_TASKS = insert(TASKS).inline()
_INSERT_EVENTS = insert(EVENTS).inline()


def _rows(rows: list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    return rows[0] if len(rows) == 1 else rows


def insert_tasks(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(_INSERT_TASKS, _rows(rows))


def cancel_open_tasks(session: Session, instance_id: int, guids: Iterable[str], now: datetime) -> None:
    session.connection().execute(update(TASKS).where(TASKS.c.instance_id == instance_id,
                                                     TASKS.c.task_guid.in_(sorted(guids)), TASKS.c.status == "open")
                                 .values(status="cancelled", completed_at=now))


def set_task_status(session: Session, instance_id: int, old: str, new: str) -> None:
    session.connection().execute(update(TASKS).where(TASKS.c.instance_id == instance_id, TASKS.c.status == old)
                                 .values(status=new))


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(_INSERT_EVENTS, _rows(rows))


def milestone_keys(session: Session, instance_id: int) -> set[str]:
    return set(session.connection().scalars(select(MILESTONES.c.key).where(MILESTONES.c.instance_id == instance_id)))


def insert_milestones(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(insert(MILESTONES), rows)
