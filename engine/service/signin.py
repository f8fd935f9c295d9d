"""Signing in and staying signed in: passwords, sessions that can be ended, API tokens.

* **Sign-in** costs one scrypt check and says "wrong user name or password" whether or not the
  user exists. Failures are counted per user name *and client address*: after five, that pair
  waits, one minute doubling with every further failure up to an hour, while the same account can
  still sign in from elsewhere (nobody can lock the administrator out from their own desk).
* **Sessions** carry the user's ``session_version``; signing out, changing or resetting the
  password and deactivation raise it, which ends every session of that user at once.
* **API tokens** are named, listed, expire (90 days unless asked otherwise, at most a year) and can be
  revoked; a password change, reset or deactivation revokes them all. Only digests are stored.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import AccountLocked
from engine.errors import InvalidInput
from engine.errors import LoginFailed
from engine.errors import NotAllowed
from engine.errors import NotAuthenticated
from engine.errors import NotFound
from engine.passwords import check_password
from engine.passwords import hash_password
from engine.passwords import random_password
from engine.persistence.bookkeeping import ApiToken
from engine.persistence.bookkeeping import LoginThrottle
from engine.persistence.models import User
from engine.persistence.queries import org
from engine.service.actors import Actor
from engine.service.actors import require_role
from engine.service.base import Core
from engine.service.base import Service
from engine.service.org import check_password_rule

FREE_FAILURES = 5
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
TOKEN_DAYS, LONGEST_TOKEN_DAYS = 90, 365
# Checked when the user name is unknown, so that a wrong name costs what a wrong password does.
_DECOY_HASH = hash_password(secrets.token_hex(16))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    actor: Actor
    session_version: int


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    @property
    def usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > clock.now()


def _wait_after(failures: int) -> timedelta | None:
    """How long a user name and address wait after ``failures`` failed sign-ins in a row."""
    if failures < FREE_FAILURES:
        return None
    return min(FIRST_WAIT * (1 << (failures - FREE_FAILURES)), LONGEST_WAIT)


class SignInService(Service):
    def __init__(self, core: Core) -> None:
        super().__init__(core)
        # API token digest: (username, remembered until (monotonic), the token's expiry)
        self._tokens: dict[str, tuple[str, float, datetime]] = {}
        core.actors.when_forgotten(self._tokens.clear)

    def authenticate(self, username: str, password: str, address: str = "") -> SignedIn:
        """Check a sign-in from client ``address``.

        :raises LoginFailed: wrong name or password (the same message, and the same cost, for both).
        :raises AccountLocked: while this name and address wait after repeated failures.
        """
        username, address = (username or "")[:64], (address or "")[:64]
        now = clock.now()
        with self.db.write() as session:
            throttle = session.get(LoginThrottle, (username, address))
            if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
                raise AccountLocked(until=throttle.locked_until.astimezone(clock.BUSINESS_TZ).strftime("%H:%M"))
            user = org.user_by_name(session, username)
            known = user if user is not None and user.active else None
            matches = check_password(known.password_hash if known is not None else _DECOY_HASH, password or "")
            if known is not None and matches:
                if throttle is not None:
                    session.delete(throttle)
                return SignedIn(self.actor_in(session, username), known.session_version)
            self._count_failure(session, throttle, username, address, now)
        raise LoginFailed()

    @staticmethod
    def _count_failure(session: Session, throttle: LoginThrottle | None, username: str, address: str,
                       now: datetime) -> None:
        if throttle is None:
            throttle = LoginThrottle(username=username, address=address, failures=0, last_failure=now)
            session.add(throttle)
        throttle.failures += 1
        throttle.last_failure = now
        wait = _wait_after(throttle.failures)
        throttle.locked_until = now + wait if wait is not None else None

    def session_actor(self, username: str, version: int | None) -> Actor:
        """The signed-in user of a session that carries ``version``.

        :raises NotAllowed: when the session was ended (or the user deactivated or removed).
        """
        with self.db.read() as session:
            row = session.execute(select(User.session_version, User.active).where(User.username == username)).first()
            if row is None or not row.active or row.session_version != version:
                raise NotAllowed("Your session has ended. Please sign in again.")
            return self.actor_in(session, username)

    def end_sessions(self, username: str) -> None:
        """Sign ``username`` out everywhere (every browser; API tokens stay)."""
        with self.db.write() as session:
            self._end_sessions(session, username, revoke_tokens=False)

    @staticmethod
    def _end_sessions(session: Session, username: str, revoke_tokens: bool) -> int:
        user = org.user_by_name(session, username)
        if user is None:
            raise NotFound(what="User", key=username)
        user.session_version += 1
        if revoke_tokens:
            session.execute(update(ApiToken).where(ApiToken.username == username, ApiToken.revoked_at.is_(None))
                            .values(revoked_at=clock.now()))
        return user.session_version

    def change_password(self, username: str, old: str, new: str) -> int:
        """Change one's own password; ends every other session and revokes the API tokens.

        Returns the new session version, for the session that made the change to stay signed in.

        :raises LoginFailed: when ``old`` is wrong. :raises InvalidInput: for a short ``new``.
        """
        check_password_rule(new)
        with self.db.write() as session:
            user = org.user_by_name(session, username)
            if user is None or not check_password(user.password_hash, old):
                raise LoginFailed()
            user.password_hash = hash_password(new)
            version = self._end_sessions(session, username, revoke_tokens=True)
        self.core.actors.forget()
        return version

    def reset_password(self, actor: str, username: str, new: str | None = None) -> str:
        """An administrator sets a new password (generated when not given); the user's sessions end,
        their tokens are revoked and their sign-in waits are lifted."""
        password = new or random_password()
        check_password_rule(password)
        with self.db.write() as session:
            require_role(self.actor_in(session, actor), "admin")
            user = org.user_by_name(session, username)
            if user is None:
                raise NotFound(what="User", key=username)
            user.password_hash = hash_password(password)
            self._end_sessions(session, username, revoke_tokens=True)
            for throttle in session.scalars(select(LoginThrottle).where(LoginThrottle.username == username)):
                session.delete(throttle)
        self.core.actors.forget()
        return password

    def set_active(self, actor: str, username: str, active: bool) -> None:
        """An administrator deactivates (sessions end, tokens revoked) or reactivates a user (never themselves)."""
        with self.db.write() as session:
            admin = self.actor_in(session, actor)
            require_role(admin, "admin")
            if username == admin.username:
                raise NotAllowed("You cannot deactivate your own account.")
            user = org.user_by_name(session, username)
            if user is None:
                raise NotFound(what="User", key=username)
            user.active = active
            if not active:
                self._end_sessions(session, username, revoke_tokens=True)
        self.core.actors.forget()

    # -- API tokens ----------------------------------------------------------------------------

    def issue_api_token(self, username: str, name: str = "API", days: int = TOKEN_DAYS) -> str:
        """A new named API token for ``username``, valid ``days`` days; shown once, stored as a digest.

        :raises InvalidInput: for an empty name or a lifetime outside 1…365 days.
        """
        name = (name or "").strip()[:100]
        if not name:
            raise InvalidInput("Give the token a name, such as the program that will use it.")
        if not 1 <= int(days) <= LONGEST_TOKEN_DAYS:
            raise InvalidInput("A token is valid for 1 to %(days)s days.", days=LONGEST_TOKEN_DAYS)
        token = secrets.token_urlsafe(32)
        now = clock.now()
        with self.db.write() as session:
            if org.user_by_name(session, username) is None:
                raise NotFound(what="User", key=username)
            session.add(ApiToken(username=username, name=name, digest=token_digest(token), created_at=now,
                                 expires_at=now + timedelta(days=int(days))))
        return token

    def api_tokens(self, username: str) -> list[TokenInfo]:
        """The user's tokens, newest first (revoked and expired ones included, marked)."""
        with self.db.read() as session:
            rows = session.scalars(select(ApiToken).where(ApiToken.username == username)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
            return [TokenInfo(t.id, t.name, t.created_at, t.expires_at, t.revoked_at) for t in rows]

    def revoke_api_token(self, username: str, token_id: int) -> None:
        """Revoke one of one's own tokens. :raises NotFound: for another user's or an unknown token."""
        with self.db.write() as session:
            token = session.get(ApiToken, token_id)
            if token is None or token.username != username:
                raise NotFound(what="API token", key=token_id)
            if token.revoked_at is None:
                token.revoked_at = clock.now()
        self.core.actors.forget()

    def actor_by_token(self, token: str) -> Actor:
        """The token's user. A valid token is remembered for ``actor_cache_seconds`` (never past its
        expiry), as users are: revoking it takes effect at once in this process, within that time
        in others.

        :raises NotAllowed: for an unknown, revoked or expired token, or an inactive user.
        """
        digest = token_digest(token or "")
        now = clock.now()
        cached = self._tokens.get(digest)
        if cached is not None and cached[1] > time.monotonic() and cached[2] > now:
            actor = self.core.actors.cached(cached[0])
            if actor is not None:
                return actor
        with self.db.read() as session:
            found = org.user_by_token(session, digest, now)
            if found is None:
                raise NotAuthenticated("Invalid API token.")
            username, expires_at = found
            actor = self.actor_in(session, username)
        with self.core.actors.lock:
            self._tokens[digest] = (username, time.monotonic() + self.settings.actor_cache_seconds, expires_at)
        return actor
