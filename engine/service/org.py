"""Use cases of the organisation: units, users and roles, and the directory pages show names from."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine import clock
from engine.errors import Conflict
from engine.errors import InvalidInput
from engine.errors import NotAllowed
from engine.errors import NotFound
from engine.passwords import hash_password
from engine.passwords import random_password
from engine.persistence.models import ReferenceData
from engine.persistence.models import Unit
from engine.persistence.models import User
from engine.persistence.models import UserRole
from engine.persistence.queries import org as org_queries
from engine.roles import ROLE_CODES
from engine.service.actors import Actor
from engine.service.actors import require_role
from engine.service.base import Core
from engine.service.base import Service

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
UNIT_KINDS = ("city", "county", "township", "village", "community", "department", "enterprise", "unit")
MIN_PASSWORD = 8


@dataclass(frozen=True)
class UnitInfo:
    code: str
    name: str
    kind: str
    parent_code: str | None
    path: str


@dataclass(frozen=True)
class Directory:
    """username → (display name, unit name); unit code → unit name."""

    people: dict[str, tuple[str, str]]
    units: dict[str, str]


@dataclass(frozen=True)
class UserInfo:
    username: str
    display_name: str
    unit_code: str
    unit_name: str
    roles: tuple[str, ...]
    active: bool
    language: str | None = None


def _unit_info(unit: Unit) -> UnitInfo:
    return UnitInfo(unit.code, unit.name, unit.kind, unit.parent_code, unit.path)


def _user_info(user: User) -> UserInfo:
    return UserInfo(user.username, user.display_name, user.unit_code, user.unit.name,
                    tuple(sorted(user.role_codes)), user.active, user.language)


def check_password_rule(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("The password needs at least %(count)s characters.", count=MIN_PASSWORD)


class OrgService(Service):
    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self._directory: tuple[Directory, float] | None = None
        core.actors.when_forgotten(self._forget_directory)

    def _forget_directory(self) -> None:
        self._directory = None

    def add_unit(self, code: str, name: str, parent: str | None = None, kind: str = "unit",
                 sort_order: int = 0) -> UnitInfo:
        """Add a unit under ``parent``.

        :raises InvalidInput: for a malformed code, an empty name or an unknown kind.
        :raises NotFound: when the parent does not exist.
        :raises Conflict: when the code is taken.
        """
        if not CODE_PATTERN.match(code or ""):
            raise InvalidInput("A unit code has 1-32 letters, digits, '-' or '_'.")
        if not (name or "").strip():
            raise InvalidInput("A unit needs a name.")
        if kind not in UNIT_KINDS:
            raise InvalidInput("Unknown unit kind %(kind)s; use one of %(kinds)s.", kind=kind,
                               kinds=", ".join(UNIT_KINDS))
        with self.db.write() as session:
            if session.get(Unit, code) is not None:
                raise Conflict("Unit %(code)s already exists.", code=code)
            parent_unit = session.get(Unit, parent) if parent else None
            if parent and parent_unit is None:
                raise NotFound(what="Unit", key=parent)
            path = (parent_unit.path if parent_unit else "/") + code + "/"
            unit = Unit(code=code, name=name.strip(), kind=kind, parent_code=parent, path=path, sort_order=sort_order)
            session.add(unit)
            info = _unit_info(unit)
        self.core.actors.forget()  # names, scopes and sole holders of tasks may change with it
        return info

    def directory(self) -> Directory:
        """Display names and units of everyone, and unit names: what pages show instead of codes.

        Kept for ``actor_cache_seconds`` (a new user's name shows within seconds everywhere).
        """
        now = time.monotonic()
        cached = self._directory
        if cached is not None and cached[1] > now:
            return cached[0]
        with self.db.read() as session:
            units = {code: name for code, name in session.execute(select(Unit.code, Unit.name))}
            people = {username: (display or username, units.get(unit_code, ""))
                      for username, display, unit_code in session.execute(
                          select(User.username, User.display_name, User.unit_code))}
        directory = Directory(people, units)
        self._directory = (directory, now + self.settings.actor_cache_seconds)
        return directory

    def units(self) -> list[UnitInfo]:
        with self.db.read() as session:
            return [_unit_info(u) for u in session.scalars(select(Unit).order_by(Unit.path))]

    def add_user(self, username: str, unit: str, roles: list[str], password: str | None = None,
                 display_name: str = "") -> tuple[UserInfo, str | None]:
        """Add a user; returns the user and the generated password when none was given.

        :raises InvalidInput: for a malformed name, an unknown role or a short password.
        :raises NotFound: when the unit does not exist.
        :raises Conflict: when the user name is taken.
        """
        if not USERNAME_PATTERN.match(username or ""):
            raise InvalidInput("A user name has 2-64 letters, digits, '.', '-' or '_'.")
        unknown = sorted(set(roles) - ROLE_CODES)
        if unknown or not roles:
            raise InvalidInput("Unknown role(s) %(roles)s; use %(known)s.", roles=", ".join(unknown) or "-",
                               known=", ".join(sorted(ROLE_CODES)))
        generated = None
        if password is None:
            password = generated = random_password()
        check_password_rule(password)
        with self.db.write() as session:
            if session.get(Unit, unit) is None:
                raise NotFound(what="Unit", key=unit)
            if org_queries.user_by_name(session, username) is not None:
                raise Conflict("User %(user)s already exists.", user=username)
            user = User(username=username, display_name=display_name or username, unit_code=unit,
                        password_hash=hash_password(password), active=True,
                        created_at=clock.now(), roles=[UserRole(role=r) for r in sorted(set(roles))])
            session.add(user)
            session.flush()
            session.refresh(user)
            info = _user_info(user)
        self.core.actors.forget()  # a second holder of a role: its new tasks wait to be claimed
        return info, generated

    def update_user(self, actor: str, username: str, display_name: str, unit: str, roles: list[str]) -> UserInfo:
        """An administrator changes a user's name, unit and roles. Tasks they already hold stay theirs;
        new tasks follow the new unit and roles.

        :raises InvalidInput: for an empty name or unknown or no roles. :raises NotFound: for an unknown
            user or unit. :raises NotAllowed: unless the actor is an administrator; nobody removes
            their own administrator role.
        """
        display_name = (display_name or "").strip()[:100]
        if not display_name:
            raise InvalidInput("A user needs a name.")
        unknown = sorted(set(roles) - ROLE_CODES)
        if unknown or not roles:
            raise InvalidInput("Unknown role(s) %(roles)s; use %(known)s.", roles=", ".join(unknown) or "-",
                               known=", ".join(sorted(ROLE_CODES)))
        with self.db.write() as session:
            admin = self.actor_in(session, actor)
            require_role(admin, "admin")
            if username == admin.username and "admin" not in roles:
                raise NotAllowed("You cannot remove your own administrator role.")
            user = org_queries.user_by_name(session, username)
            if user is None:
                raise NotFound(what="User", key=username)
            if session.get(Unit, unit) is None:
                raise NotFound(what="Unit", key=unit)
            user.display_name, user.unit_code = display_name, unit
            kept = {role.role: role for role in user.roles}
            user.roles = [kept.get(code) or UserRole(role=code) for code in sorted(set(roles))]
            session.flush()
            session.refresh(user)
            info = _user_info(user)
        self.core.actors.forget()  # scopes, names and sole holders follow the change
        return info

    def users(self, actor: str) -> list[UserInfo]:
        """All users (administrators only)."""
        with self.db.read() as session:
            require_role(self.actor_in(session, actor), "admin")
            return [_user_info(u) for u in session.scalars(select(User).order_by(User.username))]

    def user(self, username: str) -> UserInfo:
        with self.db.read() as session:
            user = org_queries.user_by_name(session, username)
            if user is None:
                raise NotFound(what="User", key=username)
            return _user_info(user)

    def actor(self, username: str) -> Actor:
        """The active user as an Actor. :raises NotAllowed: for unknown or inactive users."""
        with self.db.read() as session:
            return self.actor_in(session, username)

    def set_reference(self, actor: str, key: str, value: Any) -> None:
        """Store configuration diagrams read with ``reference(key)`` (administrators only)."""
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            require_role(user, "admin")
            row = session.get(ReferenceData, key)
            if row is None:
                session.add(ReferenceData(key=key, value=value, updated_by=user.username, updated_at=clock.now()))
            else:
                row.value, row.updated_by, row.updated_at = value, user.username, clock.now()

    def reference(self, key: str) -> Any:
        """A stored configuration value, or None."""
        with self.db.read() as session:
            row = session.get(ReferenceData, key)
            return row.value if row is not None else None

    def set_language(self, username: str, language: str) -> None:
        with self.db.write() as session:
            user = org_queries.user_by_name(session, username)
            if user is not None:
                user.language = language
