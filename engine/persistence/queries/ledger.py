"""The ledger's queries (项目台账, its facets, the project page, the dossier, 卡点分析): read from the
projections only (instances, their task rows, the process versions), never a workflow state."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from typing import NamedTuple
from typing import Protocol

from sqlalchemy import and_
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.persistence.models import OPEN_STATUSES
from engine.persistence.models import HumanTask
from engine.persistence.models import InstanceEvent
from engine.persistence.models import ProcessInstance
from engine.persistence.models import ProcessVersion
from engine.persistence.models import Unit
from engine.persistence.queries.scope import ProjectScope
from engine.persistence.queries.scope import like_prefix
from engine.persistence.queries.scope import under


class LedgerFilters(Protocol):
    """The filters of the ledger, the matrix and 卡点分析, and the page asked for (the service's
    ``LedgerQuery``)."""

    @property
    def year(self) -> int | None: ...
    @property
    def sector(self) -> str: ...
    @property
    def catalogue(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def step(self) -> str: ...
    @property
    def overdue(self) -> bool: ...
    @property
    def state(self) -> str: ...
    @property
    def search(self) -> str: ...
    @property
    def page(self) -> int: ...


# Projects a page of the ledger or the matrix shows.
PAGE_SIZE = 50
OPEN_TASK = and_(HumanTask.instance_id == ProcessInstance.id, HumanTask.status == "open")
_WAITING = select(func.min(HumanTask.created_at)).where(OPEN_TASK).correlate(ProcessInstance).scalar_subquery()
_DUE = select(func.min(HumanTask.due_at)).where(OPEN_TASK).correlate(ProcessInstance).scalar_subquery()
_STEP = select(func.min(HumanTask.name)).where(OPEN_TASK).correlate(ProcessInstance).scalar_subquery()
_HOLDER = select(func.min(func.coalesce(HumanTask.holder, HumanTask.role))).where(OPEN_TASK) \
    .correlate(ProcessInstance).scalar_subquery()
_EVER_LATE = exists().where(HumanTask.instance_id == ProcessInstance.id, HumanTask.ever_overdue.is_(True))
# The ledger's sort keys and what each sorts by.
ORDERS: dict[str, Any] = {
    "title": ProcessInstance.title, "unit": ProcessInstance.unit_code, "sector": ProcessInstance.sector,
    "kind": ProcessInstance.process_id, "started": ProcessInstance.started_at, "waiting": _WAITING, "due": _DUE,
    "status": ProcessInstance.status, "step": _STEP, "holder": _HOLDER,
    "late": _DUE,  # days overdue: the earliest due date, the other way round
}


def open_task_where(condition: Any) -> Any:
    """The project has an open task meeting ``condition`` (correlated to the project only, so that it
    also holds inside a query that reads tasks itself)."""
    return select(HumanTask.id).where(OPEN_TASK, condition).correlate(ProcessInstance).exists()


def _state_clause(state: str) -> Any:
    """Projects in ``state`` (open, closed, error; anything else: every state)."""
    if state == "open":
        return ProcessInstance.status.in_(OPEN_STATUSES)
    if state == "closed":
        return ProcessInstance.status.notin_(OPEN_STATUSES)
    if state == "error":
        return ProcessInstance.status == "error"
    return None


def filter_clauses(session: Session, filters: LedgerFilters, now: datetime) -> list[Any]:
    """The WHERE clauses of ``filters`` (scope apart); ``now`` decides what is overdue."""
    clauses: list[Any] = [ProcessInstance.parent_id.is_(None)]
    state = _state_clause(filters.state)
    optional = [
        (state is not None, state),
        (filters.year is not None, ProcessInstance.year == filters.year),
        (bool(filters.sector), ProcessInstance.sector == filters.sector),
        (bool(filters.catalogue), ProcessInstance.business["catalogue"].as_string() == filters.catalogue),
        (bool(filters.kind), ProcessInstance.process_id == filters.kind),
    ]
    clauses.extend(clause for wanted, clause in optional if wanted)
    if filters.unit:
        path = session.scalar(select(Unit.path).where(Unit.code == filters.unit))
        clauses.append(under(ProcessInstance.unit_path, path) if path else ProcessInstance.unit_code == filters.unit)
    if filters.step:
        clauses.append(open_task_where(HumanTask.name == filters.step))
    if filters.overdue:
        clauses.append(open_task_where(HumanTask.due_at < now))
    if filters.search:
        pattern = "%" + like_prefix(filters.search)
        clauses.append(or_(ProcessInstance.title.like(pattern, escape="\\"),
                           ProcessInstance.unit_code.like(pattern, escape="\\")))
    return clauses


def count_projects(session: Session, where: list[Any]) -> int:
    """How many projects meet every clause of ``where``."""
    return session.scalar(select(func.count()).select_from(ProcessInstance).where(*where)) or 0


class LedgerRecord(NamedTuple):
    """A project as a line of the ledger shows it."""

    id: int
    title: str | None
    process_id: str
    process_name: str
    unit_code: str | None
    sector: str | None
    year: int | None
    status: str
    business: dict[str, Any] | None
    started_at: datetime
    completed_at: datetime | None
    error_message: str | None
    waiting_since: datetime | None  # its oldest open task's creation
    due_at: datetime | None  # the earliest due date of its open tasks
    ever_overdue: bool | None


def ledger_rows(session: Session, where: list[Any], sort: str, descending: bool, limit: int,
                offset: int) -> list[LedgerRecord]:
    """One page of projects meeting ``where``, sorted by the ``ORDERS`` key ``sort`` (unknown: by due
    date)."""
    order = ORDERS.get(sort, _DUE)
    order = order.desc() if descending else order.asc()
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.title, ProcessInstance.process_id, ProcessVersion.name,
               ProcessInstance.unit_code, ProcessInstance.sector, ProcessInstance.year, ProcessInstance.status,
               ProcessInstance.business, ProcessInstance.started_at, ProcessInstance.completed_at,
               ProcessInstance.error_message, _WAITING, _DUE, _EVER_LATE)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
        .where(*where).order_by(order.nulls_last(), ProcessInstance.id).limit(limit).offset(offset))
    return [LedgerRecord(*row) for row in rows]


def open_steps(session: Session, ids: list[int]) -> list[tuple[HumanTask, str | None, int]]:
    """The open tasks of the projects ``ids`` in the order they opened, each with its project's unit
    path and process version id."""
    if not ids:
        return []
    rows = session.execute(select(HumanTask, ProcessInstance.unit_path, ProcessInstance.version_id)
                           .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                           .where(HumanTask.instance_id.in_(ids), HumanTask.status == "open")
                           .order_by(HumanTask.created_at, HumanTask.id))
    return [(task, path, version_id) for task, path, version_id in rows]


def state_counts(session: Session, scope: ProjectScope, now: datetime) -> dict[str, int]:
    """Projects in scope that are open, open and overdue, in error, closed."""
    root = [scope.clause(), ProcessInstance.parent_id.is_(None)]
    opened = ProcessInstance.status.in_(OPEN_STATUSES)
    late = open_task_where(HumanTask.due_at < now)
    return {"open": count_projects(session, [*root, opened]),
            "overdue": count_projects(session, [*root, opened, late]),
            "error": count_projects(session, [*root, ProcessInstance.status == "error"]),
            "closed": count_projects(session, [*root, ~opened])}


def step_names(session: Session, scope: ProjectScope) -> list[str]:
    """The names of the steps projects in scope wait at."""
    query = select(HumanTask.name).where(HumanTask.status == "open")
    if not scope.city_wide:  # a county's: only the steps its projects wait at
        query = query.join(ProcessInstance, OPEN_TASK).where(scope.clause())
    return list(session.scalars(query.distinct().order_by(HumanTask.name)))


def startable_kinds(session: Session) -> list[tuple[str, str]]:
    """(process id, name of its newest version) of the startable processes, by name."""
    names: dict[str, str] = {}
    for process_id, name in session.execute(select(ProcessVersion.process_id, ProcessVersion.name)
                                            .where(ProcessVersion.startable.is_(True))
                                            .order_by(ProcessVersion.version)):
        names[process_id] = name
    return sorted(names.items(), key=lambda item: item[1])


def project_years(session: Session, scope: ProjectScope) -> list[int]:
    """The years of the projects in scope, newest first."""
    return list(session.scalars(select(ProcessInstance.year)
                                .where(scope.clause(), ProcessInstance.year.is_not(None))
                                .distinct().order_by(ProcessInstance.year.desc())))


def project_units(session: Session, scope: ProjectScope) -> list[tuple[str, str]]:
    """(code, name) of the units with projects in scope, in tree order."""
    codes = select(ProcessInstance.unit_code).where(scope.clause()).distinct()
    return [(code, name) for code, name in session.execute(select(Unit.code, Unit.name)
                                                           .where(Unit.code.in_(codes)).order_by(Unit.path))]


def project(session: Session, instance_id: int) -> ProcessInstance:
    """The project ``instance_id``, which the caller found already.

    :raises LookupError: when there is none.
    """
    found = session.get(ProcessInstance, instance_id)
    if found is None:
        raise LookupError(f"no project {instance_id}")
    return found


def responsible(session: Session, instance_id: int) -> str | None:
    """The project's responsible person."""
    return session.scalar(select(ProcessInstance.responsible).where(ProcessInstance.id == instance_id))


def tasks_by_id(session: Session, ids: list[int]) -> list[HumanTask]:
    """The task rows ``ids``."""
    return list(session.scalars(select(HumanTask).where(HumanTask.id.in_(ids))))


def completed_steps(session: Session, instance_id: int) -> list[InstanceEvent]:
    """The project's ``task_completed`` events (with the submitted data) in the order they happened."""
    return list(session.scalars(select(InstanceEvent).where(
        InstanceEvent.instance_id == instance_id, InstanceEvent.kind == "task_completed")
        .order_by(InstanceEvent.at, InstanceEvent.id)))


def waiting_tasks(session: Session, where: list[Any]) -> list[tuple[str, str | None, int, datetime, datetime | None]]:
    """(step name, unit code, project id, open since, due) of each open task of the projects meeting
    ``where`` (for 卡点分析)."""
    rows = session.execute(select(HumanTask.name, ProcessInstance.unit_code, HumanTask.instance_id,
                                  HumanTask.created_at, HumanTask.due_at)
                           .join(ProcessInstance, OPEN_TASK).where(*where))
    return [(name, unit, instance_id, since, due) for name, unit, instance_id, since, due in rows]
