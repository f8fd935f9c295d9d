"""Read queries over the projections. Every function takes the session and never commits."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import joinedload

from engine.persistence.models import HumanTask
from engine.persistence.models import Milestone
from engine.persistence.models import ProcessInstance
from engine.persistence.models import ProcessVersion
from engine.persistence.models import Unit
from engine.persistence.models import User
from engine.persistence.models import UserRole


@dataclass(frozen=True)
class Viewer:
    """Who is looking: enough to decide task visibility in SQL."""

    username: str
    roles: frozenset[str]
    unit_path: str
    city_wide_roles: frozenset[str]


def group_clause(viewer: Viewer):  # type: ignore[no-untyped-def]
    """Unassigned tasks for a role the viewer holds, in the viewer's scope (or city-wide)."""
    roles = sorted(viewer.roles)
    if not roles:
        return false()
    wide = sorted(viewer.roles & viewer.city_wide_roles)
    in_scope = HumanTask.scope_path.startswith(viewer.unit_path, autoescape=True)
    scoped = or_(HumanTask.role.in_(wide), in_scope) if wide else in_scope
    # Written so that the (assignee, status) index does not match: see inbox_conditions.
    return and_(func.coalesce(HumanTask.assignee, "") == "", HumanTask.role.in_(roles), scoped)


def inbox_conditions(viewer: Viewer, tab: str) -> list:
    """Open tasks assigned to or claimed by the viewer ('mine'), claimable ('claimable'), or done ('done')."""
    if tab == "done":
        return [HumanTask.completed_by == viewer.username, HumanTask.status == "completed"]
    # Tasks of suspended instances are marked 'suspended', so 'open' alone means actionable.
    if tab == "claimable":
        # "Not claimed" is written so that no index matches it: the (role, status, scope) index is
        # the selective one, and SQLite without statistics would otherwise take the claimed index.
        return [HumanTask.status == "open", func.coalesce(HumanTask.claimed_by, "") == "", group_clause(viewer)]
    return [HumanTask.status == "open",
            or_(HumanTask.claimed_by == viewer.username, HumanTask.assignee == viewer.username)]


INBOX_COLUMNS = (ProcessInstance.process_id, ProcessInstance.title, ProcessInstance.unit_code)


def inbox_query(viewer: Viewer, tab: str) -> Select:
    """The task rows of a tab with the few instance columns a list shows (never the state)."""
    return (select(HumanTask, *INBOX_COLUMNS).join(ProcessInstance, HumanTask.instance_id == ProcessInstance.id)
            .where(*inbox_conditions(viewer, tab)))


def inbox_count(session: Session, viewer: Viewer, tab: str, search: str = "") -> int:
    """How many tasks a tab holds; the instance table is joined only to search titles."""
    query = select(func.count(HumanTask.id)).where(*inbox_conditions(viewer, tab))
    if search:
        query = query.join(ProcessInstance, HumanTask.instance_id == ProcessInstance.id).where(search_clause(search))
    return session.scalar(query) or 0


def search_clause(search: str):  # type: ignore[no-untyped-def]
    pattern = f"%{search}%"
    return or_(ProcessInstance.title.like(pattern), HumanTask.name.like(pattern))


def latest_version(session: Session, process_id: str) -> ProcessVersion | None:
    return session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                           .order_by(ProcessVersion.version.desc()).limit(1)).first()


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def user_with_roles(session: Session, username: str) -> User | None:
    """The user, their unit and roles in one query."""
    query = select(User).options(joinedload(User.roles)).where(User.username == username)
    return session.scalars(query).unique().first()


def unit_path(session: Session, code: str | None) -> str | None:
    if not code:
        return None
    return session.scalar(select(Unit.path).where(Unit.code == code))


def count_with_milestone(session: Session, *, kind: str | None, unit_code: str, year: int | None,
                         milestone: str, exclude_instance: int | None,
                         ignore_statuses: Collection[str] = ("terminated",)) -> int:
    """Instances of ``kind`` for a unit and year that reached ``milestone`` (quotas count these)."""
    query = (select(func.count(func.distinct(ProcessInstance.id)))
             .join(Milestone, Milestone.instance_id == ProcessInstance.id)
             .where(ProcessInstance.unit_code == unit_code, Milestone.key == milestone,
                    ProcessInstance.status.not_in(tuple(ignore_statuses))))
    if kind is not None:
        query = query.where(ProcessInstance.kind == kind)
    if year is not None:
        query = query.where(ProcessInstance.year == year)
    if exclude_instance is not None:
        query = query.where(ProcessInstance.id != exclude_instance)
    return session.scalar(query) or 0


def holders_in_scope(session: Session, role: str, scope_path: str | None, city_wide: bool) -> list[str]:
    """User names holding ``role`` whose unit contains ``scope_path`` (every holder when city-wide)."""
    query = select(User.username).join(UserRole, UserRole.user_id == User.id).join(Unit, Unit.code == User.unit_code)
    query = query.where(UserRole.role == role, User.active.is_(True))
    names = []
    for username, path in session.execute(query.add_columns(Unit.path)).all():
        if city_wide or (scope_path is not None and scope_path.startswith(path)):
            names.append(username)
    return sorted(set(names))


def open_tasks_due_before(session: Session, moment: datetime) -> list[HumanTask]:
    """Open tasks whose due time is before ``moment``, locked; rows another worker holds are skipped,
    so two workers never send the same reminder twice."""
    query = (select(HumanTask).where(HumanTask.status == "open", HumanTask.due_at.is_not(None),
                                     HumanTask.due_at < moment)
             .order_by(HumanTask.due_at).with_for_update(skip_locked=True))
    return list(session.scalars(query))
