"""Jobs shared by workers on several hosts: leased timers, the outbox, the per-instance lock.

A worker *claims* a bounded batch of due jobs in a short transaction: the rows are selected with
``FOR UPDATE SKIP LOCKED`` (so workers never wait on each other's claims) and marked with a lease
(``lease_owner``, ``lease_until``). It then does each job in a transaction of its own and clears
the lease there. A heartbeat renews the leases the worker still holds; when a worker dies, its
leases run out and another worker takes the jobs over (counted as a take-over).

Leases are measured on the wall clock (UTC), not on the application clock that tests and the demo
move: they are about processes being alive. Hosts keep their clocks in step (NTP); a skew shorter
than the lease is harmless.

On SQLite (one machine) ``SKIP LOCKED`` is not available and not needed: every write transaction
holds the database's write lock from its start (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from engine.persistence.base import table_of
from engine.persistence.bookkeeping import OutboxMessage
from engine.persistence.models import Notification
from engine.persistence.models import ProcessInstance

INSTANCES = table_of(ProcessInstance)
OUTBOX = table_of(OutboxMessage)
NOTIFICATIONS = table_of(Notification)

# First key of the two-key advisory locks this application takes ("DJ"): keeps them apart from
# any other application's on the same server.
ADVISORY_NAMESPACE = 0x444A
WAKEUP_CHANNEL = "dangjian_jobs"


def wall_now() -> datetime:
    """The wall clock, in UTC: what leases are measured on."""
    return datetime.now(UTC)


def _postgresql(session: Session) -> bool:
    return session.connection().dialect.name == "postgresql"


def lock_instance_steps(session: Session, instance_id: int) -> None:
    """Take the per-instance lock for the rest of the transaction: no other host steps the
    instance until it ends.

    PostgreSQL: ``pg_advisory_xact_lock`` (waits; released at commit or rollback, also when the
    process dies). SQLite: the transaction already holds the database's write lock.
    """
    if _postgresql(session):
        session.connection().execute(text("SELECT pg_advisory_xact_lock(:namespace, :instance_id)"),
                                     {"namespace": ADVISORY_NAMESPACE, "instance_id": instance_id})


@dataclass(frozen=True)
class TimerClaim:
    """A due instance claimed by a worker."""

    instance_id: int
    due: datetime
    taken_over_from: str | None  # the worker whose lease ran out, when this is a take-over


def claim_due_instances(session: Session, now: datetime, owner: str, lease_seconds: float,
                        batch: int) -> list[TimerClaim]:
    """Claim up to ``batch`` waiting instances whose timer is due at ``now`` (application clock)
    and that no other worker's live lease holds, most overdue first; rows another transaction holds
    are skipped. The owner's own leased rows are claimed again (a pass it left unfinished)."""
    wall = wall_now()
    query = (select(INSTANCES.c.id, INSTANCES.c.next_timer_due, INSTANCES.c.lease_owner)
             .where(INSTANCES.c.status == "waiting", INSTANCES.c.next_timer_due <= now,
                    or_(INSTANCES.c.lease_until.is_(None), INSTANCES.c.lease_until < wall,
                        INSTANCES.c.lease_owner == owner))
             .order_by(INSTANCES.c.next_timer_due, INSTANCES.c.id).limit(batch)
             .with_for_update(skip_locked=True))
    rows = session.connection().execute(query).all()
    if rows:
        session.connection().execute(
            update(INSTANCES).where(INSTANCES.c.id.in_([row.id for row in rows]))
            .values(lease_owner=owner, lease_until=wall + timedelta(seconds=lease_seconds)))
    return [TimerClaim(row.id, row.next_timer_due, row.lease_owner if row.lease_owner not in (None, owner) else None)
            for row in rows]


def holds_instance(session: Session, instance_id: int, owner: str) -> bool:
    """True when ``owner`` still holds the lease on the instance (read in the caller's transaction)."""
    return session.connection().scalar(
        select(INSTANCES.c.lease_owner).where(INSTANCES.c.id == instance_id)) == owner


def next_timer_of(session: Session, instance_id: int) -> datetime | None:
    """The instance's next timer as it stands in the caller's transaction."""
    return _utc(session.connection().scalar(select(INSTANCES.c.next_timer_due).where(INSTANCES.c.id == instance_id)))


def release_instance(session: Session, instance_id: int, owner: str) -> None:
    """Clear ``owner``'s lease on the instance (in the transaction that did the job)."""
    session.connection().execute(update(INSTANCES).where(INSTANCES.c.id == instance_id,
                                                         INSTANCES.c.lease_owner == owner)
                                 .values(lease_owner=None, lease_until=None))


def renew_leases(session: Session, owner: str, lease_seconds: float) -> int:
    """Extend every lease ``owner`` holds (the heartbeat); returns how many.

    Rows locked at the moment (the job being done, a user's step) are skipped rather than waited
    for: their lease is cleared or renewed on the next beat, well within its length.
    """
    until = wall_now() + timedelta(seconds=lease_seconds)
    renewed = 0
    for table, pending in ((INSTANCES, INSTANCES.c.lease_owner == owner),
                           (OUTBOX, (OUTBOX.c.lease_owner == owner) & OUTBOX.c.delivered_at.is_(None))):
        held = select(table.c.id).where(pending).with_for_update(skip_locked=True)
        ids = list(session.connection().scalars(held))
        if ids:
            session.connection().execute(update(table).where(table.c.id.in_(ids), table.c.lease_owner == owner)
                                         .values(lease_until=until))
            renewed += len(ids)
    return renewed


def next_job_due(session: Session) -> tuple[datetime | None, datetime | None]:
    """When an idle worker has work again at the latest: the earliest timer of a waiting instance
    that no live lease holds (application clock), and the earliest of the undelivered messages'
    availability and the running leases' ends (wall clock)."""
    wall = wall_now()
    free = or_(INSTANCES.c.lease_until.is_(None), INSTANCES.c.lease_until < wall)
    timer = session.connection().scalar(select(func.min(INSTANCES.c.next_timer_due))
                                        .where(INSTANCES.c.status == "waiting", free))
    leases = session.connection().scalar(select(func.min(INSTANCES.c.lease_until))
                                         .where(INSTANCES.c.lease_until >= wall))
    message = session.connection().scalar(select(func.min(OUTBOX.c.available_at))
                                          .where(OUTBOX.c.delivered_at.is_(None)))
    wall_times = [value for value in (_utc(leases), _utc(message)) if value is not None]
    return _utc(timer), min(wall_times, default=None)


def _utc(value: datetime | None) -> datetime | None:
    """A value read through ``func.min`` (no column type applied): timezone-aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The outbox.


def _insert(session: Session, table: Any) -> Any:
    """An INSERT that does nothing when the row's unique key exists (both dialects)."""
    dialect = postgresql if _postgresql(session) else sqlite
    return dialect.insert(table)


def enqueue(session: Session, channel: str, key: str, payload: dict[str, Any]) -> None:
    """Queue a message in the caller's transaction; one with the same ``key`` is queued once."""
    now = wall_now()
    statement = _insert(session, OUTBOX).values(channel=channel, idempotency_key=key, payload=payload,
                                                created_at=now, available_at=now, attempts=0)
    session.connection().execute(statement.on_conflict_do_nothing(index_elements=["idempotency_key"]))


@dataclass(frozen=True)
class MessageClaim:
    """An outbox message claimed by a worker for delivery."""

    id: int
    channel: str
    key: str
    payload: dict[str, Any]
    attempts: int
    taken_over_from: str | None


def claim_messages(session: Session, owner: str, lease_seconds: float, batch: int) -> list[MessageClaim]:
    """Claim up to ``batch`` undelivered messages that are available and not leased, oldest first."""
    wall = wall_now()
    query = (select(OUTBOX.c.id, OUTBOX.c.channel, OUTBOX.c.idempotency_key, OUTBOX.c.payload, OUTBOX.c.attempts,
                    OUTBOX.c.lease_owner)
             .where(OUTBOX.c.delivered_at.is_(None), OUTBOX.c.available_at <= wall,
                    or_(OUTBOX.c.lease_until.is_(None), OUTBOX.c.lease_until < wall, OUTBOX.c.lease_owner == owner))
             .order_by(OUTBOX.c.id).limit(batch).with_for_update(skip_locked=True))
    rows = session.connection().execute(query).all()
    if rows:
        session.connection().execute(
            update(OUTBOX).where(OUTBOX.c.id.in_([row.id for row in rows]))
            .values(lease_owner=owner, lease_until=wall + timedelta(seconds=lease_seconds),
                    attempts=OUTBOX.c.attempts + 1))
    return [MessageClaim(row.id, row.channel, row.idempotency_key, row.payload, row.attempts + 1,
                         row.lease_owner if row.lease_owner not in (None, owner) else None) for row in rows]


def mark_delivered(session: Session, message_id: int) -> None:
    """Record that a message was delivered (whoever delivered it: a repeat was dropped by the receiver)."""
    session.connection().execute(update(OUTBOX).where(OUTBOX.c.id == message_id, OUTBOX.c.delivered_at.is_(None))
                                 .values(delivered_at=wall_now(), lease_owner=None, lease_until=None,
                                         last_error=None))


def mark_failed(session: Session, message_id: int, owner: str, error: str, retry_in: float) -> None:
    """Give a failed message back, to be tried again after ``retry_in`` seconds."""
    session.connection().execute(
        update(OUTBOX).where(OUTBOX.c.id == message_id, OUTBOX.c.lease_owner == owner)
        .values(lease_owner=None, lease_until=None, last_error=error[:2000],
                available_at=wall_now() + timedelta(seconds=retry_in)))


def release_messages(session: Session, message_ids: list[int], owner: str) -> None:
    """Give claimed messages back undelivered, at once (the worker is stopping)."""
    if message_ids:
        session.connection().execute(update(OUTBOX).where(OUTBOX.c.id.in_(message_ids), OUTBOX.c.lease_owner == owner)
                                     .values(lease_owner=None, lease_until=None))


def purge_delivered(session: Session, before: datetime) -> int:
    """Delete messages delivered before ``before``; how many."""
    result = session.connection().execute(OUTBOX.delete().where(OUTBOX.c.delivered_at < before))
    return result.rowcount


def outbox_backlog(session: Session) -> tuple[int, datetime | None]:
    """Undelivered messages and when the oldest was queued."""
    row = session.connection().execute(select(func.count(), func.min(OUTBOX.c.created_at))
                                       .where(OUTBOX.c.delivered_at.is_(None))).one()
    return int(row[0]), _utc(row[1])


def due_timer_count(session: Session, now: datetime) -> int:
    """Waiting instances whose timer is due at ``now`` (not yet fired)."""
    return int(session.connection().scalar(select(func.count()).where(
        INSTANCES.c.status == "waiting", INSTANCES.c.next_timer_due <= now)) or 0)


def receive_notification(session: Session, key: str, values: dict[str, Any]) -> bool:
    """The in-app receiver: store a notice unless one with this idempotency key is stored; True when new."""
    statement = _insert(session, NOTIFICATIONS).values(**values, idempotency_key=key)
    result = session.connection().execute(statement.on_conflict_do_nothing(index_elements=["idempotency_key"]))
    return result.rowcount == 1
