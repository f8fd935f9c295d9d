"""Moving running projects onto a newer version of their process, after a preview; audited, and
undone on request while nothing has run on the new version."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import InvalidState
from engine.errors import NotFound
from engine.persistence import records
from engine.persistence.models import OPEN_STATUSES
from engine.persistence.models import InstanceArchive
from engine.persistence.models import InstanceEvent
from engine.persistence.models import ProcessInstance
from engine.persistence.models import ProcessVersion
from engine.runtime import version_change
from engine.runtime.workflow import ProcessRun
from engine.service.actors import require_role
from engine.service.base import Service
from engine.service.instances import MIGRATION_ARCHIVE
from engine.service.instances import lock_instance
from engine.service.instances import required_reason
from engine.service.runs import Change

# Events after a migration that mean the instance has run on the new version: it cannot go back.
RAN = ("task_completed", "timer_fired", "completed", "milestone")


@dataclass(frozen=True)
class VersionChangePlan:
    """What moving one instance means: where it stands, what it will do next on the new version,
    or why it cannot move."""

    instance_id: int
    title: str
    unit_code: str | None
    from_version: int
    to_version: int
    now_at: list[str]
    next_steps: list[str]
    refusals: list[tuple[str, str]]  # (reason, what it concerns): see runtime.version_change; would_fail
    moved: bool = False


def _steps(run: ProcessRun) -> list[str]:
    return [step.name for step in run.snapshot().steps]


class VersionChangeService(Service):
    def _target(self, session: Session, process_id: str, version: int) -> ProcessVersion:
        found = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                             ProcessVersion.version == version)).first()
        if found is None:
            raise NotFound(what="Process version", key=f"{process_id} {version}")
        return found

    def _candidates(self, session: Session, process_id: str, target: ProcessVersion,
                    instance_ids: list[int] | None) -> list[ProcessInstance]:
        query = (select(ProcessInstance).where(ProcessInstance.process_id == process_id,
                                               ProcessInstance.status.in_(OPEN_STATUSES),
                                               ProcessInstance.version_id != target.id,
                                               ProcessInstance.parent_id.is_(None))
                 .order_by(ProcessInstance.id))
        if instance_ids is not None:
            query = query.where(ProcessInstance.id.in_(instance_ids))
        return list(session.scalars(query))

    def _plan(self, session: Session, instance: ProcessInstance | records.InstanceRecord,
              target: ProcessVersion) -> tuple[VersionChangePlan, ProcessRun | None]:
        """The plan for one instance and, when it may move, its run already moved (not saved)."""
        run = self.runs.load(session, instance)
        model = self.runs.model(session, target.id)
        number = self.runs.version_info(session, instance.version_id)[2]
        now_at, refusals = _steps(run), version_change.version_change_refusals(run.workflow, model)
        plan = VersionChangePlan(instance.id, instance.title, instance.unit_code, number, target.version, now_at, [],
                             refusals)
        if refusals:
            return plan, None
        version_change.change_version(run.workflow, model)
        moved = ProcessRun(model, run.workflow, helpers=self.runs.functions(session, instance.id),
                           cpu_seconds=self.settings.script_cpu_seconds, isolated=self.settings.isolate_scripts)
        moved.advance()
        if moved.error is not None:
            return VersionChangePlan(**{**plan.__dict__, "refusals": [("would_fail", moved.error.message)]}), None
        return VersionChangePlan(**{**plan.__dict__, "next_steps": _steps(moved)}), moved

    def version_change_preview(self, actor: str, process_id: str, version: int,
                          instance_ids: list[int] | None = None) -> list[VersionChangePlan]:
        """For each open project of ``process_id`` on another version (or those of ``instance_ids``):
        where it stands, the steps it will have open on ``version``, or why it cannot move.
        Nothing is stored.

        :raises NotAllowed: unless the actor is an administrator. :raises NotFound:
        """
        with self.db.read() as session:
            require_role(self.actor_in(session, actor), "admin")
            target = self._target(session, process_id, version)
            return [self._plan(session, instance, target)[0]
                    for instance in self._candidates(session, process_id, target, instance_ids)]

    def change_version(self, actor: str, process_id: str, version: int, instance_ids: list[int],
                          reason: str | None) -> list[VersionChangePlan]:
        """Move each of ``instance_ids`` onto ``version``, one transaction each; those that cannot
        move are left as they are and returned with the reason. The state before is kept so that
        :meth:`revert_version_change` can undo it.

        :raises InvalidInput: without a reason. :raises NotAllowed: unless the actor is an administrator.
        """
        reason = required_reason(reason)
        results = []
        for instance_id in instance_ids:
            with self.db.write() as session:
                user = self.actor_in(session, actor)
                require_role(user, "admin")
                target = self._target(session, process_id, version)
                instance = lock_instance(session, instance_id)
                if instance.process_id != process_id or instance.status not in OPEN_STATUSES \
                        or instance.version_id == target.id:
                    continue
                since = time.time()
                plan, moved = self._plan(session, instance, target)
                if moved is None:
                    results.append(plan)
                    continue
                records.insert_archive(session, [{
                    "instance_id": instance.id, "kind": MIGRATION_ARCHIVE, "process": process_id,
                    "part_key": str(instance.version_id), "archived_at": clock.now(),
                    "content": json.dumps({"version_id": instance.version_id, "state": instance.state})}])
                change = Change(user.username)
                change.add("migrated", reason=reason, data={"from": plan.from_version, "to": plan.to_version})
                self.runs.save(session, instance, moved, change, since=since, version_id=target.id)
                results.append(VersionChangePlan(**{**plan.__dict__, "moved": True}))
        return results

    def revert_version_change(self, actor: str, instance_id: int, reason: str | None) -> None:
        """Put an instance back on the version it had before its last migration, as it was then.

        :raises InvalidState: when it was never migrated, or something has run on the new version
            since (a step completed, a timer fired). :raises InvalidInput, NotAllowed:
        """
        reason = required_reason(reason)
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            require_role(user, "admin")
            instance = lock_instance(session, instance_id)
            migrated = session.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance_id,
                                                                   InstanceEvent.kind == "migrated")
                                       .order_by(InstanceEvent.id.desc()).limit(1)).first()
            saved = session.scalars(select(InstanceArchive).where(InstanceArchive.instance_id == instance_id,
                                                                  InstanceArchive.kind == MIGRATION_ARCHIVE)
                                    .order_by(InstanceArchive.id.desc()).limit(1)).first()
            if migrated is None or saved is None:
                raise InvalidState("This project was never moved to another version.", status="")
            if session.scalar(select(InstanceEvent.id).where(InstanceEvent.instance_id == instance_id,
                                                             InstanceEvent.id > migrated.id,
                                                             InstanceEvent.kind.in_(RAN)).limit(1)):
                raise InvalidState("Steps have run on the new version since the move: it can no longer be undone.",
                                   status="")
            before = json.loads(saved.content)
            instance.version_id = before["version_id"]
            instance.state = before["state"]
            run = self.runs.load(session, instance)
            change = Change(user.username)
            change.add("migration_reverted", reason=reason, data=migrated.data)
            self.runs.save(session, instance, run, change, version_id=before["version_id"])
            session.delete(saved)
