"""The project ledger (项目台账): every project in the viewer's scope, where it stands and who holds it.

Read from projections only (instances, their open tasks, the process versions): no page of the ledger
loads a workflow state.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy.orm import Session

from engine import clock
from engine.clock import BUSINESS_TZ
from engine.persistence.queries import ledger as queries
from engine.persistence.queries import plans
from engine.persistence.queries import supervision as supervision_queries
from engine.persistence.queries.scope import ProjectScope
from engine.persistence.queries.supervision import UrgedStep
from engine.service.access import ledger_path
from engine.service.access import may_view_task
from engine.service.access import project_scope
from engine.service.access import reassign_candidates
from engine.service.actors import Actor
from engine.service.base import Core
from engine.service.base import Service
from engine.service.instances import REPAIRERS
from engine.service.instances import InstanceService
from engine.service.instances import InstanceView
from engine.service.matrix import MatrixService
from engine.service.matrix import ProjectMatrix
from engine.service.reminders import URGING_NOTICES
from engine.service.reminders import ReminderService
from engine.service.reminders import still_urged
from engine.service.tasks import Submission
from engine.service.tasks import choices_of
from engine.service.tasks import submissions
from forms import confidential

# An export holds every matching project, up to this many (a city has hundreds).
EXPORT_LIMIT = 20_000
STATES = ("open", "closed", "error", "all")
# The sort keys of the ledger (what each sorts by is the query's business).
SORTS = tuple(queries.ORDERS)


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
    matrix: ProjectMatrix  # the approved sub-items and quality nodes


@dataclass(frozen=True)
class Dossier:
    """The project dossier (项目档案) for print and Word: the project page and every completed step's
    submission (the application, the approval with its matrix, scores, reports) as the viewer may
    read them."""

    project: ProjectView
    submissions: list[Submission]


@dataclass(frozen=True)
class Supervision:
    """督查督办: urged steps still open, and units that have not applied once the window closed."""

    escalations: list[UrgedStep]  # steps still open escalate_workdays_after working days after a 催办 (督办)
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


class LedgerService(Service):
    def __init__(self, core: Core, instances: InstanceService, matrix: MatrixService,
                 reminders: ReminderService) -> None:
        super().__init__(core)
        self.instances = instances
        self.matrix = matrix
        self.reminders = reminders

    def ledger(self, actor: str, query: LedgerQuery, everything: bool = False) -> LedgerPage:
        """One page of the project ledger for ``actor`` under ``query``, with the counts of the scope;
        with ``everything``, every matching project (up to ``EXPORT_LIMIT``) as one page, for export.

        :raises NotAllowed: for users who are not supervisors, city or county organisation staff or
            administrators.
        """
        with self.db.read() as session:
            viewer = self.actor_in(session, actor)
            scope = project_scope(viewer)
            now = clock.now()
            where = [scope.clause(), *queries.filter_clauses(session, query, now)]
            total = queries.count_projects(session, where)
            size = EXPORT_LIMIT if everything else queries.PAGE_SIZE
            pages = max(1, -(-total // size))
            page = min(max(query.page, 1), pages) if not everything else 1
            descending = query.descending != (query.sort == "late")
            found = queries.ledger_rows(session, where, query.sort, descending, size, (page - 1) * size)
            steps = self._waiting_steps(session, [row.id for row in found], viewer)
            rows = [LedgerRow(instance_id=r.id, title=r.title or r.process_name, process_id=r.process_id,
                              process_name=r.process_name, unit_code=r.unit_code, sector=r.sector, year=r.year,
                              status=r.status, stage=str((r.business or {}).get("status_text") or ""),
                              grade=self.domain.grade(r.business or {}), started_at=r.started_at,
                              completed_at=r.completed_at, error_message=r.error_message, steps=steps.get(r.id, []),
                              waiting_since=r.waiting_since, due_at=r.due_at, ever_overdue=bool(r.ever_overdue))
                    for r in found]
            return self._page(session, scope, rows, total, page, pages, now)

    def _page(self, session: Session, scope: ProjectScope, rows: list[LedgerRow], total: int, page: int, pages: int,
              now: datetime) -> LedgerPage:
        """The ledger page of ``rows`` with the counts and the filters' choices of ``scope``."""
        years = queries.project_years(session, scope)
        year_plans = plans.year_plans(session, sorted(years))
        return LedgerPage(rows=rows, total=total, page=page, pages=pages,
                          counts=queries.state_counts(session, scope, now), steps=queries.step_names(session, scope),
                          kinds=queries.startable_kinds(session), years=years,
                          sectors=plan_names(year_plans, "sectors"),
                          catalogue={**plan_names(year_plans, "catalogue"), **self.domain.extra_catalogue},
                          units=queries.project_units(session, scope))

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
            instance = queries.project(session, instance_id)
            events = queries.completed_steps(session, instance_id)
            return Dossier(project, submissions(self.runs.model(session, instance.version_id), events, viewer.roles,
                                                viewer.username,
                                                choices_of(session, instance, self.runs)))

    def _project_in(self, session: Session, viewer: Actor, instance_id: int) -> ProjectView:
        view = self.instances.instance_view(session, viewer, instance_id)  # whoever may see the project
        responsible = queries.responsible(session, instance_id)
        steps = self._waiting_steps(session, [instance_id], viewer).get(instance_id, [])
        may_repair = viewer.has(*REPAIRERS)
        reassign_to = {task.id: reassign_candidates(session, task) for task in queries.tasks_by_id(
            session, [step.task_id for step in steps])} if may_repair else {}
        return ProjectView(view, steps, responsible, may_repair, reassign_to,
                           self.matrix.matrix_of(session, instance_id))

    def supervision(self, actor: str, year: int | None = None) -> Supervision:
        """Steps still open ``escalate_workdays_after`` working days after a reminder, and the units
        with applicants that have not applied in ``year`` (default: this year, if planned, else the
        latest year planned), listed once its application window has closed.

        :raises NotAllowed: as :meth:`ledger`.
        """
        with self.db.read() as session:
            viewer = self.actor_in(session, actor)
            scope, path = project_scope(viewer), ledger_path(viewer)
            today = clock.now().astimezone(BUSINESS_TZ).date()
            # Urged: by a person (人工催办) or by the system's formal notice (催办); a step the system
            # escalated (督办) is listed whenever it was urged.
            urged = supervision_queries.urged_open_steps(session, scope, URGING_NOTICES)
            year = year or current_plan_year(plans.planned_years(session), today.year)
            plan = plans.year_plan(session, year) if year else None
            escalate = self.reminders.numbers(plan)[1]
            escalations: dict[int, UrgedStep] = {}
            for step in urged:
                if still_urged(step.reminded_at, step.escalated_at, escalate, today):
                    escalations.setdefault(step.task_id, step)
            close = (plan.get("calendar") or {}).get("application_close") if plan is not None else None
            closed = close is not None and str(close)[:10] < today.isoformat()
            not_applied = {expected.kind: supervision_queries.units_not_applied(session, path, year, expected.kind,
                                                                                 expected.unit_kind)
                           for expected in self.domain.expected_applications} if closed else {}
            return Supervision(list(escalations.values()), escalate, year, close, closed, not_applied)

    def bottlenecks(self, actor: str, query: LedgerQuery) -> Bottlenecks:
        """Where the projects ``query`` selects are waiting (卡点分析): per step and per unit, the projects
        waiting, the median and longest wait in days, and how many are overdue.

        :raises NotAllowed: as :meth:`ledger`.
        """
        with self.db.read() as session:
            now = clock.now()
            where = [project_scope(self.actor_in(session, actor)).clause(),
                     *queries.filter_clauses(session, query, now)]
            by_step: dict[str, list[tuple[int, datetime, datetime | None]]] = {}
            by_unit: dict[str, list[tuple[int, datetime, datetime | None]]] = {}
            for name, unit, instance_id, since, due in queries.waiting_tasks(session, where):
                by_step.setdefault(name, []).append((instance_id, since, due))
                by_unit.setdefault(unit or "", []).append((instance_id, since, due))
            return Bottlenecks(wait_stats(by_step, now), wait_stats(by_unit, now))

    def _waiting_steps(self, session: Session, ids: list[int], viewer: Actor) -> dict[int, list[WaitingStep]]:
        """The open steps of the projects ``ids``; each marked whether ``viewer`` may open it, and
        without its holder where its form is confidential to the viewer (who scores a project)."""
        found: dict[int, list[WaitingStep]] = {}
        for task, path, version_id in queries.open_steps(session, ids):
            openable = may_view_task(viewer, task, path)
            holder, scope = task.holder, task.scope_unit
            if not openable and task.form and confidential(self.runs.model(session, version_id).forms.get(task.form),
                                                           viewer.roles):
                holder = scope = None
            found.setdefault(task.instance_id, []).append(WaitingStep(
                task.id, task.name, holder, task.role, scope, task.created_at, task.due_at,
                bool(task.ever_overdue), openable))
        return found


def current_plan_year(planned: list[int], this_year: int) -> int | None:
    """This year when the city has planned it, else the latest year planned."""
    return this_year if this_year in planned else max(planned, default=None)


def plan_names(year_plans: dict[int, dict[str, Any]], part: str) -> dict[str, str]:
    """Code → name of the sectors or catalogue projects of ``year_plans`` (a later year's name wins)."""
    names: dict[str, str] = {}
    for _year, plan in sorted(year_plans.items()):
        for item in plan.get(part, []):
            names[item["code"]] = item["name"]
    return names
