"""Process versions: the newest, the current one new projects start on."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.persistence.models import ProcessVersion


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
