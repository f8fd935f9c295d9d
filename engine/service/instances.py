"""Use cases on whole instances: start, look at, suspend, resume, terminate, retry after an error."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from datetime import time as time_of_day
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.clock import BUSINESS_TZ
from engine.errors import InvalidInput
from engine.errors import InvalidState
from engine.errors import NotAllowed
from engine.errors import NotFound
from engine.errors import Refused
from engine.persistence import records
from engine.persistence.models import HumanTask
from engine.persistence.models import InstanceArchive
from engine.persistence.models import InstanceEvent
from engine.persistence.models import Milestone
from engine.persistence.models import ProcessInstance
from engine.persistence.queries import inbox
from engine.persistence.queries import versions
from engine.runtime.history import FinishedStep
from engine.runtime.history import finished_steps
from engine.runtime.sandbox import evaluate_expression
from engine.runtime.workflow import ProcessRun
from engine.service.actors import Actor
from engine.service.actors import require_role
from engine.service.base import Service
from engine.service.idempotency import Keyed
from engine.service.idempotency import keyed
from engine.service.idempotency import once
from engine.service.idempotency import record
from engine.service.reminders import REMINDER_EVENTS
from engine.service.runs import Change
from forms import confidential
from forms import hides_fields_from
from forms import readable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventView:
    at: datetime
    actor: str
    kind: str
    step_name: str | None
    bpmn_id: str | None
    reason: str | None
    data: Any
    # Some of what was submitted is not for this reader (x-visible-to): pages that name who did
    # what leave the event out, so that not even who scored shows.
    withheld: bool = False


@dataclass(frozen=True)
class Started:
    """A started instance and the first open task of it the starter may act on (None: none)."""

    instance_id: int
    task_id: int | None


@dataclass(frozen=True)
class InstanceView:
    id: int
    process_id: str
    process_name: str
    version: int
    status: str
    title: str
    year: int | None
    unit_code: str | None
    steps: list[dict[str, Any]]
    started_by: str
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    error_element: str | None
    error_message: str | None
    next_timer_due: datetime | None
    business: dict[str, Any]
    milestones: list[tuple[str, str, datetime]]
    events: list[EventView]




def event_view(event: InstanceEvent, form: dict[str, Any] | None, viewer: Actor) -> EventView:
    """``event`` with only the submitted fields ``viewer`` may read; a reminder of a step whose form
    ``viewer`` may not read in full (an expert's scoring) names the step only, not who was urged."""
    own = event.actor == viewer.username
    data = readable(form, event.data, viewer.roles, own=own)
    withheld = (isinstance(event.data, dict) and isinstance(data, dict) and len(data) < len(event.data)) \
        or (not own and event.kind not in REMINDER_EVENTS and confidential(form, viewer.roles))
    reason = event.reason
    if event.kind in REMINDER_EVENTS and hides_fields_from(form, viewer.roles):
        reason, data = None, None
    return EventView(event.at, event.actor, event.kind, event.step_name, event.bpmn_id, reason, data, withheld)


# The archive kind of the state an instance had before a migration (kept to undo it).
MIGRATION_ARCHIVE = "migration"
# Who may repair a project: suspend, resume, terminate, retry, reassign its tasks.
REPAIRERS = ("admin", "city_org")


def required_reason(reason: str | None) -> str:
    """The reason for a repair, trimmed. :raises InvalidInput: when there is none."""
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise InvalidInput("Give the reason for this action; it is kept in the project's history.")
    return reason


def lock_instance(session: Session, instance_id: int) -> records.InstanceRecord:
    """The instance row, locked for this transaction. :raises NotFound: when it does not exist."""
    instance = records.lock_instance(session, instance_id)
    if instance is None:
        raise NotFound(what="Process instance", key=instance_id)
    return instance


def visible_instance(session: Session, actor: Actor, instance_id: int) -> ProcessInstance:
    """The instance if ``actor`` may see it: in their unit's subtree, started by them, or city-wide.

    :raises NotFound: when it does not exist. :raises NotAllowed: when it is out of scope.
    """
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(what="Process instance", key=instance_id)
    if not may_see_instance(session, actor, instance):
        raise NotAllowed("This project is outside your scope.")
    return instance


def may_see_instance(session: Session, actor: Actor, instance: ProcessInstance) -> bool:
    """True when ``actor`` may open the project: in their unit's subtree, started by them, theirs to
    run, one they acted on, or they are city-wide."""
    return (actor.sees_unit(instance.unit_path) or instance.started_by == actor.username
            or instance.responsible == actor.username or _acted_on(session, actor, instance.id))


def may_withdraw(model: Any, instance: Any, username: str) -> bool:
    """True while ``username`` started ``instance`` and every open step is one its start event lists
    in ``withdrawableWhile``."""
    allowed = set((model.start_properties.get("withdrawableWhile") or "").split())
    steps = {step.get("id") for step in instance.current_steps or [] if step.get("kind") == "user"}
    return bool(allowed) and instance.started_by == username and instance.status in ("waiting", "error") \
        and bool(steps) and steps <= allowed


def _acted_on(session: Session, actor: Actor, instance_id: int) -> bool:
    return session.scalar(select(HumanTask.id).where(
        HumanTask.instance_id == instance_id,
        (HumanTask.completed_by == actor.username) | (HumanTask.assignee == actor.username)).limit(1)) is not None


class InstanceService(Service):
    def start(self, process_id: str, actor: str, data: dict[str, Any] | None = None) -> int:
        """Start the latest version of ``process_id`` with ``data``; returns the instance id.

        The data gets ``initiator`` and ``initiator_unit``. A diagram may refuse the start.

        :raises NotFound: when the process is not deployed.
        :raises NotAllowed: when the actor's roles may not start it.
        :raises Refused: when the diagram refuses; nothing is stored then.
        """
        return self._start(process_id, actor, data, next_task=False, request=None).instance_id

    def launch(self, process_id: str, actor: str, data: dict[str, Any] | None = None,
               idempotency_key: str | None = None) -> Started:
        """:meth:`start`, with the first task the starter may act on found in the same transaction.

        With ``idempotency_key``, once (see ``engine.service.idempotency``): the same key with the
        same request returns the first start's instance and task, and starts nothing.

        :raises IdempotencyKeyReused, RequestInProgress: for a key used otherwise, or in use.
        """
        request = keyed(idempotency_key, "start", process_id, data or {})
        return once(self.db, actor, request, lambda: self._start(process_id, actor, data, True, request),
                    lambda outcome: Started(outcome["instance_id"], outcome["task_id"]))

    def _start(self, process_id: str, actor: str, data: dict[str, Any] | None, next_task: bool,
               request: Keyed | None) -> Started:
        if data is not None and not isinstance(data, dict):
            raise InvalidState("Initial data must be a JSON object.", status="")
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            version = versions.current_version(session, process_id)
            if version is None or not version.startable:
                raise NotFound(what="Process", key=process_id)
            model = self.runs.model(session, version.id)
            if model.starter_roles and not user.has(*model.starter_roles):
                raise NotAllowed("Only %(roles)s may start %(process)s.",
                                 roles=", ".join(sorted(model.starter_roles)), process=model.name)
            now = clock.now()
            self._check_start_limit(session, user.username, now)
            refusal = self.start_refusal(session, model, user)
            if refusal:
                raise Refused(reason=refusal)
            instance = records.insert_instance(session, {
                "process_id": process_id, "version_id": version.id, "status": "running", "started_by": user.username,
                "started_at": now, "updated_at": now, "unit_code": user.unit_code})
            seed = dict(data or {})
            seed.update(initiator=user.username, initiator_unit=user.unit_code)
            since = time.time()
            run = self.runs.start(session, instance, seed)
            change = Change(user.username)
            change.add("started", data=seed)
            self.runs.save(session, instance, run, change, since=since)
            log.info("started %s as instance %s by %s", process_id, instance.id, user.username)
            task_id = inbox.first_actionable_task(session, user.viewer, instance.id) if next_task else None
            record(session, user.username, request, {"instance_id": instance.id, "task_id": task_id})
            return Started(instance.id, task_id)

    def start_refusal(self, session: Session, model: Any, user: Actor) -> str | None:
        """Why ``user`` may not start ``model`` now (its start event's ``startRefusal``), or None.

        The expression sees ``initiator`` and ``initiator_unit`` and the diagram helpers, such as
        ``quota_left``: an applicant learns that the quota is full before writing anything.
        """
        expression = model.start_properties.get("startRefusal")
        if not expression:
            return None
        context = {"initiator": user.username, "initiator_unit": user.unit_code}
        try:
            reason = evaluate_expression(expression, context, self.runs.functions(session, None),
                                         self.settings.script_cpu_seconds)
        except Refused as refused:
            return refused.params.get("reason") or str(refused)
        except Exception as error:  # noqa: BLE001 - a broken condition must not block every start
            log.warning("startRefusal of %s failed: %s", model.process_id, error)
            return None
        return str(reason) if reason else None

    def withdraw(self, actor: str, instance_id: int, reason: str | None = None) -> None:
        """The one who started a process takes it back while it is at one of the steps its start
        event lists in ``withdrawableWhile`` (an application: being written, or with the unit's
        leader); it then no longer counts against any quota. :raises NotAllowed, InvalidState:"""
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            instance = lock_instance(session, instance_id)
            if instance.started_by != user.username:
                raise NotAllowed("Only the one who started it may withdraw it.")
            if not may_withdraw(self.runs.model(session, instance.version_id), instance, user.username):
                raise InvalidState("It can no longer be withdrawn: it has gone past the unit's approval.",
                                   status=instance.status)
            run = self.runs.load(session, instance)
            run.terminate()
            change = Change(user.username)
            change.add("withdrawn", reason=reason)
            self.runs.save(session, instance, run, change, status="withdrawn")

    def _check_start_limit(self, session: Session, username: str, now: datetime) -> None:
        """:raises InvalidState: when the user already started ``max_starts_per_day`` processes today."""
        day_start = datetime.combine(now.astimezone(BUSINESS_TZ).date(), time_of_day(0), BUSINESS_TZ)
        started = session.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.started_by == username, ProcessInstance.started_at >= day_start))
        if (started or 0) >= self.settings.max_starts_per_day:
            raise InvalidState("You have started %(count)s processes today, the most one person may start in a day. "
                               "Please continue tomorrow, or ask 市委组织部 if more are needed.",
                               count=started, status="")

    def instance(self, actor: str, instance_id: int) -> InstanceView:
        """What an instance is, where it stands and its whole history.

        :raises NotFound, NotAllowed: see :func:`visible_instance`.
        """
        with self.db.read() as session:
            return self.instance_view(session, self.actor_in(session, actor), instance_id)

    def instance_view(self, session: Session, viewer: Actor, instance_id: int) -> InstanceView:
        """:meth:`instance` inside a transaction of the caller's."""
        instance = visible_instance(session, viewer, instance_id)
        events = session.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance_id)
                                 .order_by(InstanceEvent.at, InstanceEvent.id))
        model = self.runs.model(session, instance.version_id)
        forms = {meta.bpmn_id: model.forms.get(meta.form) for meta in model.tasks.values() if meta.form}
        milestones = session.execute(select(Milestone.key, Milestone.name, Milestone.reached_at)
                                     .where(Milestone.instance_id == instance_id)
                                     .order_by(Milestone.reached_at, Milestone.id))
        _process, name, number = self.runs.version_info(session, instance.version_id)
        return InstanceView(
            instance.id, instance.process_id, name, number, instance.status,
            instance.title, instance.year, instance.unit_code, list(instance.current_steps or []),
            instance.started_by, instance.started_at, instance.updated_at, instance.completed_at,
            instance.error_element, instance.error_message, instance.next_timer_due,
            dict(instance.business or {}), [(key, title, at) for key, title, at in milestones],
            [event_view(e, forms.get(e.bpmn_id) if e.bpmn_id else None, viewer) for e in events])

    def workflow_history(self, actor: str, instance_id: int) -> list[FinishedStep]:
        """Every step the instance's workflow finished, archived parts included, in time order.

        Administrators only: it shows the engine's bookkeeping (scripts, gateways, timers), not
        the data, and reads the archive that no page reads.

        :raises NotFound, NotAllowed:
        """
        with self.db.read() as session:
            user = self.actor_in(session, actor)
            require_role(user, "admin")
            instance = visible_instance(session, user, instance_id)
            archived = session.execute(select(InstanceArchive.process, InstanceArchive.content)
                                       .where(InstanceArchive.instance_id == instance_id,
                                              InstanceArchive.kind != MIGRATION_ARCHIVE)
                                       .order_by(InstanceArchive.id)).all()
            run = self.runs.load(session, instance)
            return finished_steps(run.model, run.workflow, [(process, content) for process, content in archived])

    def _admin_change(self, actor: str, instance_id: int, allowed: tuple[str, ...], kind: str,
                      reason: str | None, action: Any, data: Any = None) -> str:
        reason = required_reason(reason)
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            require_role(user, *REPAIRERS)
            instance = lock_instance(session, instance_id)
            if instance.status not in allowed:
                raise InvalidState(status=instance.status)
            run = self.runs.load(session, instance)
            change = Change(user.username)
            since = time.time()
            status = action(run)
            change.add(kind, reason=reason, data=data)
            self.runs.save(session, instance, run, change, status=status, since=since)
            return instance.status

    def suspend(self, actor: str, instance_id: int, reason: str | None = None) -> str:
        """Stop timers and task completion until resumed. :raises InvalidState, NotAllowed."""
        return self._admin_change(actor, instance_id, ("waiting", "error"), "suspended", reason,
                                  lambda run: "suspended")

    def resume(self, actor: str, instance_id: int, reason: str | None = None) -> str:
        """Resume a suspended instance, firing any timer that fell due meanwhile."""
        def action(run: ProcessRun) -> str | None:
            run.advance()
            return None
        return self._admin_change(actor, instance_id, ("suspended",), "resumed", reason, action)

    def terminate(self, actor: str, instance_id: int, reason: str | None = None) -> str:
        """End an instance for good; its open tasks are cancelled."""
        def action(run: ProcessRun) -> str | None:
            run.terminate()
            return "terminated"
        return self._admin_change(actor, instance_id, ("waiting", "error", "suspended", "running"),
                                  "terminated", reason, action)

    def retry(self, actor: str, instance_id: int, corrections: dict[str, Any] | None = None,
              reason: str | None = None) -> str:
        """Re-run the failed step of an instance in error after correcting its data."""
        if corrections is not None and not isinstance(corrections, dict):
            raise InvalidState("Corrections must be a JSON object.", status="")

        def action(run: ProcessRun) -> str | None:
            run.retry(corrections or {})
            return None
        return self._admin_change(actor, instance_id, ("error",), "retried", reason, action, data=corrections)
