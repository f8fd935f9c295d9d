"""The supervision page's queries (督查督办): urged steps still open, units that have not applied."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.persistence.models import HumanTask
from engine.persistence.models import Milestone
from engine.persistence.models import Notification
from engine.persistence.models import ProcessInstance
from engine.persistence.models import Unit
from engine.persistence.models import User
from engine.persistence.models import UserRole
from engine.persistence.queries.scope import CITY_WIDE
from engine.persistence.queries.scope import ProjectScope
from engine.persistence.queries.scope import under


class UrgedStep(NamedTuple):
    """An open step someone urged, with the notice that urged it."""

    instance_id: int
    title: str
    task_id: int
    step: str
    holder: str | None
    role: str | None
    scope_unit: str | None
    reminded_at: datetime
    reminded_by: str
    message: str
    escalated_at: datetime | None


def urged_open_steps(session: Session, scope: ProjectScope, notice_kinds: Collection[str]) -> list[UrgedStep]:
    """Every notice of ``notice_kinds`` about a still open step of a project in scope, oldest first."""
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.title, HumanTask.id, HumanTask.name, HumanTask.holder,
               HumanTask.role, HumanTask.scope_unit, Notification.created_at, Notification.sender,
               Notification.message, HumanTask.escalated_at)
        .join(HumanTask, HumanTask.id == Notification.human_task_id)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(scope.clause(), Notification.kind.in_(tuple(notice_kinds)), HumanTask.status == "open")
        .order_by(Notification.created_at, Notification.id))
    return [UrgedStep(*row) for row in rows]


def units_not_applied(session: Session, path: str | None, year: int | None, kind: str,
                      unit_kind: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of the units under ``path`` (the city when None; of ``unit_kind`` if given) with
    an active applicant and no submitted project of ``kind`` in ``year``: a draft never submitted and
    a withdrawn application do not count as applied."""
    applied = select(ProcessInstance.unit_code).join(
        Milestone, and_(Milestone.instance_id == ProcessInstance.id, Milestone.key == "submitted")).where(
        ProcessInstance.year == year, ProcessInstance.parent_id.is_(None), ProcessInstance.kind == kind,
        ProcessInstance.status != "withdrawn", ProcessInstance.unit_code.is_not(None))
    with_applicants = select(User.unit_code).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == "applicant", User.active.is_(True))
    unit_scope = CITY_WIDE if path is None else under(Unit.path, path)
    query = select(Unit.code, Unit.name).where(Unit.code.in_(with_applicants), Unit.code.notin_(applied), unit_scope)
    if unit_kind is not None:
        query = query.where(Unit.kind == unit_kind)
    return [(code, name) for code, name in session.execute(query.order_by(Unit.path))]
