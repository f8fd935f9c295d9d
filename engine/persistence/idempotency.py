"""The stored outcomes of API writes sent with an ``Idempotency-Key`` (table ``idempotency_key``).

:func:`remember` is the one statement a keyed write adds: an ``INSERT … ON CONFLICT DO NOTHING``
in the write's own transaction, after its work. Nothing inserted means the key is taken: by a
committed write (the caller rolls back and replays it) or, on PostgreSQL, by a write still in
progress. There a transaction-level advisory lock on the key, tried (never waited for) in the
same statement, tells the two apart: a write holds it from its insert to its commit, so a
concurrent duplicate is answered "in progress" at once instead of waiting. (The lock is named by
a 32-bit hash: two different keys stored at the same instant may collide, and one of them gets a
needless "in progress", which its client repeats.) On SQLite writers already run one at a time
(``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Insert
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from engine.persistence.base import UTCDateTime
from engine.persistence.base import table_of
from engine.persistence.bookkeeping import IdempotencyKey

KEYS = table_of(IdempotencyKey)
# First key of the advisory locks on idempotency keys ("DK"), apart from the instance locks ("DJ").
KEY_LOCK_NAMESPACE = 0x444B


@dataclass(frozen=True)
class Stored:
    """A key's row: the request it was first sent with, and that request's outcome (JSON)."""

    fingerprint: str
    response: str


def key_lock_name(actor: str, key: str) -> str:
    """The text whose hash names the advisory lock of ``key`` of ``actor`` (tests take it too)."""
    return f"{actor}\x1f{key}"


def remember(session: Session, actor: str, key: str, fingerprint: str, response: str, now: datetime) -> bool:
    """Store the outcome of a keyed write in the caller's transaction; False when the key is taken
    (stored by a committed write, or held by one in progress): nothing is inserted then."""
    values = {"actor": actor, "idempotency_key": key, "fingerprint": fingerprint, "response": response,
              "created_at": now}
    if session.connection().dialect.name == "postgresql":
        row = select(literal(actor, String), literal(key, String), literal(fingerprint, String),
                     literal(response, Text), literal(now, UTCDateTime())) \
            .where(func.pg_try_advisory_xact_lock(KEY_LOCK_NAMESPACE, func.hashtext(key_lock_name(actor, key))))
        statement: Insert = postgresql.insert(KEYS).from_select(list(values), row) \
            .on_conflict_do_nothing(index_elements=["actor", "idempotency_key"])
    else:
        statement = sqlite.insert(KEYS).values(**values) \
            .on_conflict_do_nothing(index_elements=["actor", "idempotency_key"])
    # RETURNING, not rowcount: the driver reports no count for an INSERT … SELECT that inserted a row.
    return session.connection().execute(statement.returning(KEYS.c.actor)).first() is not None


def stored(session: Session, actor: str, key: str) -> Stored | None:
    """The committed row of ``key`` of ``actor``, or None."""
    row = session.connection().execute(select(KEYS.c.fingerprint, KEYS.c.response)
                                       .where(KEYS.c.actor == actor, KEYS.c.idempotency_key == key)).first()
    return Stored(row.fingerprint, row.response) if row is not None else None


def purge(session: Session, before: datetime) -> int:
    """Delete the keys stored before ``before``; how many."""
    return session.connection().execute(KEYS.delete().where(KEYS.c.created_at < before)).rowcount
