"""Counts the quotas of the diagram functions read: a unit's projects that reached a milestone."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased

from engine.persistence.models import Milestone
from engine.persistence.models import ProcessInstance
from engine.persistence.models import Unit
from engine.persistence.queries.scope import like_prefix


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
