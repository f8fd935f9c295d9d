"""Queries around a task: its project's files, extension requests, a reader's notices, the
processes one may start."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.persistence.models import Attachment
from engine.persistence.models import AttachmentBlob
from engine.persistence.models import ExtensionRequest
from engine.persistence.models import HumanTask
from engine.persistence.models import Notification
from engine.persistence.models import ProcessInstance
from engine.persistence.models import ProcessVersion


def bytes_stored(session: Session, instance_id: int) -> int:
    """How many bytes the files of a project take."""
    return session.scalar(select(func.coalesce(func.sum(Attachment.size), 0))
                          .where(Attachment.instance_id == instance_id)) or 0


def blob_data(session: Session, sha256: str) -> bytes | None:
    """The stored contents with this digest."""
    return session.scalar(select(AttachmentBlob.data).where(AttachmentBlob.sha256 == sha256))


def drop_unused_blob(session: Session, sha256: str) -> None:
    """Delete the contents with this digest once no attachment refers to them."""
    if session.scalar(select(func.count()).select_from(Attachment).where(Attachment.sha256 == sha256)) == 0:
        session.execute(delete(AttachmentBlob).where(AttachmentBlob.sha256 == sha256))


def pending_extensions(session: Session, task_id: int) -> int:
    """How many extension requests of a task wait for a decision."""
    return session.scalar(select(func.count()).select_from(ExtensionRequest).where(
        ExtensionRequest.human_task_id == task_id, ExtensionRequest.status == "pending")) or 0


def extension_requests(session: Session, status: str,
                       requested_by: str | None) -> list[tuple[ExtensionRequest, str, str]]:
    """The extension requests in ``status`` (of ``requested_by`` only when given), oldest first,
    each with its task's name and its project's title."""
    query = (select(ExtensionRequest, HumanTask.name, ProcessInstance.title)
             .join(HumanTask, HumanTask.id == ExtensionRequest.human_task_id)
             .join(ProcessInstance, ProcessInstance.id == ExtensionRequest.instance_id)
             .where(ExtensionRequest.status == status).order_by(ExtensionRequest.requested_at))
    if requested_by is not None:
        query = query.where(ExtensionRequest.requested_by == requested_by)
    return [(request, name, title) for request, name, title in session.execute(query)]


def notices(session: Session, username: str, unread_only: bool,
            limit: int) -> list[tuple[Notification, HumanTask | None, ProcessInstance | None]]:
    """The newest ``limit`` notices of ``username`` (unread ones only if asked), each with its task
    and project when it has them."""
    query = (select(Notification, HumanTask, ProcessInstance)
             .outerjoin(HumanTask, HumanTask.id == Notification.human_task_id)
             .outerjoin(ProcessInstance, ProcessInstance.id == Notification.instance_id)
             .where(Notification.username == username)
             .order_by(Notification.created_at.desc(), Notification.id.desc()))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return [(notice, task, instance) for notice, task, instance in session.execute(query.limit(limit))]


def mark_notices_read(session: Session, username: str, ids: list[int] | None, now: datetime) -> None:
    """Mark the unread notices of ``username`` read (only ``ids`` when given)."""
    statement = update(Notification).where(Notification.username == username, Notification.read_at.is_(None))
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    session.execute(statement.values(read_at=now))


def latest_startable_versions(session: Session) -> list[ProcessVersion]:
    """The newest version of every process whose newest version may be started, by process id."""
    latest = (select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("version"))
              .group_by(ProcessVersion.process_id).subquery())
    is_latest = (ProcessVersion.process_id == latest.c.process_id) & (ProcessVersion.version == latest.c.version)
    return list(session.scalars(select(ProcessVersion).join(latest, is_latest)
                                .where(ProcessVersion.startable.is_(True)).order_by(ProcessVersion.process_id)))
