"""Use cases around a task: attachments, comments, extension requests (延期申请), the reader's
notices, and the list of processes a user may start. Reminders (催办) are sent by
:mod:`engine.service.reminders`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import clock
from engine.errors import InvalidInput
from engine.errors import InvalidState
from engine.errors import NotFound
from engine.persistence import records
from engine.persistence.models import Attachment
from engine.persistence.models import Comment
from engine.persistence.models import ExtensionRequest
from engine.persistence.models import HumanTask
from engine.persistence.models import Notification
from engine.persistence.queries import collaboration as queries
from engine.runtime.due import end_of_day
from engine.service.access import check_actionable
from engine.service.access import may_view_task
from engine.service.access import visible_task
from engine.service.actors import require_role
from engine.service.base import Core
from engine.service.base import Service
from engine.service.files import store_file
from engine.service.instances import InstanceService
from engine.service.instances import may_see_instance
from engine.service.instances import visible_instance
from engine.service.reminders import URGING_TO_ACT
from engine.service.runs import Change

MAX_COMMENT = 2000
# Notices that tell their reader to act on a task (as opposed to escalations, which tell others).
ACTING_NOTICES = (*URGING_TO_ACT, "returned")


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    instance_id: int
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime

    def reference(self) -> dict[str, Any]:
        """What a form's file field stores."""
        return {"id": self.id, "name": self.name, "sha256": self.sha256, "size": self.size,
                "content_type": self.content_type}


@dataclass(frozen=True)
class ExtensionView:
    id: int
    task_id: int
    task_name: str
    instance_id: int
    title: str
    requested_by: str
    requested_at: datetime
    current_due: datetime
    requested_due: datetime
    reason: str
    status: str
    decided_by: str | None
    decision_note: str | None


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    task_id: int | None
    task_name: str | None
    instance_id: int | None
    title: str | None
    due_at: datetime | None
    sender: str
    message: str
    created_at: datetime
    read: bool
    holder: str | None = None  # who holds the task now (None: it waits to be claimed)
    resolved: bool = False  # its task is done, or now someone else's: nothing left to do about it
    task_openable: bool = True  # the reader may open the task's page (else the notice links the project)
    project_openable: bool = True  # the reader may open the project's page


def _attachment_info(row: Attachment) -> AttachmentInfo:
    return AttachmentInfo(row.id, row.instance_id, row.name, row.content_type, row.size, row.sha256,
                          row.uploaded_by, row.uploaded_at)


class CollaborationService(Service):
    def __init__(self, core: Core, instances: InstanceService) -> None:
        super().__init__(core)
        self.instances = instances

    # -- attachments -------------------------------------------------------------------------

    def upload(self, actor: str, task_id: int, filename: str, data: bytes) -> AttachmentInfo:
        """Store a file for an open task the actor may act on.

        :raises InvalidUpload: empty, too large, not an allowed kind, or content not matching its name.
        :raises NotFound, NotAllowed, TaskAlreadyHandled, TaskClaimedByOther:
        """
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            task, _instance = visible_task(session, user, task_id)
            check_actionable(user, task)
            row = store_file(session, self.settings, task, user.username, filename, data)
            return _attachment_info(row)

    def delete_attachment(self, actor: str, attachment_id: int) -> None:
        """Delete a file one uploaded oneself, while the step it was uploaded for is still open.

        A form that referred to it will ask for the file again.

        :raises NotFound: unknown, or not one's own. :raises InvalidState: once the step was submitted.
        """
        with self.db.write() as session:
            row = session.get(Attachment, attachment_id)
            if row is None or row.uploaded_by != actor:
                raise NotFound(what="Attachment", key=attachment_id)
            task = session.get(HumanTask, row.human_task_id) if row.human_task_id is not None else None
            if task is None or task.status != "open":
                raise InvalidState("This file belongs to a step that has been submitted; it is kept.",
                                   status=task.status if task is not None else "")
            digest = row.sha256
            session.delete(row)
            session.flush()
            queries.drop_unused_blob(session, digest)

    def download(self, actor: str, attachment_id: int) -> tuple[AttachmentInfo, bytes]:
        """A file and its contents, for users who may see its instance. :raises NotFound, NotAllowed:"""
        with self.db.read() as session:
            row = session.get(Attachment, attachment_id)
            if row is None:
                raise NotFound(what="Attachment", key=attachment_id)
            visible_instance(session, self.actor_in(session, actor), row.instance_id)
            data = queries.blob_data(session, row.sha256)
            if data is None:
                raise NotFound(what="Attachment", key=attachment_id)  # its contents are gone
            return _attachment_info(row), data

    # -- comments ----------------------------------------------------------------------------

    def comment(self, actor: str, task_id: int, body: str) -> None:
        """Add a remark to the task's instance. :raises InvalidInput: for an empty or overlong text."""
        body = (body or "").strip()
        if not body or len(body) > MAX_COMMENT:
            raise InvalidInput("A comment needs 1 to 2000 characters.")
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            task, _instance = visible_task(session, user, task_id)
            session.add(Comment(instance_id=task.instance_id, human_task_id=task.id, author=user.username, body=body,
                                created_at=clock.now()))

    # -- extension requests (延期申请) ----------------------------------------------------------

    def request_extension(self, actor: str, task_id: int, new_due: date, reason: str) -> int:
        """Ask to move an open task's due date; only before it falls due, one request at a time.

        :raises InvalidInput: after the due date, for a date not later than the current one, a
            missing reason, or when a request is already pending.
        """
        reason = (reason or "").strip()
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            task, instance = visible_task(session, user, task_id)
            check_actionable(user, task)
            now = clock.now()
            if task.due_at is None:
                raise InvalidInput("This task has no due date.")
            if now >= task.due_at:
                raise InvalidInput("An extension must be requested before the due date.")
            requested = end_of_day(new_due)
            if requested <= task.due_at:
                raise InvalidInput("The new due date must be later than the current one.")
            if not reason or len(reason) > MAX_COMMENT:
                raise InvalidInput("Give the reason for the extension (up to 2000 characters).")
            if queries.pending_extensions(session, task.id):
                raise InvalidInput("An extension request for this task is already waiting for a decision.")
            request = ExtensionRequest(human_task_id=task.id, instance_id=task.instance_id, requested_by=user.username,
                                       requested_at=now, current_due=task.due_at, requested_due=requested,
                                       reason=reason, status="pending")
            session.add(request)
            session.flush()
            change = Change(user.username)
            change.add("extension_requested", task=task, reason=reason, data={"requested_due": requested.isoformat()})
            change.write(session, instance.id)
            return request.id

    def decide_extension(self, actor: str, request_id: int, approve: bool, note: str = "") -> None:
        """The city organisation department grants or refuses an extension.

        :raises NotAllowed: for other roles. :raises InvalidState: when already decided.
        """
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            require_role(user, "city_org")
            request = session.get(ExtensionRequest, request_id)
            if request is None:
                raise NotFound(what="Extension request", key=request_id)
            if request.status != "pending":
                raise InvalidState(status=request.status)
            now = clock.now()
            request.status = "approved" if approve else "refused"
            request.decided_by, request.decided_at, request.decision_note = user.username, now, note or None
            task = session.get(HumanTask, request.human_task_id)
            if task is None:
                raise NotFound(what="Task", key=request.human_task_id)
            session.add(Notification(username=request.requested_by, kind=f"extension_{request.status}",
                                     instance_id=request.instance_id, human_task_id=task.id, message=note or "",
                                     sender=user.username, created_at=now))
            change = Change(user.username)
            change.add(f"extension_{request.status}", task=task, reason=note or None)
            if approve and task.status == "open":
                self._extend(session, task, request.requested_due, change)
            else:
                change.write(session, request.instance_id)

    def _extend(self, session: Session, task: HumanTask, new_due: datetime, change: Change) -> None:
        """Move a task's due date, and every timer on its boundary with it (grace periods, windows)."""
        instance = records.lock_instance(session, task.instance_id)
        delta = new_due - task.due_at if task.due_at is not None else None
        task.due_at = new_due
        task.reminded_at = task.overdue_noticed_at = task.escalated_at = None
        if instance is None or not delta:
            change.write(session, task.instance_id)
            return
        run = self.runs.load(session, instance)
        moved = run.shift_boundary_timers(task.task_guid, delta)
        if moved:
            change.add("timers_moved", task=task, reason="、".join(moved))
        keep = instance.status if instance.status in ("suspended", "error") else None
        self.runs.save(session, instance, run, change, status=keep)

    def extension_requests(self, actor: str, status: str = "pending") -> list[ExtensionView]:
        """Requests to decide (city organisation department) or the actor's own requests."""
        with self.db.read() as session:
            user = self.actor_in(session, actor)
            mine = None if user.has("city_org") else user.username
            return [ExtensionView(r.id, r.human_task_id, name, r.instance_id, title, r.requested_by, r.requested_at,
                                  r.current_due, r.requested_due, r.reason, r.status, r.decided_by, r.decision_note)
                    for r, name, title in queries.extension_requests(session, status, mine)]

    # -- notices -------------------------------------------------------------------------------

    def notifications(self, actor: str, unread_only: bool = True, limit: int = 20,
                      offset: int = 0) -> list[NotificationView]:
        """The actor's notices, newest first, each once (a repeat of the same kind about the same
        task is left out). ``unread_only``: what still needs attention, the inbox's list: unread,
        and about a task still open and not someone else's now; otherwise every notice, read and
        resolved included (the notices page)."""
        with self.db.read() as session:
            user = self.actor_in(session, actor)
            views, seen = [], set()
            for n, task, instance in queries.notices(session, user.username, unread_only, (offset + limit) * 3 + 30):
                name, due, status, holder = (task.name, task.due_at, task.status, task.holder) if task else (None,) * 4
                key = (n.kind, n.human_task_id or f"n{n.id}")
                if key in seen:
                    continue
                seen.add(key)
                # Told to act on it, and now it is someone else's (claimed, reassigned): resolved for them.
                # An escalation stays with the leaders and supervisors until the task is done.
                reassigned = holder is not None and holder != user.username and n.kind in ACTING_NOTICES
                resolved = n.human_task_id is not None and (status != "open" or reassigned)
                if unread_only and resolved:
                    continue
                path = instance.unit_path if instance is not None else None
                views.append(NotificationView(
                    n.id, n.kind, n.human_task_id, name, n.instance_id, instance.title if instance else None, due,
                    n.sender, n.message, n.created_at, n.read_at is not None, holder, resolved,
                    task is not None and may_view_task(user, task, path),
                    instance is not None and may_see_instance(session, user, instance)))
            return views[offset:offset + limit]

    def mark_read(self, actor: str, notification_ids: list[int] | None = None) -> None:
        """Mark the actor's notifications read (all of them when no ids are given)."""
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            queries.mark_notices_read(session, user.username, notification_ids, clock.now())

    # -- starting ----------------------------------------------------------------------------

    def startable_processes(self, actor: str) -> list[tuple[str, str, str | None]]:
        """(process id, name, why not now or None) of the latest startable versions the actor's roles
        may start; a refusal (a quota that is full) is shown on the button before anything is written."""
        with self.db.read() as session:
            user = self.actor_in(session, actor)
            out = []
            for version in queries.latest_startable_versions(session):
                model = self.runs.model(session, version.id)
                if not model.starter_roles or user.has(*model.starter_roles):
                    out.append((version.process_id, version.name, self.instances.start_refusal(session, model, user)))
            return out
