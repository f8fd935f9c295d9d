"""The inbox's queries: a tab's page of task rows, its count, the task a project page opens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.persistence.models import HumanTask
from engine.persistence.models import ProcessInstance
from engine.persistence.queries.scope import like_prefix


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
_ORDERS: dict[str, Callable[[Any], tuple[Any, ...]]] = {
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


def viewer_params(viewer: Viewer) -> dict[str, object]:
    """The bound parameters of the inbox statements for ``viewer``."""
    return {"viewer": viewer.username, "roles": sorted(viewer.roles),
            "wide_roles": sorted(viewer.roles & viewer.city_wide_roles), "scope_prefix": like_prefix(viewer.unit_path)}


def inbox_page(session: Session, viewer: Viewer, tab: str, order: str, search: str, limit: int,
               offset: int) -> list[Any]:
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
    """Tasks whose project title or step name contains ``search``."""
    pattern = f"%{search}%"
    return or_(ProcessInstance.title.like(pattern), HumanTask.name.like(pattern))


