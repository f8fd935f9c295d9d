"""The hot path of every engine step: lock, read and write instance rows.

Every use case that moves an instance (start, complete, fire timers, admin actions) reads the
instance row locked, then writes the state with its projections. Statements are SQLAlchemy Core,
built once; the ORM's unit of work would double the per-step cost (see ``bench/engine_bench.py``).
The statements of a step go straight to the driver, compiled once per dialect
(:mod:`engine.persistence.driver`): each pass through SQLAlchemy's execution machinery costs more
than the work itself. On PostgreSQL the write is a
single statement, since each round trip costs more still. The optimistic ``lock_version`` check
stays: an update that finds another version raises :class:`StaleInstance`.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.errors import Conflict
from engine.persistence.base import table_of
from engine.persistence.driver import changed_rows
from engine.persistence.driver import first_row
from engine.persistence.driver import on_postgresql
from engine.persistence.models import HumanTask
from engine.persistence.models import InstanceArchive
from engine.persistence.models import InstanceEvent
from engine.persistence.models import Milestone
from engine.persistence.models import ProcessInstance
from engine.persistence.models import TaskDraft

INSTANCES = table_of(ProcessInstance)
TASKS = table_of(HumanTask)
EVENTS = table_of(InstanceEvent)
MILESTONES = table_of(Milestone)
ARCHIVE = table_of(InstanceArchive)
DRAFTS = table_of(TaskDraft)


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
    business: dict[str, Any]
    current_steps: list[dict[str, Any]]
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
    holder: str | None
    form: str | None
    status: str
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    created_at: datetime
    run_key: str | None
    has_draft: bool = False  # read only where the task is locked to be completed


_INSTANCE_COLUMNS = [INSTANCES.c[f.name] for f in fields(InstanceRecord)]
_TASK_COLUMNS = [TASKS.c[f.name] for f in fields(TaskRecord) if f.name != "has_draft"]


def _instance(row: Any) -> InstanceRecord:
    return InstanceRecord(*row)


# Statements built once: constructing them per call costs more than running them.
_LOCK_INSTANCE = select(*_INSTANCE_COLUMNS).where(INSTANCES.c.id == bindparam("instance_id")).with_for_update()
_HAS_DRAFT = select(DRAFTS.c.human_task_id).where(DRAFTS.c.human_task_id == TASKS.c.id).exists()
_LOCK_TASK = (select(*_TASK_COLUMNS, _HAS_DRAFT, *_INSTANCE_COLUMNS)
              .join_from(TASKS, INSTANCES, INSTANCES.c.id == TASKS.c.instance_id)
              .where(TASKS.c.id == bindparam("task_id")).with_for_update())


def lock_instance(session: Session, instance_id: int) -> InstanceRecord | None:
    row = first_row(session, _LOCK_INSTANCE, {"instance_id": instance_id})
    return _instance(row) if row is not None else None


def lock_task(session: Session, task_id: int) -> tuple[TaskRecord, InstanceRecord] | None:
    """A task and its instance, both locked, in one statement.

    Both rows are locked so that PostgreSQL re-reads both after waiting for a concurrent
    completion: the loser then sees the task as already handled.
    """
    row = first_row(session, _LOCK_TASK, {"task_id": task_id})
    if row is None:
        return None
    split = len(_TASK_COLUMNS) + 1
    task = TaskRecord(*row[:split - 1])
    task.has_draft = bool(row[split - 1])
    return task, _instance(row[split:])


def due_instance(session: Session, now: datetime, exclude: Collection[int] = ()) -> InstanceRecord | None:
    """The most overdue waiting instance with a due timer, locked, skipping rows others hold."""
    query = (select(*_INSTANCE_COLUMNS)
             .where(INSTANCES.c.status == "waiting", INSTANCES.c.next_timer_due <= now)
             .order_by(INSTANCES.c.next_timer_due).limit(1).with_for_update(skip_locked=True))
    if exclude:
        query = query.where(INSTANCES.c.id.not_in(list(exclude)))
    row = session.connection().execute(query).first()
    return _instance(row) if row is not None else None


def idle_instance_ids(session: Session) -> list[int]:
    """Waiting instances with no open task and no timer: those that may have stalled.

    What else they wait for (a message, a signal) is in their current steps; the caller reads those.
    """
    open_task = select(TASKS.c.id).where(TASKS.c.instance_id == INSTANCES.c.id, TASKS.c.status == "open")
    query = (select(INSTANCES.c.id, INSTANCES.c.current_steps)
             .where(INSTANCES.c.status == "waiting", INSTANCES.c.next_timer_due.is_(None), ~open_task.exists())
             .order_by(INSTANCES.c.id))
    return [row.id for row in session.connection().execute(query) if not awaits_anything(row.current_steps)]


def awaits_anything(current_steps: list[dict[str, Any]] | None) -> bool:
    """True when an instance's current steps include a user task, a timer or a message to wait for."""
    return any(step.get("kind") in ("user", "timer", "event") for step in current_steps or [])


def uncompacted_instance(session: Session, marker: str, exclude: Collection[int] = ()) -> InstanceRecord | None:
    """An instance whose state was stored without compaction (its serializer version lacks ``marker``), locked."""
    query = (select(*_INSTANCE_COLUMNS).where(INSTANCES.c.serializer_version.not_like(f"%{marker}"))
             .order_by(INSTANCES.c.id).limit(1).with_for_update(skip_locked=True))
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
    return update(table).where(condition).values({key: bindparam(key, type_=table.c[key].type) for key in keys})


def _shape(rows: list[dict[str, Any]]) -> tuple[int, tuple[str, ...]]:
    """How many rows and which columns: what the statement for inserting them depends on."""
    keys = tuple(rows[0]) if rows else ()
    if any(tuple(row) != keys for row in rows):
        raise ValueError("rows inserted together must name the same columns in the same order")
    return len(rows), keys


@lru_cache(maxsize=256)
def _step_statement(instance_keys: tuple[str, ...], task_updates: tuple[tuple[str, ...], ...],
                    new_tasks: tuple[int, tuple[str, ...]], events: tuple[int, tuple[str, ...]]) -> Any:
    """The one-statement step write for PostgreSQL, built once per shape of the step.

    Parameters are named ``t<i>_<column>`` (task updates, with ``t<i>_id``), ``n<i>_<column>``
    (new tasks), ``e<i>_<column>`` (events), the instance's columns, ``row_id`` and ``row_version``.
    """
    def params(table: Any, prefix: str, keys: tuple[str, ...]) -> dict[str, Any]:
        return {key: bindparam(f"{prefix}_{key}", type_=table.c[key].type) for key in keys}

    ctes = [update(TASKS).where(TASKS.c.id == bindparam(f"t{index}_id")).values(params(TASKS, f"t{index}", keys))
            .cte(f"task_update_{index}") for index, keys in enumerate(task_updates)]
    # One multi-row INSERT per table: the order of CTEs is unspecified, the order of VALUES rows is
    # kept (events must get their ids in the order they happened).
    for table, prefix, (count, keys) in ((TASKS, "n", new_tasks), (EVENTS, "e", events)):
        if count:
            rows = [params(table, f"{prefix}{index}", keys) for index in range(count)]
            ctes.append(insert(table).values(rows).cte(f"insert_{table.name}"))
    return (update(INSTANCES)
            .where(INSTANCES.c.id == bindparam("row_id"), INSTANCES.c.lock_version == bindparam("row_version"))
            .values({key: bindparam(key, type_=INSTANCES.c[key].type) for key in instance_keys})
            .add_cte(*ctes))


def write_step(session: Session, record: InstanceRecord, values: dict[str, Any],
               task_updates: Mapping[int, dict[str, Any]] | None = None, new_tasks: list[dict[str, Any]] | None = None,
               events: list[dict[str, Any]] | None = None) -> None:
    """Write a step: task row updates, new task rows, the instance row (version-checked), events.

    On PostgreSQL the writes go in one statement (data-modifying CTEs ahead of the instance
    update): each round trip to the server costs more than the work. If the version check fails
    the whole transaction is rolled back by the caller, so the CTEs' writes do not survive.

    :raises StaleInstance: when another transaction changed the instance row meanwhile.
    """
    values = {**values, "lock_version": record.lock_version + 1}
    params = {**values, "row_id": record.id, "row_version": record.lock_version}
    updates = list((task_updates or {}).items())
    if on_postgresql(session.connection()):
        new_tasks, events = new_tasks or [], events or []
        statement = _step_statement(tuple(values), tuple(tuple(changes) for _, changes in updates),
                                    _shape(new_tasks), _shape(events))
        for index, (task_id, changes) in enumerate(updates):
            params[f"t{index}_id"] = task_id
            params.update({f"t{index}_{key}": value for key, value in changes.items()})
        for prefix, rows in (("n", new_tasks), ("e", events)):
            for index, row in enumerate(rows):
                params.update({f"{prefix}{index}_{key}": value for key, value in row.items()})
        rowcount = changed_rows(session, statement, params)
    else:
        for task_id, changes in updates:
            update_task(session, task_id, changes)
        insert_tasks(session, new_tasks or [])
        rowcount = changed_rows(session, _update_statement("process_instance", tuple(sorted(values)), True), params)
        insert_events(session, events or [])
    if rowcount != 1:
        raise StaleInstance(instance=record.id)
    for key, value in values.items():
        if hasattr(record, key):
            setattr(record, key, value)


def update_task(session: Session, task_id: int, values: dict[str, Any]) -> None:
    changed_rows(session, _update_statement("human_task", tuple(sorted(values)), False), {**values, "row_id": task_id})


@lru_cache(maxsize=64)
def _insert_statement(table_name: str, keys: tuple[str, ...]) -> Any:
    """An INSERT of the columns ``keys`` with bound parameters, built once per column set."""
    table = {"human_task": TASKS, "instance_event": EVENTS}[table_name]
    return insert(table).values({key: bindparam(key, type_=table.c[key].type) for key in keys})


def _insert(session: Session, table_name: str, rows: list[dict[str, Any]]) -> None:
    """Insert rows naming the same columns, in one statement run for every row."""
    if rows:
        changed_rows(session, _insert_statement(table_name, _shape(rows)[1]), rows)


def insert_tasks(session: Session, rows: list[dict[str, Any]]) -> None:
    _insert(session, "human_task", rows)


_DONE_BEFORE = (select(TASKS.c.id)
                .where(TASKS.c.instance_id == bindparam("instance_id"), TASKS.c.process == bindparam("process"),
                       TASKS.c.bpmn_id == bindparam("bpmn_id"), TASKS.c.status == "completed").limit(1))
_DONE_IN_RUN = _DONE_BEFORE.where(or_(TASKS.c.run_key == bindparam("run_key"), TASKS.c.run_key.is_(None)))


_RUN_SEEN = (select(TASKS.c.id)
             .where(TASKS.c.instance_id == bindparam("instance_id"), TASKS.c.run_key == bindparam("run_key")).limit(1))


def run_seen(session: Session, instance_id: int, run_key: str | None) -> bool:
    """True when the run ``run_key`` of a process already had a user task (it did not start now)."""
    return run_key is not None and first_row(session, _RUN_SEEN, {"instance_id": instance_id,
                                                               "run_key": run_key}) is not None


def done_before(session: Session, instance_id: int, process: str, bpmn_id: str, run_key: str | None) -> bool:
    """True when the instance already completed this step (it is being done again): in the run
    ``run_key`` of its process, or in any run for None. Rows from before runs were recorded count
    for every run."""
    params = {"instance_id": instance_id, "process": process, "bpmn_id": bpmn_id}
    if run_key is None:
        return first_row(session, _DONE_BEFORE, params) is not None
    return first_row(session, _DONE_IN_RUN, {**params, "run_key": run_key}) is not None


def cancel_open_tasks(session: Session, instance_id: int, guids: Iterable[str], now: datetime) -> None:
    session.connection().execute(update(TASKS).where(TASKS.c.instance_id == instance_id,
                                                     TASKS.c.task_guid.in_(sorted(guids)), TASKS.c.status == "open")
                                 .values(status="cancelled", completed_at=now))


def set_task_status(session: Session, instance_id: int, old: str, new: str) -> None:
    session.connection().execute(update(TASKS).where(TASKS.c.instance_id == instance_id, TASKS.c.status == old)
                                 .values(status=new))


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    _insert(session, "instance_event", rows)


def milestone_keys(session: Session, instance_id: int) -> set[str]:
    return set(session.connection().scalars(select(MILESTONES.c.key).where(MILESTONES.c.instance_id == instance_id)))


def insert_milestones(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(insert(MILESTONES), rows)


def insert_archive(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store finished workflow parts that left an instance's live state."""
    if rows:
        session.connection().execute(insert(ARCHIVE), rows)
