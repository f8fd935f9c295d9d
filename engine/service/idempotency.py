"""Idempotent writes: a use case given an ``Idempotency-Key`` is done at most once per actor and key.

The key, the actor, a fingerprint of the request (the operation and its arguments) and the
outcome are stored by the use case itself, in its own transaction, after its work
(:func:`record`: one statement). So a process killed at any moment leaves either nothing (the
transaction never committed: a retry does the work) or the work with its key (a retry is answered
with the stored outcome, nothing is done twice). :func:`once` runs a keyed use case and sorts out
the repeats, off the hot path:

- the key is stored with the same fingerprint: the stored outcome is returned (a replay);
- stored with another fingerprint: :class:`IdempotencyKeyReused`;
- held by a write not yet committed (PostgreSQL): :class:`RequestInProgress`.

A repeat notices itself either when its use case refuses (the task is already completed: the key
is then looked up) or when storing the key finds it taken (its work is rolled back). A request
that failed stored nothing: its key stays free for a corrected retry. Keys are deleted after
:data:`KEEP_HOURS` by the workers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from hashlib import sha256
from typing import Any
from typing import TypeVar

from sqlalchemy.orm import Session

from engine import metrics
from engine.errors import EngineError
from engine.errors import IdempotencyKeyReused
from engine.errors import InvalidInput
from engine.errors import RequestInProgress
from engine.persistence import idempotency as keys
from engine.persistence.db import Database
from engine.persistence.jobs import wall_now

T = TypeVar("T")
MAX_KEY_LENGTH = 200
KEEP_HOURS = 24.0


@dataclass(frozen=True)
class Keyed:
    """An Idempotency-Key with the fingerprint of the request it came with."""

    key: str
    fingerprint: str


class KeyTaken(Exception):
    """Raised inside a keyed use case's transaction when its key is stored already: rolls it back."""


def keyed(key: str | None, operation: str, *arguments: Any) -> Keyed | None:
    """``key`` with the fingerprint of ``operation`` and its ``arguments``; None without a key.

    :raises InvalidInput: for a key that is empty, longer than 200 characters or not visible ASCII.
    """
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in key):
        raise InvalidInput("An Idempotency-Key is 1 to 200 visible ASCII characters.")
    request = json.dumps([operation, *arguments], sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                         default=str)
    return Keyed(key, sha256(request.encode("utf-8")).hexdigest())


def record(session: Session, actor: str, request: Keyed | None, outcome: Any) -> None:
    """Store ``outcome`` (JSON values) under the request's key, in the use case's transaction.

    :raises KeyTaken: when the key is stored or held already (the transaction must roll back).
    """
    if request is None:
        return
    if not keys.remember(session, actor, request.key, request.fingerprint, json.dumps(outcome), wall_now()):
        raise KeyTaken(request.key)


def once(db: Database, actor: str, request: Keyed | None, run: Callable[[], T], replay: Callable[[Any], T]) -> T:
    """``run()`` (a use case that calls :func:`record` before it commits), or, when ``request``'s
    key was stored already, ``replay(outcome)`` of the stored outcome.

    :raises IdempotencyKeyReused: the key was stored for another request.
    :raises RequestInProgress: the key is held by a write that has not committed yet.
    :raises EngineError: whatever the use case raised, when the key is not stored.
    """
    if request is None:
        return run()
    try:
        return run()
    except KeyTaken:
        found = _stored(db, actor, request.key)
        if found is None:
            raise RequestInProgress() from None
    except EngineError:
        found = _stored(db, actor, request.key)
        if found is None:
            raise
    if found.fingerprint != request.fingerprint:
        raise IdempotencyKeyReused()
    metrics.IDEMPOTENT_REPLAYS.inc()
    return replay(json.loads(found.response))


def _stored(db: Database, actor: str, key: str) -> keys.Stored | None:
    with db.read() as session:
        return keys.stored(session, actor, key)


def purge_keys(db: Database, keep_hours: float = KEEP_HOURS) -> int:
    """Delete keys stored more than ``keep_hours`` ago; how many. A request repeated later than
    that is done again (a completion then finds its task already handled)."""
    with db.write() as session:
        return keys.purge(session, wall_now() - timedelta(hours=keep_hours))
