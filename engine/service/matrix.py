"""The matrix chart (矩阵管理图): projects × the domain's milestone nodes across the city, and per project its
sub-items × quality nodes as approved and as the quarterly reports record them.

Read from projections only (task rows, milestones, the audit events with the submitted forms) and
the year plans: no page here loads a workflow state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.clock import BUSINESS_TZ
from engine.domain import MilestoneNode
from engine.persistence.models import OPEN_STATUSES
from engine.persistence.models import HumanTask
from engine.persistence.models import InstanceEvent
from engine.persistence.models import Milestone
from engine.persistence.models import ProcessInstance
from engine.persistence.models import ProcessVersion
from engine.persistence.models import ReferenceData
from engine.service.actors import SYSTEM
from engine.service.base import Core
from engine.service.base import Service
from engine.service.jobs import JobService
from engine.service.jobs import queue_notice
from engine.service.ledger import PAGE_SIZE
from engine.service.ledger import LedgerQuery
from engine.service.ledger import filter_clauses
from engine.service.ledger import scope_clause
from engine.service.runs import Change

SOON = timedelta(days=3)


@dataclass(frozen=True)
class NodeCell:
    """Where one project stands at one node. ``state``: done, done_late (reached after its planned
    date), open (a step open there), late (open or not reached, past its planned date), soon (due
    within three days), pending (not yet) or none (the project will not reach it)."""

    state: str
    planned: date | None = None
    actual: datetime | None = None


@dataclass(frozen=True)
class MatrixRow:
    instance_id: int
    title: str
    unit_code: str | None
    process_name: str
    cells: dict[str, NodeCell]


@dataclass(frozen=True)
class MatrixPage:
    rows: list[MatrixRow]
    total: int
    page: int
    pages: int
    nodes: tuple[str, ...]


@dataclass(frozen=True)
class QualityNode:
    """A quality node of the approved matrix and how the quarterly reports record it. ``status``:
    done (完成), late (滞后: not done past its planned date) or pending (未启动)."""

    name: str
    sub_item: str
    owner: str
    standard: str
    planned: date | None
    status: str
    done_at: datetime | None
    ever_late: bool


@dataclass(frozen=True)
class ProjectMatrix:
    sub_items: list[dict[str, str]]  # name, owner, description
    nodes: list[QualityNode]
    approved_at: datetime | None


def _calendar_value(calendar: dict[str, Any], path: tuple[Any, ...] | None) -> Any:
    value: Any = calendar
    for part in path or ():
        if isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(BUSINESS_TZ).date()
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _in_window(node: MilestoneNode, calendar: dict[str, Any], created: datetime) -> bool:
    opens, following = (_moment(_calendar_value(calendar, node.window)),
                        _moment(_calendar_value(calendar, node.next_window)))
    if opens is not None and created < opens:
        return False
    return following is None or created < following


def node_cell(node: MilestoneNode, calendar: dict[str, Any], tasks: list[tuple[Any, ...]],
              closed_at: datetime | None, project_open: bool, today: date) -> NodeCell:
    """The cell of one project at ``node`` from its task rows (BPMN id, status, created, completed,
    due) and, for the last node, when it closed."""
    planned = _day(_calendar_value(calendar, node.plan)) if node.plan else None
    if node.key == "closed":
        return NodeCell("done", None, closed_at) if closed_at else NodeCell("pending" if project_open else "none")
    mine = [t for t in tasks if t[0] in node.steps and (node.window is None or _in_window(node, calendar, t[2]))]
    opened = [t for t in mine if t[1] == "open"]
    if planned is None:
        dues = [t[4] for t in (opened or mine) if t[4] is not None]
        planned = _day(min(dues)) if dues else None
    if opened:
        dues = [d for d in (planned, _day(min((t[4] for t in opened if t[4] is not None), default=None))) if d]
        return NodeCell("late" if any(due < today for due in dues) else "open", planned)
    done = [t[3] for t in mine if t[1] == "completed" and t[3] is not None]
    # Reached when first done: a step done again after a return (a resubmitted application) does not
    # make the node late on the date of the revision.
    first_round = [t[3] for t in mine if t[1] == "completed" and t[3] is not None and (len(t) < 6 or t[5] is None)]
    done = first_round or done
    if done:
        actual = max(done)
        late = planned is not None and _day(actual) > planned  # type: ignore[operator]
        return NodeCell("done_late" if late else "done", planned, actual)
    if not project_open:
        return NodeCell("none", planned)
    if planned is not None and planned < today:
        return NodeCell("late", planned)
    if planned is not None and planned <= today + SOON:
        return NodeCell("soon", planned)
    return NodeCell("pending", planned)


def row_cells(nodes: tuple[MilestoneNode, ...], calendar: dict[str, Any], tasks: list[tuple[Any, ...]],
              closed_at: datetime | None, project_open: bool, step_overdue: bool, today: date) -> dict[str, NodeCell]:
    """One project's cells. Beyond the last node the project has reached, only the next one can be
    late (its planned date has passed, or the step the project waits at is overdue); the nodes after
    it, not reached because of it, wait: they are not each another 逾期."""
    reached = [any(t[0] in node.steps for t in tasks) for node in nodes]
    frontier = max((index for index, flag in enumerate(reached) if flag), default=-1) + 1
    cells: dict[str, NodeCell] = {}
    for index, node in enumerate(nodes):
        cell = node_cell(node, calendar, tasks, closed_at, project_open, today)
        if index > frontier and cell.state in ("late", "soon"):
            cell = NodeCell("pending", cell.planned)
        elif index == frontier and step_overdue and cell.state in ("soon", "pending") and node.key != "closed":
            cell = NodeCell("late", cell.planned)
        cells[node.key] = cell
    return cells


def _reported(data: Any, name: str) -> str | None:
    """What one quarterly report says of the node ``name``: done, late, pending, or None."""
    if not isinstance(data, dict):
        return None
    for row in data.get("node_status") or []:
        if isinstance(row, dict) and row.get("node") == name:
            return str(row.get("status") or "") or None
    return "done" if name in (data.get("nodes_done") or []) else None  # reports filed before node statuses


def quality_nodes(approval: dict[str, Any], reports: list[tuple[datetime, Any]], today: date) -> list[QualityNode]:
    """The quality nodes of an approval (立项) as the quarterly reports record them: done from the
    first report that says so; late when the latest report says so or its planned date has passed;
    ever late when a report said late or it was done after its planned date."""
    owners = {item.get("name"): item.get("owner", "") for item in approval.get("sub_items") or []
              if isinstance(item, dict)}
    found = []
    for node in approval.get("nodes") or []:
        if not isinstance(node, dict):
            continue
        name, planned = str(node.get("name", "")), _day(node.get("planned_date"))
        said = [(at, _reported(data, name)) for at, data in reports]
        done_at = next((at for at, status in said if status == "done"), None)
        reported_late = any(status == "late" for _at, status in said)
        if done_at is not None:
            status = "done"
            ever_late = reported_late or (planned is not None and _day(done_at) > planned)  # type: ignore[operator]
        else:
            late = reported_late or (planned is not None and planned < today)
            status, ever_late = ("late" if late else "pending"), late
        found.append(QualityNode(name, str(node.get("sub_item", "")), str(owners.get(node.get("sub_item"), "")),
                                 str(node.get("deliverable") or ""), planned, status, done_at, ever_late))
    return found


def _approval_and_reports(session: Session, instance_ids: list[int],
                          steps: tuple[str, str] | None) -> dict[int, tuple[Any, list, datetime | None]]:
    """Per instance: the latest approval's submitted data, the quarterly reports (filed at, data),
    and when it was approved; from the audit events of the (approval, report) ``steps``."""
    found: dict[int, tuple[Any, list, datetime | None]] = {}
    if steps is None:
        return found
    rows = session.execute(select(InstanceEvent.instance_id, InstanceEvent.bpmn_id, InstanceEvent.at,
                                  InstanceEvent.data)
                           .where(InstanceEvent.instance_id.in_(instance_ids), InstanceEvent.kind == "task_completed",
                                  InstanceEvent.bpmn_id.in_(steps))
                           .order_by(InstanceEvent.at, InstanceEvent.id))
    for instance_id, bpmn_id, at, data in rows:
        approval, reports, approved_at = found.get(instance_id, ({}, [], None))
        if bpmn_id == steps[0]:
            approval, approved_at = (data if isinstance(data, dict) else {}), at
        else:
            reports.append((at, data))
        found[instance_id] = (approval, reports, approved_at)
    return found


class MatrixService(Service):
    def __init__(self, core: Core, jobs: JobService) -> None:
        super().__init__(core)
        self.jobs = jobs
        # (day, newest event id) at the last scan for late quality nodes: nothing new, no scan.
        self._late_nodes_checked: tuple[Any, int | None] | None = None

    def matrix(self, actor: str, query: LedgerQuery) -> MatrixPage:
        """One page of the matrix chart: the projects ``query`` selects (as the ledger does) × the
        milestone nodes, with planned and actual dates and a light per cell.

        :raises NotAllowed: as the ledger.
        """
        with self.db.read() as session:
            scope = scope_clause(self.actor_in(session, actor))
            where = [scope, *filter_clauses(session, query)]
            total = session.scalar(select(func.count()).select_from(ProcessInstance).where(*where)) or 0
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(query.page, 1), pages)
            found = session.execute(
                select(ProcessInstance.id, ProcessInstance.title, ProcessInstance.unit_code, ProcessVersion.name,
                       ProcessInstance.year, ProcessInstance.status)
                .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
                .where(*where).order_by(ProcessInstance.year.desc(), ProcessInstance.unit_path, ProcessInstance.id)
                .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
            ids = [row[0] for row in found]
            nodes = self.domain.milestone_nodes
            node_steps = {step for node in nodes for step in node.steps}
            tasks: dict[int, list[tuple[Any, ...]]] = {}
            for row in session.execute(select(HumanTask.instance_id, HumanTask.bpmn_id, HumanTask.status,
                                              HumanTask.created_at, HumanTask.completed_at, HumanTask.due_at,
                                              HumanTask.return_note)
                                       .where(HumanTask.instance_id.in_(ids), HumanTask.bpmn_id.in_(node_steps))):
                tasks.setdefault(row[0], []).append(tuple(row[1:]))
            overdue = set(session.scalars(select(HumanTask.instance_id).where(
                HumanTask.instance_id.in_(ids), HumanTask.status == "open", HumanTask.due_at < clock.now())))
            closed = dict(session.execute(select(Milestone.instance_id, Milestone.reached_at)
                                          .where(Milestone.instance_id.in_(ids), Milestone.key == "closed")).all())
            calendars = self._calendars(session, {row[4] for row in found})
            today = clock.now().astimezone(BUSINESS_TZ).date()
            rows = [MatrixRow(r[0], r[1] or r[3], r[2], r[3],
                              row_cells(nodes, calendars.get(r[4], {}), tasks.get(r[0], []), closed.get(r[0]),
                                        r[5] in OPEN_STATUSES, r[0] in overdue, today))
                    for r in found]
            return MatrixPage(rows, total, page, pages, tuple(node.key for node in nodes))

    def matrix_of(self, session: Session, instance_id: int) -> ProjectMatrix:
        """The project's sub-items × quality nodes as approved, each node's status from the
        quarterly reports; empty before approval. The caller checks who may read it."""
        found = _approval_and_reports(session, [instance_id], self.domain.quality_steps)
        approval, reports, approved_at = found.get(instance_id, ({}, [], None))
        today = clock.now().astimezone(BUSINESS_TZ).date()
        sub_items = [{key: str(item.get(key) or "") for key in ("name", "owner", "description")}
                     for item in approval.get("sub_items") or [] if isinstance(item, dict)]
        return ProjectMatrix(sub_items, quality_nodes(approval, reports, today), approved_at)

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
            mark = (today, session.scalar(select(func.max(InstanceEvent.id))))
            if mark == self._late_nodes_checked:
                return 0
            due = self._late_quality_nodes(session, today)
        self._late_nodes_checked = mark
        if not due:
            return 0
        sent = 0
        with self.db.write() as session:
            now = clock.now()
            for (instance_id, node), responsible in due.items():
                if session.scalar(select(InstanceEvent.id).where(
                        InstanceEvent.instance_id == instance_id, InstanceEvent.kind == "node_overdue",
                        InstanceEvent.reason == node).limit(1)) is not None:
                    continue
                queue_notice(session, f"node_overdue:{instance_id}:{node}:{responsible}", username=responsible,
                             kind="node_overdue", instance_id=instance_id, message=node, created_at=now)
                change = Change(SYSTEM)
                change.add("node_overdue", reason=node, step=node)
                change.write(session, instance_id)
                sent += 1
        if sent:
            self.jobs.deliver_outbox()
        return sent

    def _late_quality_nodes(self, session: Session, today: Any) -> dict[tuple[int, str], str]:
        """(project, node) → responsible person, for late quality nodes not urged yet."""
        open_ids = list(session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.status.in_(OPEN_STATUSES), ProcessInstance.responsible.is_not(None))))
        if not open_ids:
            return {}
        urged = {(i, reason) for i, reason in session.execute(
            select(InstanceEvent.instance_id, InstanceEvent.reason)
            .where(InstanceEvent.instance_id.in_(open_ids), InstanceEvent.kind == "node_overdue"))}
        responsible = dict(session.execute(select(ProcessInstance.id, ProcessInstance.responsible)
                                           .where(ProcessInstance.id.in_(open_ids))).all())
        return {(instance_id, node.name): responsible[instance_id]
                for instance_id, (approval, reports, _at)
                in _approval_and_reports(session, open_ids, self.domain.quality_steps).items()
                for node in quality_nodes(approval, reports, today)
                if node.status == "late" and (instance_id, node.name) not in urged}

    @staticmethod
    def _calendars(session: Session, years: set[int | None]) -> dict[int, dict[str, Any]]:
        calendars = {}
        for year in years:
            if year is not None:
                plan = session.get(ReferenceData, f"year:{year}")
                calendars[year] = dict((plan.value or {}).get("calendar") or {}) if plan is not None else {}
        return calendars
