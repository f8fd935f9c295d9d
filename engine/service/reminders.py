"""Reminders, in one place: the notices that urge a step's holders and who receives each.

- 临期提醒 (``due_soon``): some days before a task falls due, to its holders;
- 催办 (``overdue``): the day it is overdue, to its holders;
- 督办 (``escalated``): still open some working days later, to the unit's leaders and the supervisors;
- 人工催办 (``reminder``): a supervisor urges a step's holders by hand (audited as ``reminded``);
- 质量节点滞后催办 (``node_overdue``): a quality node of the approved matrix past its planned date
  without a report marking it done, to the project's responsible person.

The worker sends the automatic ones once per task (or node), each audited on the timeline; the
numbers of days come from the year plan, else from the settings.
"""

from __future__ import annotations

import logging
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from engine import clock
from engine.clock import BUSINESS_TZ
from engine.errors import InvalidInput
from engine.errors import InvalidState
from engine.errors import NotFound
from engine.persistence.models import HumanTask
from engine.persistence.models import Notification
from engine.persistence.queries import matrix as matrix_queries
from engine.persistence.queries import org
from engine.persistence.queries import plans
from engine.persistence.queries import reminders as queries
from engine.roles import CITY_WIDE_ROLES
from engine.service.actors import SYSTEM
from engine.service.actors import require_role
from engine.service.base import Core
from engine.service.base import Service
from engine.service.jobs import JobService
from engine.service.jobs import queue_notice
from engine.service.matrix import late_quality_nodes
from engine.service.runs import Change
from engine.workdays import add_workdays

log = logging.getLogger(__name__)

DUE_SOON, OVERDUE, ESCALATED, REMINDER, NODE_OVERDUE = "due_soon", "overdue", "escalated", "reminder", "node_overdue"
REMINDED = "reminded"  # the timeline event of a 人工催办
# The notices that tell their reader to act on a task (an escalation tells others).
URGING_TO_ACT = (DUE_SOON, OVERDUE, REMINDER)
# The notices that urge a step's holders: 人工催办 and the formal overdue notice (催办).
URGING_NOTICES = (REMINDER, OVERDUE)
# Timeline events of reminders: their reason or data name the people urged.
REMINDER_EVENTS = frozenset({DUE_SOON, OVERDUE, ESCALATED, REMINDED})
MAX_MESSAGE = 2000
# Who urges by hand.
URGERS = ("supervisor", "city_org")


def notice_key(kind: str, task_id: int, username: str) -> str:
    """The idempotency key of an automatic notice of ``kind`` about a task to one person."""
    return f"{kind}:task:{task_id}:{username}"


def node_notice_key(instance_id: int, node: str, username: str) -> str:
    """The idempotency key of a 质量节点滞后催办 to one person."""
    return f"{NODE_OVERDUE}:{instance_id}:{node}:{username}"


def reminder_numbers(plan: dict[str, Any] | None, remind_days: int, escalate_workdays: int) -> tuple[int, int]:
    """(days before a due date for the 临期提醒, working days after a 催办 for the 督办) of a year
    plan, else the given defaults."""
    reminders = (plan or {}).get("reminders") or {}
    return (int(reminders.get("remind_days_before", remind_days)),
            int(reminders.get("escalate_workdays_after", escalate_workdays)))


def task_recipients(session: Session, task: HumanTask) -> list[str]:
    """Who should hear about a task (临期提醒, 催办, 人工催办): the one who holds it, else everyone who
    may take it."""
    if task.holder:
        return [task.holder]
    if task.role is None:
        return []
    return org.holders_in_scope(session, task.role, task.scope_path, task.role in CITY_WIDE_ROLES)


def escalation_recipients(session: Session, task: HumanTask) -> list[str]:
    """Who hears of a 督办: the leaders of the task's unit (and the units above it) and every supervisor."""
    leaders = org.holders_in_scope(session, "unit_leader", task.scope_path, False) if task.scope_path else []
    return sorted(set(leaders) | set(org.holders_in_scope(session, "supervisor", None, True)))


def escalation_due(task: HumanTask, workdays: int) -> datetime:
    """When an overdue task is escalated: ``workdays`` official working days after its due day."""
    assert task.due_at is not None  # only tasks with a due date fall overdue
    due_day = task.due_at.astimezone(BUSINESS_TZ).date()
    return datetime.combine(add_workdays(due_day, workdays), task.due_at.astimezone(BUSINESS_TZ).timetz())


def still_urged(reminded_at: datetime, escalated_at: datetime | None, workdays: int, today: date) -> bool:
    """Whether an urged step, still open, is listed for 督查督办: the system escalated it, or
    ``workdays`` working days passed since it was urged."""
    return escalated_at is not None or add_workdays(reminded_at.astimezone(BUSINESS_TZ).date(), workdays) <= today


class ReminderService(Service):
    def __init__(self, core: Core, jobs: JobService) -> None:
        super().__init__(core)
        self.jobs = jobs
        # (day, newest event id) at the last scan for late quality nodes: nothing new, no scan.
        self._late_nodes_checked: tuple[date, int | None] | None = None

    def numbers(self, plan: dict[str, Any] | None) -> tuple[int, int]:
        """The reminder and escalation numbers of a year plan (the settings' when it has none)."""
        return reminder_numbers(plan, self.settings.remind_days_before, self.settings.escalate_workdays_after)

    def process_deadlines(self) -> int:
        """Send every reminder, overdue notice and escalation that is due now; returns how many.

        Each task is handled in a transaction of its own, locked so that two workers never send
        the same notice twice; a task that fails is logged and the others still get theirs. The
        notices go to the outbox in that transaction and are delivered right after.
        """
        now = clock.now()
        with self.db.read() as session:
            numbers = {year: self.numbers(plan) for year, plan in plans.year_plans(session).items()}
            widest = max([self.settings.remind_days_before, *(n[0] for n in numbers.values())])
            candidates = queries.deadline_candidates(session, now + timedelta(days=widest), now)
        default, sent = self.numbers(None), 0
        for task_id in candidates:
            try:
                with self.db.write() as session:
                    task = queries.lock_open_task(session, task_id)
                    if task is not None:
                        year = queries.project_year(session, task.instance_id)
                        plan_numbers = numbers.get(year, default) if year is not None else default
                        sent += self._supervise(session, task, now, plan_numbers)
            except Exception:
                log.exception("deadline notices of task %s failed", task_id)
        if sent:
            log.info("sent %s deadline notification(s)", sent)
            self.jobs.deliver_outbox()
        return sent

    def _supervise(self, session: Session, task: HumanTask, now: datetime, numbers: tuple[int, int]) -> int:
        """Send what one task is due for now: 临期提醒, 催办 or 督办 (each once); ``numbers`` are the
        days of the 临期提醒 before the due date and the working days of the 督办 after it."""
        remind_days, escalate_workdays = numbers
        assert task.due_at is not None  # deadline_candidates selects tasks with a due date
        if task.due_at > now:
            if task.reminded_at is None and task.due_at <= now + timedelta(days=remind_days):
                task.reminded_at = now
                return self._notify(session, task, DUE_SOON, task_recipients(session, task), now)
            return 0
        if task.overdue_noticed_at is None:
            task.overdue_noticed_at, task.ever_overdue = now, True
            if task.reminded_at is None:
                task.reminded_at = now
            return self._notify(session, task, OVERDUE, task_recipients(session, task), now)
        if task.escalated_at is None and escalation_due(task, escalate_workdays) <= now:
            task.escalated_at = now
            return self._notify(session, task, ESCALATED, escalation_recipients(session, task), now)
        return 0

    @staticmethod
    def _notify(session: Session, task: HumanTask, kind: str, recipients: list[str], now: datetime) -> int:
        for username in sorted(set(recipients)):
            queue_notice(session, notice_key(kind, task.id, username), username=username, kind=kind,
                         instance_id=task.instance_id, human_task_id=task.id, created_at=now)
        if kind != DUE_SOON:  # a 临期提醒 is no event of the project
            change = Change(SYSTEM)
            change.add(kind, task=task, reason=", ".join(recipients) or None)
            change.write(session, task.instance_id)
        return len(recipients)

    def send_reminder(self, actor: str, task_id: int, message: str) -> int:
        """A supervisor (or the city organisation department) urges a task's holders (人工催办);
        returns how many people it reached.

        :raises InvalidInput: without a message (a reminder says what is expected).
        :raises NotAllowed: for other roles. :raises NotFound, InvalidState: for an unknown or closed task.
        """
        message = (message or "").strip()[:MAX_MESSAGE]
        if not message:
            raise InvalidInput("Write what the reminder asks for.")
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            require_role(user, *URGERS)
            task = session.get(HumanTask, task_id)
            if task is None:
                raise NotFound(what="Task", key=task_id)
            if task.status != "open":
                raise InvalidState(status=task.status)
            recipients = task_recipients(session, task)
            now = clock.now()
            for username in recipients:
                session.add(Notification(username=username, kind=REMINDER, instance_id=task.instance_id,
                                         human_task_id=task.id, message=message, sender=user.username, created_at=now))
            change = Change(user.username)
            change.add(REMINDED, task=task, reason=message, data={"to": recipients})
            change.write(session, task.instance_id)
            return len(recipients)

    def notify_late_quality_nodes(self) -> int:
        """催办 for every quality node of an open project that has passed its planned date without a
        quarterly report marking it done: once per node, to the project's responsible person, on
        the timeline. Returns how many were sent.

        The worker calls this every pass: the scan reads only, and is skipped while neither the day
        nor any project's events changed since the last one; a write transaction is opened only for
        notices to send (and checks again there that no other worker sent them meanwhile).
        """
        today = clock.now().astimezone(BUSINESS_TZ).date()
        with self.db.read() as session:
            mark = (today, matrix_queries.newest_event_id(session))
            if mark == self._late_nodes_checked:
                return 0
            due = late_quality_nodes(session, self.domain.quality_steps, today)
        self._late_nodes_checked = mark
        if not due:
            return 0
        sent = 0
        with self.db.write() as session:
            now = clock.now()
            for (instance_id, node), responsible in due.items():
                if queries.event_recorded(session, instance_id, NODE_OVERDUE, node):
                    continue
                queue_notice(session, node_notice_key(instance_id, node, responsible), username=responsible,
                             kind=NODE_OVERDUE, instance_id=instance_id, message=node, created_at=now)
                change = Change(SYSTEM)
                change.add(NODE_OVERDUE, reason=node, step=node)
                change.write(session, instance_id)
                sent += 1
        if sent:
            self.jobs.deliver_outbox()
        return sent
