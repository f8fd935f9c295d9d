"""The reminders' queries: tasks that may be due a reminder, notice or escalation, and the
notices already sent about a project."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.persistence.models import HumanTask
from engine.persistence.models import InstanceEvent
from engine.persistence.models import ProcessInstance


def deadline_candidates(session: Session, soon: datetime, now: datetime) -> list[int]:
    """Ids of open tasks due before ``soon`` that may still need a reminder, notice or escalation."""
    pending = or_(HumanTask.reminded_at.is_(None),
                  and_(HumanTask.due_at <= now, or_(HumanTask.overdue_noticed_at.is_(None),
                                                    HumanTask.escalated_at.is_(None))))
    query = (select(HumanTask.id).where(HumanTask.status == "open", HumanTask.due_at.is_not(None),
                                        HumanTask.due_at < soon, pending)
             .order_by(HumanTask.due_at, HumanTask.id))
    return list(session.scalars(query))


def lock_open_task(session: Session, task_id: int) -> HumanTask | None:
    """The task if it is still open, locked; None when another worker holds it (it does the work)."""
    query = (select(HumanTask).where(HumanTask.id == task_id, HumanTask.status == "open")
             .with_for_update(skip_locked=True))
    return session.scalars(query).first()


def project_year(session: Session, instance_id: int) -> int | None:
    """The year of the project ``instance_id`` (whose plan sets its reminder numbers)."""
    return session.scalar(select(ProcessInstance.year).where(ProcessInstance.id == instance_id))


def event_recorded(session: Session, instance_id: int, kind: str, reason: str) -> bool:
    """Whether the project's timeline already holds an event of ``kind`` for ``reason``."""
    return session.scalar(select(InstanceEvent.id).where(
        InstanceEvent.instance_id == instance_id, InstanceEvent.kind == kind,
        InstanceEvent.reason == reason).limit(1)) is not None
