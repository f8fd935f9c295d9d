"""Read queries over the projections. Every function takes the session and never commits."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased
from sqlalchemy.orm import joinedload

from engine.persistence.models import ApiToken
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


# The inbox statements are built once with bound parameters (see viewer_params): building a
# SQLAlchemy statement costs more than running it on an indexed table.
_OPEN = HumanTask.status == "open"
_MINE = HumanTask.holder == bindparam("viewer")
# Open tasks nobody holds, for a role the viewer holds, in the viewer's scope (or city-wide).
_CLAIMABLE = and_(HumanTask.holder.is_(None), HumanTask.role.in_(bindparam("roles", expanding=True)),
                  or_(HumanTask.role.in_(bindparam("wide_roles", expanding=True)),
                      HumanTask.scope_path.like(bindparam("scope_prefix"), escape="\\")))
TAB_CONDITIONS = {
    "mine": and_(_OPEN, _MINE),
    "claimable": and_(_OPEN, _CLAIMABLE),
    "done": and_(HumanTask.completed_by == bindparam("viewer"), HumanTask.status == "completed"),
}
# The columns of engine.service.tasks.TaskRow, in its order (a list never reads the state).
TASK_ROW_COLUMNS = (HumanTask.id, HumanTask.name, HumanTask.bpmn_id, HumanTask.instance_id,
                    ProcessInstance.process_id, ProcessInstance.title, ProcessInstance.unit_code, HumanTask.role,
                    HumanTask.assignee, HumanTask.claimed_by, HumanTask.status, HumanTask.created_at,
                    HumanTask.due_at, HumanTask.completed_at, HumanTask.completed_by, HumanTask.ever_overdue,
                    HumanTask.return_note)
_ORDERS: dict[str, Callable[[Any], tuple]] = {
    "due": lambda t: (t.due_at.is_(None), t.due_at, t.id),
    "created": lambda t: (t.created_at.desc(), t.id.desc()),
    "completed": lambda t: (t.completed_at.desc(), t.id.desc()),
}


def _page_ids(tab: str, order: str) -> Any:
    """The ids of one page of a tab, chosen from the tab's index (the table is read for these rows only)."""
    return (select(HumanTask.id).where(TAB_CONDITIONS[tab]).order_by(*_ORDERS[order](HumanTask))
            .limit(bindparam("limit")).offset(bindparam("offset")))


_JOINED = select(*TASK_ROW_COLUMNS).join(ProcessInstance, HumanTask.instance_id == ProcessInstance.id)
_PAGES = {(tab, order): _JOINED.where(HumanTask.id.in_(_page_ids(tab, order))).order_by(*_ORDERS[order](HumanTask))
          for tab in TAB_CONDITIONS for order in _ORDERS}
_COUNTS = {tab: select(func.count()).select_from(HumanTask).where(condition)
           for tab, condition in TAB_CONDITIONS.items()}
_FIRST_ACTIONABLE = (select(HumanTask.id)
                     .where(HumanTask.instance_id == bindparam("instance_id"), _OPEN, or_(_MINE, _CLAIMABLE))
                     .order_by(case((_MINE, 0), else_=1), HumanTask.id).limit(1))


def like_prefix(path: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching every text that starts with ``path``."""
    return path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def viewer_params(viewer: Viewer) -> dict[str, object]:
    """The bound parameters of the inbox statements for ``viewer``."""
    return {"viewer": viewer.username, "roles": sorted(viewer.roles),
            "wide_roles": sorted(viewer.roles & viewer.city_wide_roles), "scope_prefix": like_prefix(viewer.unit_path)}


def inbox_page(session: Session, viewer: Viewer, tab: str, order: str, search: str, limit: int,
               offset: int) -> list:
    """One page of a tab's task rows (``TASK_ROW_COLUMNS``); ``order`` is 'due', 'created' or 'completed'."""
    params = {**viewer_params(viewer), "limit": limit, "offset": offset}
    if search:  # rare: built for the request, filtering the joined rows before the page is cut
        statement = _JOINED.where(TAB_CONDITIONS[tab], search_clause(search)).order_by(*_ORDERS[order](HumanTask)) \
            .limit(bindparam("limit")).offset(bindparam("offset"))
    else:
        statement = _PAGES[(tab, order)]
    return list(session.connection().execute(statement, params))


def inbox_count(session: Session, viewer: Viewer, tab: str, search: str = "") -> int:
    """How many tasks a tab holds; the instance table is joined only to search titles."""
    statement = _COUNTS[tab]
    if search:
        statement = statement.join(ProcessInstance, HumanTask.instance_id == ProcessInstance.id) \
            .where(search_clause(search))
    return session.connection().execute(statement, viewer_params(viewer)).scalar() or 0


def first_actionable_task(session: Session, viewer: Viewer, instance_id: int) -> int | None:
    """The id of an open task of the instance the viewer holds, else one they may claim, else None."""
    params = {**viewer_params(viewer), "instance_id": instance_id}
    return session.connection().execute(_FIRST_ACTIONABLE, params).scalar()


def search_clause(search: str) -> ColumnElement[bool]:
    """Projects whose title, or tasks whose name, contain ``search``."""
    pattern = f"%{search}%"
    return or_(ProcessInstance.title.like(pattern), HumanTask.name.like(pattern))


_USER_BY_TOKEN = (select(User.username, ApiToken.expires_at).join(ApiToken, ApiToken.username == User.username)
                  .where(ApiToken.digest == bindparam("digest"), ApiToken.revoked_at.is_(None),
                         ApiToken.expires_at > bindparam("now"), User.active.is_(True)))


def user_by_token(session: Session, digest: str, now: datetime) -> tuple[str, datetime] | None:
    """The active user whose unrevoked, unexpired API token has this digest, and when the token
    expires; None when there is none."""
    row = session.connection().execute(_USER_BY_TOKEN, {"digest": digest, "now": now}).first()
    return (row[0], row[1]) if row is not None else None


def latest_version(session: Session, process_id: str, origin: str | None = None) -> ProcessVersion | None:
    """The newest version of a process (of one origin when given)."""
    query = select(ProcessVersion).where(ProcessVersion.process_id == process_id)
    if origin is not None:
        query = query.where(ProcessVersion.origin == origin)
    return session.scalars(query.order_by(ProcessVersion.version.desc()).limit(1)).first()


def current_version(session: Session, process_id: str) -> ProcessVersion | None:
    """The version new projects of a process start on: the one marked current, else the newest."""
    found = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                         ProcessVersion.current.is_(True)).limit(1)).first()
    return found or latest_version(session, process_id)


def make_current(session: Session, version: ProcessVersion) -> None:
    """Mark ``version`` the current one of its process (and no other)."""
    session.execute(update(ProcessVersion).where(ProcessVersion.process_id == version.process_id,
                                                 ProcessVersion.id != version.id).values(current=False))
    version.current = True


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
                         ignore_statuses: Collection[str] = ("terminated", "withdrawn"),
                         unless_milestone: str = "rejected", below: bool = False) -> int:
    """Instances of ``kind`` for a unit (with ``below``, or a unit below it) and year that reached
    ``milestone`` (quotas count these); withdrawn and ended ones, and those that reached
    ``unless_milestone``, do not count."""
    ended = aliased(Milestone)
    rejected = (select(ended.id).where(ended.instance_id == ProcessInstance.id, ended.key == unless_milestone)
                .correlate(ProcessInstance).exists())
    query = (select(func.count(func.distinct(ProcessInstance.id)))
             .join(Milestone, Milestone.instance_id == ProcessInstance.id)
             .where(Milestone.key == milestone, ProcessInstance.status.not_in(tuple(ignore_statuses)), ~rejected))
    unit = session.get(Unit, unit_code) if below else None
    if unit is not None:
        query = query.join(Unit, Unit.code == ProcessInstance.unit_code).where(
            Unit.path.like(like_prefix(unit.path), escape="\\"))
    else:
        query = query.where(ProcessInstance.unit_code == unit_code)
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
