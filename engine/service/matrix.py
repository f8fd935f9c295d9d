"""The matrix chart (矩阵管理图): projects × milestone nodes across the city, and per project its
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

from sqlalchemy.orm import Session

from engine import clock
from engine.clock import BUSINESS_TZ
from engine.domain import MilestoneNode
from engine.persistence.models import OPEN_STATUSES
from engine.persistence.queries import ledger as ledger_queries
from engine.persistence.queries import matrix as queries
from engine.persistence.queries import plans
from engine.persistence.queries.ledger import LedgerFilters
from engine.service.access import project_scope
from engine.service.base import Service

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


def late_quality_nodes(session: Session, steps: tuple[str, str] | None, today: date) -> dict[tuple[int, str], str]:
    """(project, node) → responsible person, for the late quality nodes of open projects that no
    催办 (a ``node_overdue`` event) named yet."""
    responsible = queries.open_projects_with_responsible(session)
    if not responsible or steps is None:
        return {}
    open_ids = list(responsible)
    urged = queries.event_reasons(session, open_ids, "node_overdue")
    return {(instance_id, node.name): responsible[instance_id]
            for instance_id, (approval, reports, _at) in queries.approvals_and_reports(session, open_ids, steps).items()
            for node in quality_nodes(approval, reports, today)
            if node.status == "late" and (instance_id, node.name) not in urged}


class MatrixService(Service):
    def matrix(self, actor: str, query: LedgerFilters) -> MatrixPage:
        """One page of the matrix chart: the projects ``query`` selects (as the ledger does) × the
        milestone nodes, with planned and actual dates and a light per cell.

        :raises NotAllowed: as the ledger.
        """
        with self.db.read() as session:
            now = clock.now()
            where = [project_scope(self.actor_in(session, actor)).clause(),
                     *ledger_queries.filter_clauses(session, query, now)]
            total = ledger_queries.count_projects(session, where)
            size = ledger_queries.PAGE_SIZE
            pages = max(1, -(-total // size))
            page = min(max(query.page, 1), pages)
            found = queries.matrix_rows(session, where, size, (page - 1) * size)
            ids = [row.id for row in found]
            nodes = self.domain.milestone_nodes
            tasks = queries.step_tasks(session, ids, frozenset().union(*(node.steps for node in nodes)))
            overdue = queries.overdue_projects(session, ids, now)
            closed = queries.reached(session, ids, "closed")
            calendars = self._calendars(session, {row.year for row in found})
            today = now.astimezone(BUSINESS_TZ).date()
            rows = [MatrixRow(r.id, r.title or r.process_name, r.unit_code, r.process_name,
                              row_cells(nodes, calendars.get(r.year, {}) if r.year is not None else {},
                                        tasks.get(r.id, []),
                                        closed.get(r.id), r.status in OPEN_STATUSES, r.id in overdue, today))
                    for r in found]
            return MatrixPage(rows, total, page, pages, tuple(node.key for node in nodes))

    def matrix_of(self, session: Session, instance_id: int) -> ProjectMatrix:
        """The project's sub-items × quality nodes as approved, each node's status from the
        quarterly reports; empty before approval. The caller checks who may read it."""
        found = queries.approvals_and_reports(session, [instance_id], self.domain.quality_steps)
        approval, reports, approved_at = found.get(instance_id, ({}, [], None))
        today = clock.now().astimezone(BUSINESS_TZ).date()
        sub_items = [{key: str(item.get(key) or "") for key in ("name", "owner", "description")}
                     for item in approval.get("sub_items") or [] if isinstance(item, dict)]
        return ProjectMatrix(sub_items, quality_nodes(approval, reports, today), approved_at)

    @staticmethod
    def _calendars(session: Session, years: set[int | None]) -> dict[int, dict[str, Any]]:
        """Year → the calendar of its plan (empty when unplanned)."""
        found = plans.year_plans(session, [year for year in years if year is not None])
        return {year: dict((found.get(year) or {}).get("calendar") or {}) for year in years if year is not None}
