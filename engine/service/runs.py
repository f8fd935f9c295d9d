"""Load a process instance into a live run and save it back with every projection.

Saving happens in the caller's transaction and writes, together with the state: the instance's
status, current steps, next timer and business fields; one ``human_task`` row per READY user task
(with role, scope, assignee and due date resolved); milestones; and the audit events collected
by the use case. Nothing here commits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.domain import Domain
from engine.jsonutil import plain_copy
from engine.persistence import records
from engine.persistence.models import HumanTask
from engine.persistence.models import Notification
from engine.persistence.models import ProcessInstance
from engine.persistence.models import ProcessVersion
from engine.persistence.queries import org
from engine.persistence.records import InstanceRecord
from engine.roles import CITY_WIDE_ROLES
from engine.runtime.compaction import compact
from engine.runtime.due import due_at
from engine.runtime.serialization import dump_state
from engine.runtime.serialization import load_state
from engine.runtime.serialization import serializer_version
from engine.runtime.snapshot import ReadyTask
from engine.runtime.snapshot import Snapshot
from engine.runtime.specs import ModelCache
from engine.runtime.specs import ParsedModel
from engine.runtime.workflow import ProcessRun
from engine.service.diagram_functions import DiagramFunctions
from engine.settings import EngineSettings

log = logging.getLogger(__name__)

# Appended to the serializer version of a state whose finished parts have been archived.
COMPACTED = "+compacted"


@dataclass
class Change:
    """What a use case did to an instance, for the audit trail."""

    actor: str
    events: list[dict[str, Any]] = field(default_factory=list)
    task_updates: dict[int, dict[str, Any]] = field(default_factory=dict)

    def update_task(self, task_id: int, values: dict[str, Any]) -> None:
        """Change a ``human_task`` row when the change is written (with the step, in one go).

        Changes to one row merge: the step's single statement may touch a row only once.
        """
        self.task_updates[task_id] = {**self.task_updates.get(task_id, {}), **values}

    def add(self, kind: str, *, reason: str | None = None, data: Any = None, task: Any = None,
            bpmn_id: str | None = None, step: str | None = None) -> None:
        """Record one event; ``task`` is a task row or record (its guid, BPMN id and name are kept)."""
        self.events.append({
            "at": clock.now(), "actor": self.actor, "kind": kind, "reason": reason,
            "data": plain_copy(data) if data is not None else None,
            "task_guid": task.task_guid if task is not None else None,
            "bpmn_id": task.bpmn_id if task is not None else bpmn_id,
            "step_name": task.name if task is not None else step})

    def rows(self, instance_id: int) -> list[dict[str, Any]]:
        """The collected events as ``instance_event`` rows."""
        return [{**event, "instance_id": instance_id} for event in self.events]

    def write(self, session: Session, instance_id: int) -> None:
        """Apply the task updates and insert the events (``RunStore.save`` does this itself)."""
        for task_id, values in self.task_updates.items():
            records.update_task(session, task_id, values)
        records.insert_events(session, self.rows(instance_id))
        self.events, self.task_updates = [], {}


class RunStore:
    """Loads instances into runs and saves runs with their projections."""

    def __init__(self, settings: EngineSettings, models: ModelCache, domain: Domain) -> None:
        self.settings = settings
        self.models = models
        self.domain = domain
        # Versions and unit paths never change once written: cache them for the process's life.
        self._versions: dict[int, tuple[str, str, int]] = {}
        self._unit_paths: dict[str, str | None] = {}
        self._holders: dict[tuple[str, str | None], tuple[str | None, float]] = {}
        self._names: tuple[dict[str, str], float] | None = None

    def version_info(self, session: Session, version_id: int) -> tuple[str, str, int]:
        """(process id, name, version number) of a deployed version."""
        info = self._versions.get(version_id)
        if info is None:
            row = session.execute(select(ProcessVersion.process_id, ProcessVersion.name, ProcessVersion.version)
                                  .where(ProcessVersion.id == version_id)).one()
            info = self._versions[version_id] = (row[0], row[1], row[2])
        return info

    def model(self, session: Session, version_id: int) -> ParsedModel:
        """The parsed model of a version; the files are read only on a cold cache."""
        model = self.models.cached(version_id)
        if model is not None:
            return model
        process_id = self.version_info(session, version_id)[0]
        files = select(ProcessVersion.bundle).where(ProcessVersion.id == version_id)
        return self.models.get(version_id, process_id, lambda: session.scalar(files))

    def process_names(self, session: Session) -> dict[str, str]:
        """Process id → the name of its latest version, read again after a minute."""
        now = time.monotonic()
        if self._names is None or self._names[1] <= now:
            rows = session.execute(select(ProcessVersion.process_id, ProcessVersion.name)
                                   .order_by(ProcessVersion.process_id, ProcessVersion.version))
            self._names = ({process_id: name for process_id, name in rows}, now + 60)
        return self._names[0]

    def sole_holder(self, session: Session, role: str | None, scope_path: str | None) -> str | None:
        """The one user who may take a task of ``role`` in ``scope_path``, or None when there are several.

        Such a task goes straight to that person's 我的待办: there is no one to share it with, so
        nothing to claim. Read again after ``actor_cache_seconds`` (roles change rarely).
        """
        if role is None:
            return None
        key = (role, scope_path)
        now = time.monotonic()
        cached = self._holders.get(key)
        if cached is None or cached[1] <= now:
            holders = org.holders_in_scope(session, role, scope_path, role in CITY_WIDE_ROLES)
            cached = self._holders[key] = (holders[0] if len(holders) == 1 else None,
                                           now + self.settings.actor_cache_seconds)
        return cached[0]

    def forget_holders(self) -> None:
        self._holders.clear()

    def unit_path(self, session: Session, code: str | None) -> str | None:
        if not code:
            return None
        if code not in self._unit_paths:
            path = org.unit_path(session, code)
            if path is None:
                return None  # not cached: the unit may be added later
            self._unit_paths[code] = path
        return self._unit_paths[code]

    def functions(self, session: Session, instance_id: int | None) -> dict[str, Callable[..., Any]]:
        """The functions the domain's diagrams may call, bound to ``session`` (and the instance that
        calls them, if any)."""
        library = self.domain.functions or DiagramFunctions
        return library(session, instance_id).as_dict()

    def start(self, session: Session, instance: InstanceRecord, data: dict[str, Any]) -> ProcessRun:
        return ProcessRun.start(self.model(session, instance.version_id), data,
                                helpers=self.functions(session, instance.id),
                                cpu_seconds=self.settings.script_cpu_seconds, isolated=self.settings.isolate_scripts)

    def load(self, session: Session, instance: InstanceRecord | ProcessInstance) -> ProcessRun:
        model = self.model(session, instance.version_id)
        workflow = load_state(instance.state, model.spec, model.subprocess_specs)
        return ProcessRun(model, workflow, helpers=self.functions(session, instance.id),
                          cpu_seconds=self.settings.script_cpu_seconds, isolated=self.settings.isolate_scripts)

    # -- saving ------------------------------------------------------------------------------

    def save(self, session: Session, instance: InstanceRecord, run: ProcessRun, change: Change,
             status: str | None = None, since: float | None = None, handled: str | None = None,
             version_id: int | None = None) -> None:
        """Write state and projections of ``run`` into ``instance``; insert ``change``'s events.

        ``since`` is when the use case started running the workflow (elements completed after it
        may be milestones); ``handled`` is the guid of the task the use case completed itself;
        ``version_id`` moves the instance onto another version (a migration).

        :raises StaleInstance: when the row changed since it was read.
        """
        now = clock.now()
        snap = run.snapshot(since)
        new_status = status or snap.status
        values: dict[str, Any] = {
            "serializer_version": self._layout(), "status": new_status,
            "updated_at": now, "next_timer_due": run.next_timer_due() if new_status == "waiting" else None}
        if version_id is not None:
            values["version_id"] = version_id
        error = run.error or (snap.stalled if status is None else None)
        if error is not None:
            values.update(error_element=error.element, error_message=error.message)
            change.add("error", reason=error.message, bpmn_id=error.element, step=error.element_name)
        elif new_status != "error":
            values.update(error_element=None, error_message=None)
        values.update(self._business_fields(session, instance, snap.data))
        unit_code = values.get("unit_code", instance.unit_code)
        new_tasks = self._sync_tasks(session, instance, run, snap, now, handled, new_status, unit_code, change)
        archived = self._compact(instance, run, now)  # after the new tasks: their return notes read the tree
        values["state"] = dump_state(run.workflow)
        values["current_steps"] = self._steps(instance, snap, now, new_status)
        self._milestones(session, instance, run.model, snap.completed_since, change, now)
        if new_status == "completed" and instance.completed_at is None:
            values["completed_at"] = now
            change.add("completed")
        if snap.tree_size > self.settings.tree_size_alarm:
            log.warning("instance %s has %s tasks in its tree", instance.id, snap.tree_size)
        previous_status = instance.status
        records.write_step(session, instance, values, change.task_updates, new_tasks, change.rows(instance.id))
        self._notify_returned(session, instance.id, new_tasks, now, change.actor)
        records.insert_archive(session, archived)
        change.events, change.task_updates = [], {}
        if previous_status != new_status:
            log.info("instance %s: %s -> %s", instance.id, previous_status, new_status)

    @staticmethod
    def _notify_returned(session: Session, instance_id: int, rows: list[dict[str, Any]], now: Any,
                         sender: str) -> None:
        """Tell whoever must do a returned step again (退回修改) that it came back, and why."""
        for row in rows:
            if row.get("return_note") is None:
                continue
            role = row.get("role")
            recipients = [row["holder"]] if row.get("holder") else \
                org.holders_in_scope(session, role, row.get("scope_path"), role in CITY_WIDE_ROLES) if role else []
            task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                                HumanTask.task_guid == row["task_guid"]))
            for username in recipients:
                session.add(Notification(username=username, kind="returned", instance_id=instance_id,
                                         human_task_id=task_id, message=row["return_note"] or "", sender=sender,
                                         created_at=now))

    def _layout(self) -> str:
        """What ``serializer_version`` records: the library's version, and whether the state is compacted."""
        return serializer_version() + COMPACTED if self.settings.compact_state else serializer_version()

    def _compact(self, instance: InstanceRecord, run: ProcessRun, now: Any) -> list[dict[str, Any]]:
        """Move the finished parts of ``run`` out of its live state; the archive rows to insert."""
        if not self.settings.compact_state:
            return []
        return [{"instance_id": instance.id, "kind": part.kind, "process": part.process, "part_key": part.key,
                 "archived_at": now, "content": part.content} for part in compact(run.workflow)]

    def _business_fields(self, session: Session, instance: InstanceRecord, data: dict[str, Any]) -> dict[str, Any]:
        business = dict(instance.business or {})
        values: dict[str, Any] = {}
        for column, key in self.domain.business_fields.items():
            value = data.get(key)
            if value is None or value == "":
                continue
            business[column] = plain_copy(value)
            if column == "year":
                try:
                    values["year"] = int(value)
                except (TypeError, ValueError):
                    continue
            elif column in ("title", "sector", "kind", "unit_code", "responsible"):
                values[column] = str(value)[:300]
        if business != instance.business:
            values["business"] = business
        unit_code = values.get("unit_code", instance.unit_code)
        path = self.unit_path(session, unit_code)
        if path != instance.unit_path:
            values["unit_path"] = path
        return values

    def _sync_tasks(self, session: Session, instance: InstanceRecord, run: ProcessRun, snap: Snapshot,
                    now: Any, handled: str | None, status: str, unit_code: str | None,
                    change: Change) -> list[dict[str, Any]]:
        """Cancel rows whose task went away (boundary, terminate); return a new row per newly READY task."""
        if status == "suspended":
            # Hidden from inboxes (and not actionable) until the instance resumes.
            records.set_task_status(session, instance.id, "open", "suspended")
            return []
        if instance.status == "suspended":
            records.set_task_status(session, instance.id, "suspended", "open")
        ready = {task.id: task for task in snap.ready} if status in ("waiting", "error") else {}
        # The previous steps name the open rows, which saves a query on every step.
        was_open = {step["task_id"] for step in instance.current_steps or [] if step.get("kind") == "user"}
        was_open.discard(handled)
        gone = was_open - set(ready)
        if gone:
            records.cancel_open_tasks(session, instance.id, gone, now)
        # A step the user's own decision led back to counts as done again even in a new run of its
        # process (the application called again after 论证 returned it); a run that a timer started
        # (the next quarterly report) begins afresh.
        any_run = handled is not None and not snap.timed
        return [self._new_task_row(session, instance.id, unit_code, run, task, now, change, any_run)
                for guid, task in ready.items() if guid not in was_open and guid != handled]

    def _new_task_row(self, session: Session, instance_id: int, unit_code: str | None, run: ProcessRun,
                      task: ReadyTask, now: Any, change: Change, any_run: bool) -> dict[str, Any]:
        meta = task.meta

        def evaluate(expression: str) -> Any:
            return run.evaluate(task.id, expression)

        scope_unit = self._scope(unit_code, task, evaluate)
        scope_path = self.unit_path(session, scope_unit)
        assignee = self._assignee(task, evaluate)
        return {"instance_id": instance_id, "task_guid": task.id, "bpmn_id": meta.bpmn_id, "name": meta.name,
                "process": meta.process, "lane": meta.lane, "role": meta.role, "scope_unit": scope_unit,
                "scope_path": scope_path, "assignee": assignee,
                "holder": assignee or self.sole_holder(session, meta.role, scope_path),
                "return_note": self._return_note(session, instance_id, run, task, change, any_run),
                "run_key": task.run,
                "form": meta.form, "status": "open", "created_at": now,
                "due_at": due_at(meta, now, evaluate, self.settings.late_start_workdays),
                "ever_overdue": False}

    @staticmethod
    def _return_note(session: Session, instance_id: int, run: ProcessRun, task: ReadyTask, change: Change,
                     any_run: bool) -> str | None:
        """Why a step is done again: the reason the returning step gave (its form marks the field
        ``x-return-reason``), '' when it gave none; None when the step is done for the first time.

        Done again means done before in the same run of its process, or, with ``any_run``, in any
        run: ``any_run`` counts only for a run that starts with this step (a process called anew
        because a decision sent the work back); a run that was already under way (the next step of
        the fourth quarterly report, the score sheet after the late stage's application) is judged
        on its own. The live state answers when it still holds the earlier pass, the task rows
        otherwise.
        """
        meta, model = task.meta, run.model
        if any_run and records.run_seen(session, instance_id, task.run):
            any_run = False
        if not (run.passed_before(task.id) or records.done_before(session, instance_id, meta.process, meta.bpmn_id,
                                                                   None if any_run else task.run)):
            return None
        for event in reversed(change.events):
            if event["kind"] != "task_completed" or not isinstance(event["data"], dict):
                continue
            returning = next((m for m in model.tasks.values() if m.bpmn_id == event["bpmn_id"]), None)
            form = model.forms.get(returning.form) if returning is not None and returning.form else {}
            for key, declared in (form or {}).get("properties", {}).items():
                if declared.get("x-return-reason") and event["data"].get(key):
                    return str(event["data"][key])[:1000]
            return (event["reason"] or "")[:1000]
        return ""

    @staticmethod
    def _assignee(task: ReadyTask, evaluate: Callable[[str], Any]) -> str | None:
        expression = task.meta.prop("assignee")
        value = task.item if expression is None else _safely(evaluate, expression)
        if isinstance(value, dict):
            value = value.get("username")
        return str(value) if isinstance(value, str) and value else None

    @staticmethod
    def _scope(unit_code: str | None, task: ReadyTask, evaluate: Callable[[str], Any]) -> str | None:
        expression = task.meta.prop("scope")
        if expression:
            value = _safely(evaluate, expression)
            if isinstance(value, str) and value:
                return value
        if task.meta.role in CITY_WIDE_ROLES:
            return None
        return unit_code

    @staticmethod
    def _steps(instance: InstanceRecord, snap: Snapshot, now: Any, status: str) -> list[dict[str, Any]]:
        if status in ("completed", "terminated", "withdrawn"):
            return []
        since = {step.get("task_id"): step.get("since") for step in instance.current_steps or []}
        return [{"kind": step.kind, "id": step.bpmn_id, "name": step.name, "task_id": step.task_id,
                 "process": step.process, "since": since.get(step.task_id) or now.isoformat(),
                 "due": step.due.isoformat() if step.due else None}
                for step in snap.steps]

    @staticmethod
    def _milestones(session: Session, instance: InstanceRecord, model: ParsedModel, done: set[tuple[str, str]],
                    change: Change, now: Any) -> None:
        candidates = [(element[1], key, name) for element, (key, name) in model.milestones.items() if element in done]
        if not candidates:
            return
        reached = records.milestone_keys(session, instance.id)
        rows = []
        for bpmn_id, key, name in candidates:
            if key not in reached:
                rows.append({"instance_id": instance.id, "key": key, "name": name, "bpmn_id": bpmn_id,
                             "reached_at": now})
                reached.add(key)
                change.add("milestone", reason=key, bpmn_id=bpmn_id, step=name)
        records.insert_milestones(session, rows)


def _safely(evaluate: Callable[[str], Any], expression: str) -> Any:
    try:
        return evaluate(expression)
    except Exception as error:  # noqa: BLE001 - a broken assignment expression must not lose the task
        log.warning("expression %r failed: %s", expression, error)
        return None
