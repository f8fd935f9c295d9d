"""Deadline supervision the worker runs: reminders before a task falls due (临期提醒), a formal
notice the day it is overdue (催办), and escalation to the unit's leaders and the supervisors when
it is still open some working days later (督办). Each happens once per task and is audited."""

from __future__ import annotations

import logging
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.clock import BUSINESS_TZ
from engine.persistence import queries
from engine.persistence.models import HumanTask
from engine.persistence.models import ProcessInstance
from engine.persistence.models import ReferenceData
from engine.roles import CITY_WIDE_ROLES
from engine.service.actors import SYSTEM
from engine.service.base import Core
from engine.service.base import Service
from engine.service.jobs import JobService
from engine.service.jobs import queue_notice
from engine.service.plans import reminder_numbers
from engine.service.runs import Change
from engine.workdays import add_workdays

log = logging.getLogger(__name__)


def task_recipients(session: Session, task: HumanTask) -> list[str]:
    """Who should hear about a task: the one who holds it, else everyone who may take it."""
    if task.holder:
        return [task.holder]
    if task.role is None:
        return []
    return queries.holders_in_scope(session, task.role, task.scope_path, task.role in CITY_WIDE_ROLES)


def escalation_recipients(session: Session, task: HumanTask) -> list[str]:
    """The leaders of the task's unit (and the units above it) and every supervisor."""
    leaders = queries.holders_in_scope(session, "unit_leader", task.scope_path, False) if task.scope_path else []
    return sorted(set(leaders) | set(queries.holders_in_scope(session, "supervisor", None, True)))


def escalation_due(task: HumanTask, workdays: int) -> datetime:
    """When an overdue task is escalated: ``workdays`` official working days after its due day."""
    due_day = task.due_at.astimezone(BUSINESS_TZ).date()
    return datetime.combine(add_workdays(due_day, workdays), task.due_at.astimezone(BUSINESS_TZ).timetz())


class DeadlineService(Service):
    def __init__(self, core: Core, jobs: JobService) -> None:
        super().__init__(core)
        self.jobs = jobs

    def process_deadlines(self) -> int:
        """Send every reminder, overdue notice and escalation that is due now; returns how many.

        Each task is handled in a transaction of its own, locked so that two workers never send
        the same notice twice; a task that fails is logged and the others still get theirs. The
        notices go to the outbox in that transaction and are delivered right after.
        """
        now = clock.now()
        with self.db.read() as session:
            plans = {int(row.key[5:]): row.value for row in session.scalars(
                select(ReferenceData).where(ReferenceData.key.like("year:%"))) if row.key[5:].isdigit()}
            numbers = {year: self._numbers(plan) for year, plan in plans.items()}
            widest = max([self.settings.remind_days_before, *(n[0] for n in numbers.values())])
            candidates = queries.deadline_candidates(session, now + timedelta(days=widest), now)
        sent = 0
        for task_id in candidates:
            try:
                with self.db.write() as session:
                    task = queries.lock_open_task(session, task_id)
                    if task is not None:
                        year = session.scalar(select(ProcessInstance.year)
                                              .where(ProcessInstance.id == task.instance_id))
                        sent += self._supervise(session, task, now, numbers.get(year, self._numbers(None)))
            except Exception:
                log.exception("deadline notices of task %s failed", task_id)
        if sent:
            log.info("sent %s deadline notification(s)", sent)
            self.jobs.deliver_outbox()
        return sent

    def _numbers(self, plan: dict[str, Any] | None) -> tuple[int, int]:
        """The reminder and escalation numbers of a year plan (the settings' when it has none)."""
        return reminder_numbers(plan, self.settings.remind_days_before, self.settings.escalate_workdays_after)

    def _supervise(self, session: Session, task: HumanTask, now: datetime, numbers: tuple[int, int]) -> int:
        """Send what one task is due for now: 临期提醒, 催办 or 督办 (each once); ``numbers`` are the
        days of the 临期提醒 before the due date and the working days of the 督办 after it."""
        remind_days, escalate_workdays = numbers
        if task.due_at > now:
            if task.reminded_at is None and task.due_at <= now + timedelta(days=remind_days):
                task.reminded_at = now
                return self._notify(session, task, "due_soon", task_recipients(session, task), now)
            return 0
        if task.overdue_noticed_at is None:
            task.overdue_noticed_at, task.ever_overdue = now, True
            if task.reminded_at is None:
                task.reminded_at = now
            return self._notify(session, task, "overdue", task_recipients(session, task), now)
        if task.escalated_at is None and escalation_due(task, escalate_workdays) <= now:
            task.escalated_at = now
            return self._notify(session, task, "escalated", escalation_recipients(session, task), now)
        return 0

    @staticmethod
    def _notify(session: Session, task: HumanTask, kind: str, recipients: list[str], now: datetime) -> int:
        for username in sorted(set(recipients)):
            queue_notice(session, f"{kind}:task:{task.id}:{username}", username=username, kind=kind,
                         instance_id=task.instance_id, human_task_id=task.id, created_at=now)
        if kind != "due_soon":
            change = Change(SYSTEM)
            change.add(kind, task=task, reason=", ".join(recipients) or None)
            change.write(session, task.instance_id)
        return len(recipients)
