"""Who is acting, and what they may see and do."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine.errors import NotAllowed
from engine.persistence.models import HumanTask
from engine.persistence.queries import inbox
from engine.persistence.queries import org
from engine.persistence.records import TaskRecord
from engine.roles import CITY_WIDE_ROLES

SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    username: str
    display_name: str
    unit_code: str
    unit_path: str
    roles: frozenset[str]

    @property
    def viewer(self) -> inbox.Viewer:
        return inbox.Viewer(self.username, self.roles, self.unit_path, CITY_WIDE_ROLES)

    @property
    def city_wide(self) -> bool:
        return bool(self.roles & CITY_WIDE_ROLES)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def sees_unit(self, path: str | None) -> bool:
        """True when a unit with ``path`` is the actor's unit or below it, or the actor is city-wide."""
        return self.city_wide or (path is not None and path.startswith(self.unit_path))

    def may_act_on(self, task: HumanTask | TaskRecord) -> bool:
        """The engine's rule for acting on a task (the inbox query mirrors it in SQL)."""
        if task.assignee:
            return task.assignee == self.username
        if task.role not in self.roles:
            return False
        if task.role in CITY_WIDE_ROLES:
            return True
        return task.scope_path is not None and task.scope_path.startswith(self.unit_path)


SYSTEM_ACTOR = Actor(SYSTEM, "系统", "", "/", frozenset())


def load_actor(session: Session, username: str) -> Actor:
    """The active user ``username`` as an Actor.

    :raises NotAllowed: when there is no such active user.
    """
    if username == SYSTEM:
        return SYSTEM_ACTOR
    user = org.user_with_roles(session, username)
    if user is None or not user.active:
        raise NotAllowed("Unknown or inactive user %(user)s.", user=username)
    return Actor(user.username, user.display_name or user.username, user.unit_code, user.unit.path,
                 frozenset(user.role_codes))


def require_role(actor: Actor, *roles: str) -> None:
    """:raises NotAllowed: unless the actor holds one of ``roles``."""
    if not actor.has(*roles):
        raise NotAllowed("This needs one of the roles: %(roles)s.", roles=", ".join(roles))
