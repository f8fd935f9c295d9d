"""The matrix chart's queries (矩阵管理图): the projects of a page, their task rows at the milestone
steps, and the approvals and quarterly reports the audit events hold."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from typing import NamedTuple

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.persistence.models import OPEN_STATUSES
from engine.persistence.models import HumanTask
from engine.persistence.models import InstanceEvent
from engine.persistence.models import Milestone
from engine.persistence.models import ProcessInstance
from engine.persistence.models import ProcessVersion


class MatrixRecord(NamedTuple):
    """A project as a row of the matrix chart shows it."""

    id: int
    title: str | None
    unit_code: str | None
    process_name: str
    year: int | None
    status: str


def matrix_rows(session: Session, where: list[Any], limit: int, offset: int) -> list[MatrixRecord]:
    """One page of the projects meeting ``where``, by year (newest first) and unit."""
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.title, ProcessInstance.unit_code, ProcessVersion.name,
               ProcessInstance.year, ProcessInstance.status)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
        .where(*where).order_by(ProcessInstance.year.desc(), ProcessInstance.unit_path, ProcessInstance.id)
        .limit(limit).offset(offset))
    return [MatrixRecord(*row) for row in rows]


def step_tasks(session: Session, ids: list[int], steps: Collection[str]) -> dict[int, list[tuple[Any, ...]]]:
    """Per project of ``ids``: (BPMN id, status, created, completed, due, return note) of each of its
    task rows at one of ``steps``."""
    tasks: dict[int, list[tuple[Any, ...]]] = {}
    for row in session.execute(select(HumanTask.instance_id, HumanTask.bpmn_id, HumanTask.status,
                                      HumanTask.created_at, HumanTask.completed_at, HumanTask.due_at,
                                      HumanTask.return_note)
                               .where(HumanTask.instance_id.in_(ids), HumanTask.bpmn_id.in_(tuple(steps)))):
        tasks.setdefault(row[0], []).append(tuple(row[1:]))
    return tasks


def overdue_projects(session: Session, ids: list[int], now: datetime) -> set[int]:
    """The projects of ``ids`` with an open task past its due date."""
    return set(session.scalars(select(HumanTask.instance_id).where(
        HumanTask.instance_id.in_(ids), HumanTask.status == "open", HumanTask.due_at < now)))


def reached(session: Session, ids: list[int], milestone: str) -> dict[int, datetime]:
    """Project → when it reached ``milestone``, for the projects of ``ids`` that did."""
    return {instance_id: at for instance_id, at in session.execute(
        select(Milestone.instance_id, Milestone.reached_at)
        .where(Milestone.instance_id.in_(ids), Milestone.key == milestone))}


# A project's approved data, its quarterly reports (filed at, data), and when it was approved.
ApprovalAndReports = tuple[dict[str, Any], list[tuple[datetime, Any]], datetime | None]


def approvals_and_reports(session: Session, instance_ids: list[int],
                          steps: tuple[str, str] | None) -> dict[int, ApprovalAndReports]:
    """Per instance: the latest approval's submitted data, the quarterly reports (filed at, data),
    and when it was approved; from the audit events of the (approval, report) ``steps``."""
    found: dict[int, ApprovalAndReports] = {}
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


def newest_event_id(session: Session) -> int | None:
    """The id of the newest audit event of any project (nothing newer: nothing changed)."""
    return session.scalar(select(func.max(InstanceEvent.id)))


def open_projects_with_responsible(session: Session) -> dict[int, str]:
    """Open project → its responsible person, for the open projects that have one."""
    return {instance_id: person for instance_id, person in session.execute(
        select(ProcessInstance.id, ProcessInstance.responsible).where(
            ProcessInstance.status.in_(OPEN_STATUSES), ProcessInstance.responsible.is_not(None)))
        if person is not None}


def event_reasons(session: Session, ids: list[int], kind: str) -> set[tuple[int, str | None]]:
    """(project, reason) of the events of ``kind`` of the projects ``ids``."""
    return {(instance_id, reason) for instance_id, reason in session.execute(
        select(InstanceEvent.instance_id, InstanceEvent.reason)
        .where(InstanceEvent.instance_id.in_(ids), InstanceEvent.kind == kind))}
