"""The tables of the organisation, the processes and their projections, and what people attach to
tasks. The schema itself is managed by the Alembic migrations next to this module; the tables of
delivery and sign-in bookkeeping are in :mod:`engine.persistence.bookkeeping`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import false
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from engine.persistence.base import Base
from engine.persistence.base import UTCDateTime


class Unit(Base):
    """An organisation unit; ``code`` is its administrative-division or organisation code."""

    __tablename__ = "unit"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="unit")
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("unit.code"), index=True)
    # Materialised path of codes ("/511800/511802/"): "in scope" is a prefix test.
    path: Mapped[str] = mapped_column(String(512), index=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    unit_code: Mapped[str] = mapped_column(ForeignKey("unit.code"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Signed-in sessions carry this number; raising it ends all of them at once (sign-out,
    # password change, reset, deactivation).
    session_version: Mapped[int] = mapped_column(Integer, default=0)

    unit: Mapped[Unit] = relationship(lazy="joined")
    roles: Mapped[list[UserRole]] = relationship(lazy="selectin", cascade="all, delete-orphan")

    @property
    def role_codes(self) -> set[str]:
        return {role.role for role in self.roles}


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class ProcessVersion(Base):
    """One deployed version of one process with every file it needs (its bundle)."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # Deferred: only a cold model cache reads the files.
    bundle: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    startable: Mapped[bool] = mapped_column(Boolean, default=True)
    deployed_by: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # "shipped" (from the shipped folder at start-up) or "administrator" (deployed on purpose).
    origin: Mapped[str] = mapped_column(String(16), server_default="administrator")
    # What the administrator said the version changes.
    comment: Mapped[str | None] = mapped_column(Text)
    # New projects start on the current version: the latest deployed, or one an administrator
    # made current again (rollback). One per process.
    current: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


# Instances that have not ended: they hold open steps, timers or an error to repair.
OPEN_STATUSES = ("running", "waiting", "error", "suspended")


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    __table_args__ = (
        Index("ix_process_instance_due", "status", "next_timer_due"),
        Index("ix_process_instance_business", "year", "unit_code"),
        Index("ix_process_instance_started", "started_by", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(128), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    lock_version: Mapped[int] = mapped_column(Integer)
    next_timer_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_element: Mapped[str | None] = mapped_column(String(128))
    error_message: Mapped[str | None] = mapped_column(Text)
    current_steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    # Business fields projected from process data so lists never deserialize a workflow.
    title: Mapped[str] = mapped_column(String(300), default="")
    year: Mapped[int | None] = mapped_column(Integer)
    unit_code: Mapped[str | None] = mapped_column(String(32), index=True)
    unit_path: Mapped[str | None] = mapped_column(String(512), index=True)
    sector: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str | None] = mapped_column(String(64))
    responsible: Mapped[str | None] = mapped_column(String(64), index=True)
    business: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Last on purpose: SQLite keeps a row's columns in this order, so lists that scan titles and
    # statuses never read the large state stored after them (PostgreSQL stores it out of line anyway).
    serializer_version: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(Text, deferred=True)
    # The worker that claimed the instance's due timer and until when (wall clock, UTC): another
    # worker takes the timer over once the lease has run out (engine.persistence.jobs).
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[ProcessVersion] = relationship(lazy="select")

    __mapper_args__ = {"version_id_col": lock_version}


class HumanTask(Base):
    """One user task that is or was READY: the inbox reads only this table."""

    __tablename__ = "human_task"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_guid"),
        # One index per inbox tab, the selective column first so the planner needs no statistics:
        # 待认领 (role in scope, held by nobody), 我的待办 (held by me), 已办 (done by me). Each
        # covers what its tab filters and sorts on, so a page is chosen from the index alone.
        Index("ix_human_task_role", "role", "status", "holder", "scope_path", "due_at"),
        Index("ix_human_task_holder", "holder", "status", "due_at"),
        Index("ix_human_task_done", "completed_by", "status", "completed_at"),
        # The ledger: a project's open tasks, their due dates and since when they wait.
        Index("ix_human_task_instance_open", "instance_id", "status", "due_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (instance_id, task_guid) index serves lookups by instance.
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    task_guid: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    process: Mapped[str] = mapped_column(String(128))
    lane: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(32))
    scope_unit: Mapped[str | None] = mapped_column(String(32))
    scope_path: Mapped[str | None] = mapped_column(String(512))
    assignee: Mapped[str | None] = mapped_column(String(64))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    form: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(64))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ever_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    # The one person who holds the task: who claimed it, else its assignee; None while the role's
    # holders in scope may claim it. 我的待办 is "held by me".
    holder: Mapped[str | None] = mapped_column(String(64))
    # Set when the step is done again because a reviewer returned it: their reason ('' for none).
    return_note: Mapped[str | None] = mapped_column(String(1000))
    # Which run of its process the task is in (a called process runs several times in a project):
    # the id of the calling task, '' in the project's own process; NULL on rows from before 0014.
    run_key: Mapped[str | None] = mapped_column(String(36))

    instance: Mapped[ProcessInstance] = relationship(lazy="raise")


class InstanceEvent(Base):
    """Append-only audit: every change of an instance, who, when, why, and what was submitted."""

    __tablename__ = "instance_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    task_guid: Mapped[str | None] = mapped_column(String(36))
    bpmn_id: Mapped[str | None] = mapped_column(String(128))
    step_name: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[Any] = mapped_column(JSON)


class InstanceArchive(Base):
    """A finished part of an instance's workflow, out of its live state: read only for full history.

    ``kind`` is 'subprocess' (a whole finished sub-workflow, ``part_key`` its parent task id) or
    'tasks' (finished tasks pruned from a workflow, ``part_key`` the root they hung from).
    """

    __tablename__ = "instance_archive"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    process: Mapped[str] = mapped_column(String(128))
    part_key: Mapped[str] = mapped_column(String(36))
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content: Mapped[str] = mapped_column(Text, deferred=True)


class Milestone(Base):
    """A milestone an instance reached: a task with a ``milestone`` property was completed.

    The matrix chart and business rules such as quotas ("submitted this year") read these.
    """

    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("instance_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    bpmn_id: Mapped[str] = mapped_column(String(128))
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(Base):
    """A message to one user: a reminder (催办), an escalation (督办), a notice."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "username", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(Text)
    sender: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The outbox message that delivered it: a second delivery of that message adds nothing.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)


class ReferenceData(Base):
    """Configuration diagrams read through the ``reference(key)`` helper, e.g. a year's plan and calendar."""

    __tablename__ = "reference_data"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TaskDraft(Base):
    """Unfinished form data saved on an open task: apart from ``human_task``, which lists read."""

    __tablename__ = "task_draft"

    human_task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_by: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AttachmentBlob(Base):
    """File contents, stored once per sha256 (two uploads of one file share the bytes)."""

    __tablename__ = "attachment_blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int] = mapped_column(Integer)


class Attachment(Base):
    """A file uploaded for a task of an instance; downloadable by whoever may see the instance."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(ForeignKey("attachment_blob.sha256"), index=True)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Comment(Base):
    """A remark on an instance, made on one of its tasks."""

    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExtensionRequest(Base):
    """A request to move a task's due date (延期申请), decided by the city organisation department."""

    __tablename__ = "extension_request"
    __table_args__ = (Index("ix_extension_request_status", "status", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    human_task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    current_due: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_due: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
