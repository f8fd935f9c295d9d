"""The project ledger (项目台账): every project in the viewer's scope, where it stands and who holds it.

Read from projections only (instances, their open tasks, the process versions): no page of the ledger
loads a workflow state.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from statistics import median
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.clock import BUSINESS_TZ
from engine.errors import NotAllowed
from engine.persistence.models import OPEN_STATUSES
from engine.persistence.models import HumanTask
from engine.persistence.models import InstanceEvent
from engine.persistence.models import Milestone
from engine.persistence.models import Notification
from engine.persistence.models import ProcessInstance
from engine.persistence.models import ProcessVersion
from engine.persistence.models import ReferenceData
from engine.persistence.models import Unit
from engine.persistence.models import User
from engine.persistence.models import UserRole
from engine.persistence.queries import like_prefix
from engine.service.access import may_view_task
from engine.service.access import reassign_candidates
from engine.service.actors import Actor
from engine.service.base import Core
from engine.service.base import Service
from engine.service.instances import REPAIRERS
from engine.service.instances import InstanceService
from engine.service.instances import InstanceView
from engine.service.plans import reminder_numbers
from engine.service.tasks import choices_of
from engine.service.tasks import submissions
from engine.workdays import add_workdays
from forms import confidential

if TYPE_CHECKING:  # the matrix service reads the ledger's filters
    from engine.service.matrix import MatrixService

PAGE_SIZE = 50
# The notices that urge a step's holders: 人工催办 and the formal overdue notice (催办).
URGING_NOTICES = ("reminder", "overdue")
# An export holds every matching project, up to this many (a city has hundreds).
EXPORT_LIMIT = 20_000
# Who reads the ledger: city-wide staff see every project, a county organisation department its subtree.
CITY_READERS = ("supervisor", "city_org", "admin")
LEDGER_ROLES = (*CITY_READERS, "county_org")
STATES = ("open", "closed", "error", "all")
CITY_WIDE = literal(True)
_OPEN_TASK = and_(HumanTask.instance_id == ProcessInstance.id, HumanTask.status == "open")
_WAITING = select(func.min(HumanTask.created_at)).where(_OPEN_TASK).correlate(ProcessInstance).scalar_subquery()
_DUE = select(func.min(HumanTask.due_at)).where(_OPEN_TASK).correlate(ProcessInstance).scalar_subquery()
_STEP = select(func.min(HumanTask.name)).where(_OPEN_TASK).correlate(ProcessInstance).scalar_subquery()
_HOLDER = select(func.min(func.coalesce(HumanTask.holder, HumanTask.role))).where(_OPEN_TASK) \
    .correlate(ProcessInstance).scalar_subquery()
_EVER_LATE = exists().where(HumanTask.instance_id == ProcessInstance.id, HumanTask.ever_overdue.is_(True))
SORTS: dict[str, Any] = {
    "title": ProcessInstance.title, "unit": ProcessInstance.unit_code, "sector": ProcessInstance.sector,
    "kind": ProcessInstance.process_id, "started": ProcessInstance.started_at, "waiting": _WAITING, "due": _DUE,
    "status": ProcessInstance.status, "step": _STEP, "holder": _HOLDER,
    "late": _DUE,  # days overdue: the earliest due date, the other way round
}


@dataclass(frozen=True)
class LedgerQuery:
    """The ledger's filters, sort and page, as the query string of a shareable URL carries them."""

    year: int | None = None
    sector: str = ""
    catalogue: str = ""  # a catalogue project's code, or a code of the domain's ``extra_catalogue``
    kind: str = ""  # process id
    unit: str = ""  # a unit code: that unit and every unit below it
    step: str = ""  # the name of a step a project waits at
    overdue: bool = False
    state: str = "open"  # one of STATES
    search: str = ""
    sort: str = "due"  # a key of SORTS
    descending: bool = False
    page: int = 1


@dataclass(frozen=True)
class WaitingStep:
    """One open step of a project: its name, who holds it (or the role and unit that may take it)."""

    task_id: int
    name: str
    holder: str | None
    role: str | None
    scope_unit: str | None
    since: datetime
    due_at: datetime | None
    ever_overdue: bool
    openable: bool = True  # the viewer may open the step's page (else its name is shown without a link)


@dataclass(frozen=True)
class LedgerRow:
    instance_id: int
    title: str
    process_id: str
    process_name: str
    unit_code: str | None
    sector: str | None
    year: int | None
    status: str
    stage: str
    grade: str | None
    started_at: datetime
    completed_at: datetime | None
    error_message: str | None
    steps: list[WaitingStep]
    waiting_since: datetime | None
    due_at: datetime | None
    ever_overdue: bool

    @property
    def days_overdue(self) -> int:
        """Whole days past the earliest due date of an open step (0 when none is late)."""
        if self.due_at is None or self.due_at >= clock.now():
            return 0
        return (clock.now() - self.due_at).days + 1


@dataclass(frozen=True)
class LedgerPage:
    rows: list[LedgerRow]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)  # open, overdue, error, closed in scope
    steps: list[str] = field(default_factory=list)  # step names projects wait at, for the filter
    kinds: list[tuple[str, str]] = field(default_factory=list)  # (process id, name)
    years: list[int] = field(default_factory=list)
    sectors: dict[str, str] = field(default_factory=dict)  # code → name, from the year plans
    catalogue: dict[str, str] = field(default_factory=dict)  # catalogue project code → name
    units: list[tuple[str, str]] = field(default_factory=list)  # (code, name) of units with projects in scope


@dataclass(frozen=True)
class ProjectView:
    """The project page (项目档案): the instance with its history as the viewer may read it, where it
    waits, and whether the viewer may repair it (suspend, resume, terminate, retry)."""

    instance: InstanceView
    steps: list[WaitingStep]
    responsible: str | None
    may_repair: bool
    reassign_to: dict[int, list[str]]  # open task id -> who it may be handed to (for those who repair)
    matrix: Any  # the approved sub-items and quality nodes (matrix.ProjectMatrix)


@dataclass(frozen=True)
class Dossier:
    """The project dossier (项目档案) for print and Word: the project page and every completed step's
    submission (the application, the approval with its matrix, scores, reports) as the viewer may
    read them."""

    project: ProjectView
    submissions: list[Any]  # tasks.Submission


@dataclass(frozen=True)
class Escalation:
    """A step still open ``escalate_workdays_after`` working days after someone urged it (督办)."""

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


@dataclass(frozen=True)
class Supervision:
    """督查督办: urged steps still open, and units that have not applied once the window closed."""

    escalations: list[Escalation]
    escalate_workdays: int
    year: int | None
    application_close: str | None  # ISO date of the year's application deadline
    window_closed: bool
    # process kind -> (unit code, unit name) of the units without one, for the domain's expected applications
    not_applied: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class WaitStats:
    """Projects waiting at one step (or in one unit): how many, how long, how many late."""

    key: str  # the step's name, or the unit's code
    projects: int
    overdue: int
    median_days: int
    longest_days: int


@dataclass(frozen=True)
class Bottlenecks:
    by_step: list[WaitStats]
    by_unit: list[WaitStats]


def wait_stats(groups: dict[str, list[tuple[int, datetime, datetime | None]]], now: datetime) -> list[WaitStats]:
    """Statistics of ``groups`` (key → (instance id, waiting since, due) of each open task), most
    projects first."""
    stats = []
    for key, tasks in groups.items():
        waits = [(now - since).total_seconds() / 86400 for _id, since, _due in tasks]
        late = {instance for instance, _since, due in tasks if due is not None and due < now}
        stats.append(WaitStats(key, len({instance for instance, _s, _d in tasks}), len(late),
                               int(median(waits)), int(max(waits))))  # whole days, as people count
    return sorted(stats, key=lambda s: (-s.projects, -s.longest_days, s.key))


def scope_path(actor: Actor) -> str | None:
    """The unit path whose subtree's projects ``actor`` reads in the ledger; None for the whole city.

    :raises NotAllowed: when the actor holds none of ``LEDGER_ROLES``.
    """
    if actor.has(*CITY_READERS):
        return None
    if actor.has(*LEDGER_ROLES):
        return actor.unit_path
    raise NotAllowed(action="read the project ledger", by=actor.username)


def scope_clause(actor: Actor) -> Any:
    """Projects ``actor`` may see in the ledger: for its readers their scope; for everyone else their
    own projects (我的项目): those they started or are responsible for, and, for a unit's staff, the
    unit's (the projects :func:`visible_instance` lets them open)."""
    if not actor.has(*LEDGER_ROLES):
        own = or_(ProcessInstance.started_by == actor.username, ProcessInstance.responsible == actor.username)
        if actor.city_wide:  # a panel member: not every project of the city
            return own
        return or_(own, ProcessInstance.unit_path.like(like_prefix(actor.unit_path), escape="\\"))
    path = scope_path(actor)
    return CITY_WIDE if path is None else ProcessInstance.unit_path.like(like_prefix(path), escape="\\")


def open_task_where(condition: Any) -> Any:
    """The project has an open task meeting ``condition`` (correlated to the project only, so that it
    also holds inside a query that reads tasks itself)."""
    return select(HumanTask.id).where(_OPEN_TASK, condition).correlate(ProcessInstance).exists()


def filter_clauses(session: Session, query: LedgerQuery) -> list[Any]:
    """The WHERE clauses of ``query``'s filters (scope apart)."""
    clauses: list[Any] = [ProcessInstance.parent_id.is_(None)]
    if query.state == "open":
        clauses.append(ProcessInstance.status.in_(OPEN_STATUSES))
    elif query.state == "closed":
        clauses.append(ProcessInstance.status.notin_(OPEN_STATUSES))
    elif query.state == "error":
        clauses.append(ProcessInstance.status == "error")
    if query.year is not None:
        clauses.append(ProcessInstance.year == query.year)
    if query.sector:
        clauses.append(ProcessInstance.sector == query.sector)
    if query.catalogue:
        clauses.append(ProcessInstance.business["catalogue"].as_string() == query.catalogue)
    if query.kind:
        clauses.append(ProcessInstance.process_id == query.kind)
    if query.unit:
        path = session.scalar(select(Unit.path).where(Unit.code == query.unit))
        clauses.append(ProcessInstance.unit_path.like(like_prefix(path), escape="\\") if path
                       else ProcessInstance.unit_code == query.unit)
    if query.step:
        clauses.append(open_task_where(HumanTask.name == query.step))
    if query.overdue:
        clauses.append(open_task_where(HumanTask.due_at < clock.now()))
    if query.search:
        pattern = "%" + like_prefix(query.search)
        clauses.append(or_(ProcessInstance.title.like(pattern, escape="\\"),
                           ProcessInstance.unit_code.like(pattern, escape="\\")))
    return clauses


class LedgerService(Service):
    def __init__(self, core: Core, instances: InstanceService, matrix: MatrixService) -> None:
        super().__init__(core)
        self.instances = instances
        self.matrix = matrix

    def ledger(self, actor: str, query: LedgerQuery, everything: bool = False) -> LedgerPage:
        """One page of the project ledger for ``actor`` under ``query``, with the counts of the scope;
        with ``everything``, every matching project (up to ``EXPORT_LIMIT``) as one page, for export.

        :raises NotAllowed: for users who are not supervisors, city or county organisation staff or
            administrators.
        """
        with self.db.read() as session:
            viewer = self.actor_in(session, actor)
            scope = scope_clause(viewer)
            where = [scope, *filter_clauses(session, query)]
            total = session.scalar(select(func.count()).select_from(ProcessInstance).where(*where)) or 0
            size = EXPORT_LIMIT if everything else PAGE_SIZE
            pages = max(1, -(-total // size))
            page = min(max(query.page, 1), pages) if not everything else 1
            order = SORTS.get(query.sort, _DUE)
            descending = query.descending != (query.sort == "late")
            order = order.desc() if descending else order.asc()
            statement: Select = (select(ProcessInstance.id, ProcessInstance.title, ProcessInstance.process_id,
                                        ProcessVersion.name, ProcessInstance.unit_code, ProcessInstance.sector,
                                        ProcessInstance.year, ProcessInstance.status, ProcessInstance.business,
                                        ProcessInstance.started_at, ProcessInstance.completed_at,
                                        ProcessInstance.error_message, _WAITING, _DUE, _EVER_LATE)
                                 .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
                                 .where(*where).order_by(order.nulls_last(), ProcessInstance.id)
                                 .limit(size).offset((page - 1) * size))
            found = session.execute(statement).all()
            steps = self._ledger_steps(session, [row[0] for row in found], viewer)
            rows = [LedgerRow(instance_id=r[0], title=r[1] or r[3], process_id=r[2], process_name=r[3],
                              unit_code=r[4], sector=r[5], year=r[6], status=r[7],
                              stage=str((r[8] or {}).get("status_text") or ""),
                              grade=self.domain.grade(r[8] or {}), started_at=r[9], completed_at=r[10],
                              error_message=r[11], steps=steps.get(r[0], []), waiting_since=r[12], due_at=r[13],
                              ever_overdue=bool(r[14]))
                    for r in found]
            years = self._ledger_years(session, scope)
            return LedgerPage(rows=rows, total=total, page=page, pages=pages,
                              counts=self._ledger_counts(session, scope), steps=self._ledger_step_names(session, scope),
                              kinds=self._ledger_kinds(session), years=years,
                              sectors=self._ledger_names(session, years, "sectors"),
                              catalogue={**self._ledger_names(session, years, "catalogue"),
                                         **self.domain.extra_catalogue},
                              units=self._ledger_units(session, scope))

    def project(self, actor: str, instance_id: int) -> ProjectView:
        """The project page of ``instance_id`` for ``actor``; read from projections only.

        :raises NotFound, NotAllowed: as :meth:`instance`, and for those who may not read the ledger.
        """
        with self.db.read() as session:
            return self._project_in(session, self.actor_in(session, actor), instance_id)

    def dossier(self, actor: str, instance_id: int) -> Dossier:
        """The dossier of ``instance_id`` for ``actor``: as :meth:`project`, with the submissions.

        :raises NotFound, NotAllowed: as :meth:`project`.
        """
        with self.db.read() as session:
            viewer = self.actor_in(session, actor)
            project = self._project_in(session, viewer, instance_id)
            instance = session.get(ProcessInstance, instance_id)
            events = list(session.scalars(select(InstanceEvent).where(
                InstanceEvent.instance_id == instance_id, InstanceEvent.kind == "task_completed")
                .order_by(InstanceEvent.at, InstanceEvent.id)))
            return Dossier(project, submissions(self.runs.model(session, instance.version_id), events, viewer.roles,
                                                viewer.username,
                                                choices_of(session, instance, self.runs)))

    def _project_in(self, session: Session, viewer: Actor, instance_id: int) -> ProjectView:
        view = self.instances.instance_view(session, viewer, instance_id)  # whoever may see the project
        responsible = session.scalar(select(ProcessInstance.responsible).where(ProcessInstance.id == instance_id))
        steps = self._ledger_steps(session, [instance_id], viewer).get(instance_id, [])
        may_repair = viewer.has(*REPAIRERS)
        reassign_to = {task.id: reassign_candidates(session, task) for task in session.scalars(
            select(HumanTask).where(HumanTask.id.in_([step.task_id for step in steps])))} if may_repair else {}
        return ProjectView(view, steps, responsible, may_repair, reassign_to,
                           self.matrix.matrix_of(session, instance_id))

    def supervision(self, actor: str, year: int | None = None) -> Supervision:
        """Steps still open ``escalate_workdays_after`` working days after a reminder, and the units
        with applicants that have not applied in ``year`` (default: this year, if planned, else the
        latest year planned), listed
        once its application window has closed.

        :raises NotAllowed: as :meth:`ledger`.
        """
        with self.db.read() as session:
            viewer = self.actor_in(session, actor)
            scope, path = scope_clause(viewer), scope_path(viewer)
            today = clock.now().astimezone(BUSINESS_TZ).date()
            # Urged: by a person (人工催办) or by the system's formal notice (催办); a step the system
            # escalated (督办) is listed whenever it was urged.
            urged = session.execute(
                select(ProcessInstance.id, ProcessInstance.title, HumanTask.id, HumanTask.name, HumanTask.holder,
                       HumanTask.role, HumanTask.scope_unit, Notification.created_at, Notification.sender,
                       Notification.message, HumanTask.escalated_at)
                .join(HumanTask, HumanTask.id == Notification.human_task_id)
                .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                .where(scope, Notification.kind.in_(URGING_NOTICES), HumanTask.status == "open")
                .order_by(Notification.created_at, Notification.id))
            year = year or self._current_plan_year(session, today.year)
            plan = session.get(ReferenceData, f"year:{year}") if year else None
            escalate = reminder_numbers(plan.value if plan is not None else None, self.settings.remind_days_before,
                                        self.settings.escalate_workdays_after)[1]
            escalations: dict[int, Escalation] = {}
            for *row, escalated_at in urged:
                since = row[7].astimezone(BUSINESS_TZ).date()
                if escalated_at is not None or add_workdays(since, escalate) <= today:
                    escalations.setdefault(row[2], Escalation(*row))
            close = (plan.value.get("calendar") or {}).get("application_close") if plan is not None else None
            closed = close is not None and str(close)[:10] < today.isoformat()
            not_applied = {expected.kind: self._not_applied(session, path, year, expected.kind, expected.unit_kind)
                           for expected in self.domain.expected_applications} if closed else {}
            return Supervision(list(escalations.values()), escalate, year, close, closed, not_applied)

    @staticmethod
    def _current_plan_year(session: Session, this_year: int) -> int | None:
        """This year when the city has planned it, else the latest year planned."""
        keys = session.scalars(select(ReferenceData.key).where(ReferenceData.key.like("year:%")))
        years = [int(key[5:]) for key in keys if key[5:].isdigit()]
        return this_year if this_year in years else max(years, default=None)

    @staticmethod
    def _not_applied(session: Session, path: str | None, year: int | None, kind: str,
                     unit_kind: str | None = None) -> list[tuple[str, str]]:
        """Units in scope (of ``unit_kind`` if given) with an active applicant and no submitted
        application of ``kind`` in ``year``: a draft never submitted and a withdrawn application
        do not count as applied."""
        applied = select(ProcessInstance.unit_code).join(
            Milestone, and_(Milestone.instance_id == ProcessInstance.id, Milestone.key == "submitted")).where(
            ProcessInstance.year == year, ProcessInstance.parent_id.is_(None), ProcessInstance.kind == kind,
            ProcessInstance.status != "withdrawn", ProcessInstance.unit_code.is_not(None))
        with_applicants = select(User.unit_code).join(UserRole, UserRole.user_id == User.id).where(
            UserRole.role == "applicant", User.active.is_(True))
        unit_scope = CITY_WIDE if path is None else Unit.path.like(like_prefix(path), escape="\\")
        query = select(Unit.code, Unit.name).where(Unit.code.in_(with_applicants), Unit.code.notin_(applied),
                                                   unit_scope)
        if unit_kind is not None:
            query = query.where(Unit.kind == unit_kind)
        return [tuple(row) for row in session.execute(query.order_by(Unit.path))]

    def bottlenecks(self, actor: str, query: LedgerQuery) -> Bottlenecks:
        """Where the projects ``query`` selects are waiting (卡点分析): per step and per unit, the projects
        waiting, the median and longest wait in days, and how many are overdue.

        :raises NotAllowed: as :meth:`ledger`.
        """
        with self.db.read() as session:
            scope = scope_clause(self.actor_in(session, actor))
            rows = session.execute(select(HumanTask.name, ProcessInstance.unit_code, HumanTask.instance_id,
                                          HumanTask.created_at, HumanTask.due_at)
                                   .join(ProcessInstance, _OPEN_TASK)
                                   .where(scope, *filter_clauses(session, query)))
            by_step: dict[str, list[tuple[int, datetime, datetime | None]]] = {}
            by_unit: dict[str, list[tuple[int, datetime, datetime | None]]] = {}
            for name, unit, instance_id, since, due in rows:
                by_step.setdefault(name, []).append((instance_id, since, due))
                by_unit.setdefault(unit or "", []).append((instance_id, since, due))
            now = clock.now()
            return Bottlenecks(wait_stats(by_step, now), wait_stats(by_unit, now))

    def _ledger_steps(self, session: Session, ids: list[int],
                      viewer: Actor | None = None) -> dict[int, list[WaitingStep]]:
        """The open steps of the projects ``ids``; each marked whether ``viewer`` may open it, and
        without its holder where its form is confidential to the viewer (who scores a project)."""
        found: dict[int, list[WaitingStep]] = {}
        if not ids:
            return found
        for task, path, version_id in session.execute(
                select(HumanTask, ProcessInstance.unit_path, ProcessInstance.version_id)
                .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                .where(HumanTask.instance_id.in_(ids), HumanTask.status == "open")
                .order_by(HumanTask.created_at, HumanTask.id)):
            openable = viewer is None or may_view_task(viewer, task, path)
            holder, scope = task.holder, task.scope_unit
            if not openable and task.form and confidential(self.runs.model(session, version_id).forms.get(task.form),
                                                           viewer.roles if viewer else ()):
                holder = scope = None
            found.setdefault(task.instance_id, []).append(WaitingStep(
                task.id, task.name, holder, task.role, scope, task.created_at, task.due_at,
                bool(task.ever_overdue), openable))
        return found

    @staticmethod
    def _ledger_counts(session: Session, scope: Any) -> dict[str, int]:
        root = [scope, ProcessInstance.parent_id.is_(None)]
        opened = ProcessInstance.status.in_(OPEN_STATUSES)
        late = open_task_where(HumanTask.due_at < clock.now())

        def count(*clauses: Any) -> int:
            return session.scalar(select(func.count()).select_from(ProcessInstance).where(*root, *clauses)) or 0

        return {"open": count(opened), "overdue": count(opened, late),
                "error": count(ProcessInstance.status == "error"), "closed": count(~opened)}

    @staticmethod
    def _ledger_step_names(session: Session, scope: Any) -> list[str]:
        query = select(HumanTask.name).where(HumanTask.status == "open")
        if scope is not CITY_WIDE:  # a county's: only the steps its projects wait at
            query = query.join(ProcessInstance, _OPEN_TASK).where(scope)
        return list(session.scalars(query.distinct().order_by(HumanTask.name)))

    @staticmethod
    def _ledger_kinds(session: Session) -> list[tuple[str, str]]:
        names: dict[str, str] = {}
        for process_id, name in session.execute(select(ProcessVersion.process_id, ProcessVersion.name)
                                                .where(ProcessVersion.startable.is_(True))
                                                .order_by(ProcessVersion.version)):
            names[process_id] = name
        return sorted(names.items(), key=lambda item: item[1])

    @staticmethod
    def _ledger_years(session: Session, scope: Any) -> list[int]:
        return list(session.scalars(select(ProcessInstance.year).where(scope, ProcessInstance.year.is_not(None))
                                    .distinct().order_by(ProcessInstance.year.desc())))

    @staticmethod
    def _ledger_names(session: Session, years: list[int], part: str) -> dict[str, str]:
        """Code → name of the sectors or catalogue projects of the year plans of ``years``."""
        names: dict[str, str] = {}
        for year in sorted(years):
            plan = session.get(ReferenceData, f"year:{year}")
            for item in (plan.value.get(part, []) if plan is not None else []):
                names[item["code"]] = item["name"]
        return names

    @staticmethod
    def _ledger_units(session: Session, scope: Any) -> list[tuple[str, str]]:
        """Units with projects in scope, in tree order (filtering one includes the units below it)."""
        codes = select(ProcessInstance.unit_code).where(scope).distinct()
        return [(code, name) for code, name in session.execute(select(Unit.code, Unit.name)
                                                               .where(Unit.code.in_(codes)).order_by(Unit.path))]
