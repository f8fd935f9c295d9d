"""Load a process instance into a live run and save it back with every projection.

Saving happens in the caller's transaction and writes, together with the state: the instance's
status, current steps, next timer and business fields; one ``human_task`` row per READY user task
(with role, scope, assignee and due date resolved); milestones; and the audit events collected
by the use case. Nothing here commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import Refused
from engine.jsonutil import plain_copy
from engine.persistence import queries
from engine.persistence.models import HumanTask
from engine.persistence.models import InstanceEvent
from engine.persistence.models import Milestone
from engine.persistence.models import ProcessInstance
from engine.persistence.models import ProcessVersion
from engine.persistence.models import Unit
from engine.roles import CITY_WIDE_ROLES
from engine.runtime.due import due_at
from engine.runtime.serialization import dump_state
from engine.runtime.serialization import load_state
from engine.runtime.serialization import serializer_version
from engine.runtime.specs import ModelCache
from engine.runtime.specs import ParsedModel
from engine.runtime.timers import BUSINESS_TZ
from engine.runtime.workflow import ProcessRun
from engine.runtime.workflow import ReadyTask
from engine.settings import EngineSettings
from engine.workdays import add_workdays

log = logging.getLogger(__name__)


@dataclass
class Change:
    """What a use case did to an instance, for the audit trail."""

    actor: str
    events: list[InstanceEvent] = field(default_factory=list)

    def add(self, kind: str, *, reason: str | None = None, data: Any = None, task: HumanTask | None = None,
            bpmn_id: str | None = None, step: str | None = None) -> None:
        self.events.append(InstanceEvent(
            at=clock.now(), actor=self.actor, kind=kind, reason=reason,
            data=plain_copy(data) if data is not None else None,
            task_guid=task.task_guid if task is not None else None,
            bpmn_id=task.bpmn_id if task is not None else bpmn_id,
            step_name=task.name if task is not None else step))

    def write(self, session: Session, instance_id: int) -> None:
        """Add the collected events to the session (``RunStore.save`` does this itself)."""
        for event in self.events:
            event.instance_id = instance_id
            session.add(event)


def diagram_helpers(session: Session, instance_id: int | None) -> dict[str, Callable]:
    """Functions diagrams may call; each takes explicit arguments and reads only what it needs."""

    def count_projects(kind: str, unit_code: str, year: int | None = None, milestone: str = "submitted") -> int:
        # Lock the unit row so two submissions of one unit count one after the other.
        session.scalars(select(Unit).where(Unit.code == unit_code).with_for_update()).first()
        return queries.count_with_milestone(session, kind=kind, unit_code=unit_code, year=year,
                                            milestone=milestone, exclude_instance=instance_id)

    def refuse(reason: str) -> None:
        raise Refused(reason=str(reason))

    def unit_of_kind(unit_code: str, kind: str) -> str | None:
        unit = session.get(Unit, unit_code)
        while unit is not None and unit.kind != kind:
            unit = session.get(Unit, unit.parent_code) if unit.parent_code else None
        return unit.code if unit is not None else None

    def county_of(unit_code: str) -> str | None:
        return unit_of_kind(unit_code, "county")

    def unit_kind(unit_code: str) -> str | None:
        unit = session.get(Unit, unit_code)
        return unit.kind if unit is not None else None

    def unit_name(unit_code: str) -> str:
        unit = session.get(Unit, unit_code)
        return unit.name if unit is not None else str(unit_code)

    def today() -> str:
        return clock.now().astimezone(BUSINESS_TZ).date().isoformat()

    def workdays_after(day: str, count: int) -> str:
        return add_workdays(date.fromisoformat(str(day)[:10]), int(count)).isoformat()

    def mean(values: list) -> float | None:
        numbers = [float(v) for v in values if v is not None]
        return round(sum(numbers) / len(numbers), 2) if numbers else None

    return {"count_projects": count_projects, "refuse": refuse, "county_of": county_of,
            "unit_of_kind": unit_of_kind, "unit_kind": unit_kind, "unit_name": unit_name, "today": today,
            "workdays_after": workdays_after, "mean": mean}


class RunStore:
    """Loads instances into runs and saves runs with their projections."""

    def __init__(self, settings: EngineSettings, models: ModelCache) -> None:
        self.settings = settings
        self.models = models

    def model(self, version: ProcessVersion) -> ParsedModel:
        return self.models.get(version.id, version.process_id, lambda: version.bundle)

    def start(self, session: Session, version: ProcessVersion, instance: ProcessInstance,
              data: dict[str, Any]) -> ProcessRun:
        return ProcessRun.start(self.model(version), data, helpers=diagram_helpers(session, instance.id),
                                cpu_seconds=self.settings.script_cpu_seconds)

    def load(self, session: Session, instance: ProcessInstance) -> ProcessRun:
        model = self.model(instance.version)
        workflow = load_state(instance.state, model.spec, model.subprocess_specs)
        return ProcessRun(model, workflow, helpers=diagram_helpers(session, instance.id),
                          cpu_seconds=self.settings.script_cpu_seconds)

    # -- saving ------------------------------------------------------------------------------

    def save(self, session: Session, instance: ProcessInstance, run: ProcessRun, change: Change,
             status: str | None = None) -> None:
        """Write state and projections of ``run`` into ``instance``; add ``change``'s events."""
        now = clock.now()
        instance.state = dump_state(run.workflow)
        instance.serializer_version = serializer_version()
        previous_status = instance.status
        instance.status = status or run.status()
        instance.updated_at = now
        instance.next_timer_due = run.next_timer_due() if instance.status == "waiting" else None
        if run.error is not None:
            instance.error_element, instance.error_message = run.error.element, run.error.message
            change.add("error", reason=run.error.message, bpmn_id=run.error.element, step=run.error.element_name)
        elif instance.status != "error":
            instance.error_element = instance.error_message = None
        self._business_fields(session, instance, run)
        self._sync_tasks(session, instance, run, now)
        self._steps(session, instance, run, now)
        self._milestones(session, instance, run, change, now)
        if instance.status == "completed" and instance.completed_at is None:
            instance.completed_at = now
            change.add("completed")
        if run.tree_size() > self.settings.tree_size_alarm:
            log.warning("instance %s has %s tasks in its tree", instance.id, run.tree_size())
        change.write(session, instance.id)
        if previous_status != instance.status:
            log.info("instance %s: %s -> %s", instance.id, previous_status, instance.status)

    def _business_fields(self, session: Session, instance: ProcessInstance, run: ProcessRun) -> None:
        data = run.latest_data()
        business = dict(instance.business or {})
        for column, key in self.settings.business_fields.items():
            value = data.get(key)
            if value is None or value == "":
                continue
            business[column] = plain_copy(value)
            if column == "year":
                try:
                    instance.year = int(value)
                except (TypeError, ValueError):
                    continue
            elif column in ("title", "sector", "kind", "unit_code", "responsible"):
                setattr(instance, column, str(value)[:300])
        instance.business = business
        instance.unit_path = queries.unit_path(session, instance.unit_code)

    def _sync_tasks(self, session: Session, instance: ProcessInstance, run: ProcessRun, now: Any) -> None:
        if instance.status == "suspended":
            return  # the tasks stay as they are, hidden from inboxes until the instance resumes
        ready = {task.id: task for task in run.ready_tasks()} if instance.status in ("waiting", "error") else {}
        open_rows = {row.task_guid: row for row in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open"))}
        for guid, row in open_rows.items():
            if guid not in ready:
                row.status, row.completed_at = "cancelled", now
        for guid, task in ready.items():
            if guid not in open_rows:
                session.add(self._new_task_row(session, instance, run, task, now))

    def _new_task_row(self, session: Session, instance: ProcessInstance, run: ProcessRun, task: ReadyTask,
                      now: Any) -> HumanTask:
        meta = task.meta

        def evaluate(expression: str) -> Any:
            return run.evaluate(task.id, expression)

        assignee = self._assignee(task, evaluate)
        scope_unit = self._scope(instance, task, evaluate)
        return HumanTask(
            instance_id=instance.id, task_guid=task.id, bpmn_id=meta.bpmn_id, name=meta.name,
            process=meta.process, lane=meta.lane, role=meta.role, scope_unit=scope_unit,
            scope_path=queries.unit_path(session, scope_unit), assignee=assignee, form=meta.form,
            status="open", created_at=now, due_at=due_at(meta, now, evaluate))

    @staticmethod
    def _assignee(task: ReadyTask, evaluate: Callable[[str], Any]) -> str | None:
        expression = task.meta.prop("assignee")
        value = task.item if expression is None else _safely(evaluate, expression)
        if isinstance(value, dict):
            value = value.get("username")
        return str(value) if isinstance(value, str) and value else None

    @staticmethod
    def _scope(instance: ProcessInstance, task: ReadyTask, evaluate: Callable[[str], Any]) -> str | None:
        expression = task.meta.prop("scope")
        if expression:
            value = _safely(evaluate, expression)
            if isinstance(value, str) and value:
                return value
        if task.meta.role in CITY_WIDE_ROLES:
            return None
        return instance.unit_code

    def _steps(self, session: Session, instance: ProcessInstance, run: ProcessRun, now: Any) -> None:
        if instance.status in ("completed", "terminated"):
            instance.current_steps = []
            return
        since = {step.get("task_id"): step.get("since") for step in instance.current_steps or []}
        steps = []
        for step in run.steps():
            steps.append({"kind": step.kind, "id": step.bpmn_id, "name": step.name, "task_id": step.task_id,
                          "process": step.process, "since": since.get(step.task_id) or now.isoformat(),
                          "due": step.due.isoformat() if step.due else None})
        instance.current_steps = steps

    def _milestones(self, session: Session, instance: ProcessInstance, run: ProcessRun, change: Change,
                    now: Any) -> None:
        done = run.completed_steps()
        reached = set(session.scalars(select(Milestone.key).where(Milestone.instance_id == instance.id)))
        for meta in run.model.tasks.values():
            key = meta.prop("milestone")
            if key and key not in reached and meta.bpmn_id in done:
                session.add(Milestone(instance_id=instance.id, key=key, name=meta.name, bpmn_id=meta.bpmn_id,
                                      reached_at=now))
                reached.add(key)
                change.add("milestone", reason=key, bpmn_id=meta.bpmn_id, step=meta.name)


def _safely(evaluate: Callable[[str], Any], expression: str) -> Any:
    try:
        return evaluate(expression)
    except Exception as error:  # noqa: BLE001 - a broken assignment expression must not lose the task
        log.warning("expression %r failed: %s", expression, error)
        return None
