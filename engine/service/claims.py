"""Use cases on who holds a task: claim it from the group, give it back, hand it to someone else."""

from __future__ import annotations

from engine import clock
from engine.errors import InvalidInput
from engine.errors import InvalidState
from engine.errors import NotAllowed
from engine.errors import TaskAlreadyHandled
from engine.persistence import records
from engine.persistence.models import Notification
from engine.service.access import check_actionable
from engine.service.access import check_visible
from engine.service.access import locked_task
from engine.service.access import reassign_candidates
from engine.service.access import stamp
from engine.service.actors import require_role
from engine.service.base import Service
from engine.service.idempotency import Keyed
from engine.service.idempotency import keyed
from engine.service.idempotency import once
from engine.service.idempotency import record
from engine.service.instances import REPAIRERS
from engine.service.instances import required_reason
from engine.service.runs import Change


class ClaimService(Service):
    def claim(self, actor: str, task_id: int, idempotency_key: str | None = None) -> None:
        """Take a group task for yourself; with ``idempotency_key``, once (see ``engine.service.idempotency``).

        :raises NotFound, NotAllowed, TaskAlreadyHandled, TaskClaimedByOther:
        :raises IdempotencyKeyReused, RequestInProgress: for a key used otherwise, or in use.
        """
        request = keyed(idempotency_key, "claim", task_id)
        once(self.db, actor, request, lambda: self._claim(actor, task_id, request), lambda _outcome: None)

    def _claim(self, actor: str, task_id: int, request: Keyed | None) -> None:
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            task, instance = locked_task(session, task_id)
            check_visible(user, task)
            check_actionable(user, task)
            if task.assignee:
                raise InvalidState("This task is assigned to %(user)s and cannot be claimed.", user=task.assignee)
            records.update_task(session, task.id, {"claimed_by": user.username, "claimed_at": clock.now(),
                                                   "holder": user.username})
            change = Change(user.username)
            change.add("claimed", task=task)
            change.write(session, instance.id)
            record(session, user.username, request, None)

    def unclaim(self, actor: str, task_id: int, idempotency_key: str | None = None) -> None:
        """Give a claimed task back to the group; with ``idempotency_key``, once.

        :raises NotAllowed: unless you hold it.
        :raises IdempotencyKeyReused, RequestInProgress: for a key used otherwise, or in use.
        """
        request = keyed(idempotency_key, "unclaim", task_id)
        once(self.db, actor, request, lambda: self._unclaim(actor, task_id, request), lambda _outcome: None)

    def _unclaim(self, actor: str, task_id: int, request: Keyed | None) -> None:
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            task, instance = locked_task(session, task_id)
            check_visible(user, task)
            if task.status != "open":
                raise TaskAlreadyHandled(by=task.completed_by or "系统", at=stamp(task.completed_at))
            if task.claimed_by != user.username:
                raise NotAllowed("Only the user who claimed this task can release it.")
            holder = task.assignee or self.runs.sole_holder(session, task.role, task.scope_path)
            records.update_task(session, task.id, {"claimed_by": None, "claimed_at": None, "holder": holder})
            change = Change(user.username)
            change.add("unclaimed", task=task)
            change.write(session, instance.id)
            record(session, user.username, request, None)

    def reassign(self, actor: str, task_id: int, to: str, reason: str | None) -> None:
        """Hand an open task to ``to`` (who must hold the task's role), with the reason: it becomes
        theirs alone, is audited on the project's timeline, and they get a notice.

        :raises InvalidInput: without a reason, or for a user who may not take the task.
        :raises NotAllowed: unless the actor is city_org or an administrator.
        :raises NotFound, TaskAlreadyHandled:
        """
        reason = required_reason(reason)
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            require_role(user, *REPAIRERS)
            task, instance = locked_task(session, task_id)
            if task.status != "open":
                raise TaskAlreadyHandled(by=task.completed_by or "系统", at=stamp(task.completed_at))
            if to not in reassign_candidates(session, task):
                raise InvalidInput("The user %(user)s may not take this task: they do not hold its role.", user=to)
            if to == task.holder:
                raise InvalidInput("The user %(user)s already holds this task.", user=to)
            records.update_task(session, task.id, {"assignee": to, "claimed_by": None, "claimed_at": None,
                                                   "holder": to})
            session.add(Notification(username=to, kind="reassigned", instance_id=instance.id, human_task_id=task.id,
                                     message=reason, sender=user.username, created_at=clock.now()))
            change = Change(user.username)
            change.add("reassigned", task=task, reason=reason, data={"from": task.holder, "to": to})
            change.write(session, instance.id)

