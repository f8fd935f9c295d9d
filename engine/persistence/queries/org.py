"""Users and units: who a name or an API token is, a unit's path, who holds a role in a scope."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import joinedload

from engine.persistence.bookkeeping import ApiToken
from engine.persistence.models import Unit
from engine.persistence.models import User
from engine.persistence.models import UserRole

_USER_BY_TOKEN = (select(User.username, ApiToken.expires_at).join(ApiToken, ApiToken.username == User.username)
                  .where(ApiToken.digest == bindparam("digest"), ApiToken.revoked_at.is_(None),
                         ApiToken.expires_at > bindparam("now"), User.active.is_(True)))


def user_by_token(session: Session, digest: str, now: datetime) -> tuple[str, datetime] | None:
    """The active user whose unrevoked, unexpired API token has this digest, and when the token
    expires; None when there is none."""
    row = session.connection().execute(_USER_BY_TOKEN, {"digest": digest, "now": now}).first()
    return (row[0], row[1]) if row is not None else None


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def user_with_roles(session: Session, username: str) -> User | None:
    """The user, their unit and roles in one query."""
    query = select(User).options(joinedload(User.roles)).where(User.username == username)
    return session.scalars(query).unique().first()


def unit_path(session: Session, code: str | None) -> str | None:
    if not code:
        return None
    return session.scalar(select(Unit.path).where(Unit.code == code))


def holders_in_scope(session: Session, role: str, scope_path: str | None, city_wide: bool) -> list[str]:
    """User names holding ``role`` whose unit contains ``scope_path`` (every holder when city-wide)."""
    query = select(User.username).join(UserRole, UserRole.user_id == User.id).join(Unit, Unit.code == User.unit_code)
    query = query.where(UserRole.role == role, User.active.is_(True))
    names = []
    for username, path in session.execute(query.add_columns(Unit.path)).all():
        if city_wide or (scope_path is not None and scope_path.startswith(path)):
            names.append(username)
    return sorted(set(names))
