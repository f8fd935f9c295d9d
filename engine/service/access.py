"""Who may see and act on a task, and which projects one reads: the checks the use cases share."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidState
from engine.errors import NotAllowed
from engine.errors import NotFound
from engine.errors import TaskAlreadyHandled
from engine.errors import TaskClaimedByOther
from engine.persistence import records
from engine.persistence.models import HumanTask
from engine.persistence.models import ProcessInstance
from engine.persistence.models import User
from engine.persistence.queries import org
from engine.persistence.queries.scope import ProjectScope
from engine.roles import CITY_WIDE_ROLES
from engine.service.actors import Actor

# Who reads any step's page (and may urge its holders): the city's supervising roles.
TASK_READERS = ("supervisor", "admin", "city_org")
# Who reads the ledger: city-wide staff see every project, a county organisation department its subtree.
CITY_READERS = ("supervisor", "city_org", "admin")
LEDGER_ROLES = (*CITY_READERS, "county_org")


def ledger_path(actor: Actor) -> str | None:
    """The unit path whose subtree's projects ``actor`` reads in the ledger; None for the whole city.

    :raises NotAllowed: when the actor holds none of ``LEDGER_ROLES``.
    """
    if actor.has(*CITY_READERS):
        return None
    if actor.has(*LEDGER_ROLES):
        return actor.unit_path
    raise NotAllowed(action="read the project ledger", by=actor.username)


def project_scope(actor: Actor) -> ProjectScope:
    """Projects ``actor`` sees in the ledger, the matrix and 卡点分析: for the ledger's readers their
    scope; for everyone else their own projects (我的项目): those they started or are responsible
    for, and, for a unit's staff, the unit's (the projects ``visible_instance`` lets them open)."""
    if not actor.has(*LEDGER_ROLES):
        # A panel member is city-wide: not every project of the city, only their own.
        return ProjectScope(path=None if actor.city_wide else actor.unit_path, own=actor.username)
    return ProjectScope(path=ledger_path(actor))


def visible_task(session: Session, actor: Actor, task_id: int) -> tuple[HumanTask, ProcessInstance]:
    """The task if the actor may see it (see :func:`may_view_task`).

    :raises NotFound, NotAllowed:
    """
    task = session.get(HumanTask, task_id)
    instance = session.get(ProcessInstance, task.instance_id) if task is not None else None
    if task is None or instance is None:  # a task's instance is there (a foreign key): None is no task
        raise NotFound(what="Task", key=task_id)
    check_visible(actor, task, instance.unit_path)
    return task, instance


def locked_task(session: Session, task_id: int) -> tuple[records.TaskRecord, records.InstanceRecord]:
    """A task and its instance, both rows locked (see ``records.lock_task``). :raises NotFound:"""
    found = records.lock_task(session, task_id)
    if found is None:
        raise NotFound(what="Task", key=task_id)
    return found


def may_view_task(actor: Actor, task: HumanTask | records.TaskRecord, instance_path: str | None = None) -> bool:
    """True when the actor may open the task's page: they may act on it or did it, they supervise
    city-wide (督查, 市委组织部, administrators), or it belongs to a project of their county (县(区)委组织部,
    ``instance_path`` in their subtree). Every link to a step is drawn only for these readers."""
    if actor.may_act_on(task) or actor.username in (task.completed_by, task.claimed_by, task.holder):
        return True
    if actor.has(*TASK_READERS):
        return True
    return actor.has("county_org") and instance_path is not None and actor.sees_unit(instance_path)


def check_visible(actor: Actor, task: HumanTask | records.TaskRecord, instance_path: str | None = None) -> None:
    """:raises NotAllowed: unless :func:`may_view_task`."""
    if not may_view_task(actor, task, instance_path):
        raise NotAllowed("This task is not yours to handle.")


def check_actionable(actor: Actor, task: HumanTask | records.TaskRecord) -> None:
    """Unless the actor may complete the task now:

    :raises InvalidState, TaskAlreadyHandled, NotAllowed, TaskClaimedByOther:
    """
    if task.status == "suspended":
        raise InvalidState(status="suspended")
    if task.status != "open":
        raise TaskAlreadyHandled(by=task.completed_by or "系统", at=stamp(task.completed_at))
    if not actor.may_act_on(task) and task.holder != actor.username:
        raise NotAllowed("This task is not yours to handle.")
    if task.holder and task.holder != actor.username:
        raise TaskClaimedByOther(by=task.holder)


def stamp(moment: datetime | None) -> datetime | str:
    """A moment for a message (the web shows it as 2008年3月1日 10:00); '' when there is none."""
    return moment if moment is not None else ""


def reassign_candidates(session: Session, task: HumanTask | records.TaskRecord) -> list[str]:
    """Who may be handed ``task``: the holders of its role in its scope; for a task without a role,
    the active users of its assignee's unit. Never someone who holds, or has done, another instance of
    the same step in the same run (a panel member scoring the project already): nobody votes twice."""
    if task.role:
        candidates = org.holders_in_scope(session, task.role, task.scope_path, task.role in CITY_WIDE_ROLES)
    else:
        unit = session.scalar(select(User.unit_code).where(User.username == task.assignee)) if task.assignee else None
        if unit is None:
            return []
        candidates = sorted(session.scalars(select(User.username).where(User.unit_code == unit,
                                                                         User.active.is_(True))))
    taken = _sibling_holders(session, task)
    return [username for username in candidates if username not in taken]


def _sibling_holders(session: Session, task: HumanTask | records.TaskRecord) -> set[str]:
    """Who holds an open sibling of ``task`` (same step, same run of its process), or did one since
    ``task`` started (the other sheets of one multi-instance step)."""
    same_step = select(HumanTask.holder, HumanTask.completed_by, HumanTask.status).where(
        HumanTask.instance_id == task.instance_id, HumanTask.bpmn_id == task.bpmn_id, HumanTask.id != task.id,
        HumanTask.run_key.is_(None) if task.run_key is None else HumanTask.run_key == task.run_key,
        (HumanTask.status != "completed") | (HumanTask.completed_at >= task.created_at))
    taken: set[str] = set()
    for holder, completed_by, status in session.execute(same_step):
        if status in ("open", "suspended") and holder:
            taken.add(holder)
        if completed_by:
            taken.add(completed_by)
    return taken
