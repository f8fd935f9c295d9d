"""Use cases of the workers' shared jobs: deliver the outbox, renew leases, report the backlog.

Side effects are written to the outbox (:func:`queue_notice`) in the transaction of their cause,
so a rolled-back cause sends nothing and a committed one is never forgotten. Workers deliver the
messages at least once: a message is claimed with a lease, handed to its channel, then marked
delivered. A worker killed between handing it over and marking it leaves the lease to run out;
another worker hands it over again, and the receiver drops it by its idempotency key. So a message
reaches its receiver exactly once however the workers die.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from engine import clock
from engine import metrics
from engine.persistence import jobs
from engine.persistence.schema import current_revision
from engine.persistence.schema import head_revision
from engine.service.actors import SYSTEM
from engine.service.base import Service
from engine.service.base import worker_identity
from engine.service.idempotency import KEEP_HOURS
from engine.service.idempotency import purge_keys

log = logging.getLogger(__name__)

Channel = Callable[[jobs.MessageClaim], None]
MAX_RETRY_SECONDS = 3600
OUTBOX_KEEP_DAYS = 30


def queue_notice(session: Session, key: str, *, username: str, kind: str, instance_id: int | None,
                 created_at: datetime, human_task_id: int | None = None, message: str = "",
                 sender: str = SYSTEM) -> None:
    """Queue an in-app notice in the caller's transaction; ``key`` names it among all messages
    (the same key queued twice is one message)."""
    jobs.enqueue(session, "notification", key, {
        "username": username, "kind": kind, "instance_id": instance_id, "human_task_id": human_task_id,
        "message": message, "sender": sender, "created_at": created_at.isoformat()})


@dataclass(frozen=True)
class Backlog:
    """What waits for the workers, read from the database (the same for every process)."""

    outbox_pending: int
    outbox_oldest_age_seconds: float
    timers_due: int


class JobService(Service):
    def outbox_channels(self) -> dict[str, Channel]:
        """Receivers by channel name. Mail or SMS channels go here; each must drop a message whose
        idempotency key it has already received."""
        return {"notification": self._receive_notification}

    def _receive_notification(self, claim: jobs.MessageClaim) -> None:
        """The in-app receiver: the notice row, stored once per key, in a transaction of its own."""
        values = {**claim.payload, "created_at": datetime.fromisoformat(claim.payload["created_at"])}
        with self.db.write() as session:
            jobs.receive_notification(session, claim.key, values)

    def deliver_outbox(self, limit: int = 1000, owner: str | None = None, stop: threading.Event | None = None) -> int:
        """Deliver up to ``limit`` queued messages, in bounded leased batches; returns how many.

        A message whose channel fails is given back with a growing delay and its error; the
        others go on. ``stop`` set: the current message is finished, the rest given back.
        """
        owner = owner or worker_identity()
        channels = self.outbox_channels()
        delivered = 0
        while delivered < limit and not (stop is not None and stop.is_set()):
            with self.db.write() as session:
                claims = jobs.claim_messages(session, owner, self.settings.lease_seconds,
                                             min(self.settings.job_batch, limit - delivered))
            if not claims:
                break
            for position, claim in enumerate(claims):
                if stop is not None and stop.is_set():
                    with self.db.write() as session:
                        jobs.release_messages(session, [other.id for other in claims[position:]], owner)
                    break
                delivered += self._deliver(claim, owner, channels)
        return delivered

    def _deliver(self, claim: jobs.MessageClaim, owner: str, channels: dict[str, Channel]) -> int:
        """Hand one claimed message to its channel, then mark it delivered; 1 when it was."""
        if claim.taken_over_from:
            metrics.LEASE_TAKEOVERS.labels("outbox").inc()
            log.warning("lease take-over: outbox message %s from %s", claim.id, claim.taken_over_from)
        try:
            channel = channels.get(claim.channel)
            if channel is None:
                raise LookupError(f"no outbox channel {claim.channel!r}")
            channel(claim)
        except Exception as error:
            log.exception("outbox message %s (%s) failed, attempt %s", claim.id, claim.key, claim.attempts)
            metrics.OUTBOX_FAILURES.labels(claim.channel).inc()
            with self.db.write() as session:
                jobs.mark_failed(session, claim.id, owner, f"{type(error).__name__}: {error}",
                                 retry_in=min(MAX_RETRY_SECONDS, 30 * 2 ** min(claim.attempts, 7)))
            return 0
        with self.db.write() as session:
            jobs.mark_delivered(session, claim.id)
        metrics.OUTBOX_DELIVERED.labels(claim.channel).inc()
        return 1

    def purge_outbox(self, keep_days: float = OUTBOX_KEEP_DAYS) -> int:
        """Delete messages delivered more than ``keep_days`` ago (kept meanwhile for inquiries)."""
        with self.db.write() as session:
            return jobs.purge_delivered(session, jobs.wall_now() - timedelta(days=keep_days))

    def purge_idempotency_keys(self, keep_hours: float = KEEP_HOURS) -> int:
        """Delete the API's idempotency keys stored more than ``keep_hours`` (24) ago; how many."""
        return purge_keys(self.db, keep_hours)

    def renew_leases(self, owner: str | None = None) -> int:
        """The heartbeat: extend every lease ``owner`` (this process by default) holds; how many."""
        with self.db.write() as session:
            return jobs.renew_leases(session, owner or worker_identity(), self.settings.lease_seconds)

    def seconds_until_work(self, cap: float) -> float:
        """How long an idle worker may sleep before a timer or a message is due, at most ``cap``."""
        with self.db.read() as session:
            timer, other = jobs.next_job_due(session)
        waits = [cap]
        if timer is not None:
            waits.append((timer - clock.now()).total_seconds())
        if other is not None:
            waits.append((other - jobs.wall_now()).total_seconds())
        return max(0.0, min(waits))

    def backlog(self) -> Backlog:
        """Undelivered messages, the oldest one's age, and timers due but not yet fired."""
        with self.db.read() as session:
            pending, oldest = jobs.outbox_backlog(session)
            due = jobs.due_timer_count(session, clock.now())
        age = (jobs.wall_now() - oldest).total_seconds() if oldest is not None else 0.0
        return Backlog(pending, max(0.0, age), due)

    def readiness(self) -> list[str]:
        """What keeps this process from serving: the database unreachable or its schema not at the
        latest migration; empty when ready."""
        try:
            with self.db.read() as session:
                session.execute(text("SELECT 1"))
            current = current_revision(self.db.read_engine)  # SQLite: no write lock taken
        except Exception as error:  # noqa: BLE001 - any failure to reach the database is the answer
            return [f"database unreachable: {type(error).__name__}"]
        head = head_revision()
        return [] if current == head else [f"schema at {current}, migrations at {head}: run dangjian db upgrade"]

    def wakeups(self) -> Any:
        """A listener that wakes an idle worker when a job is added or becomes due (PostgreSQL
        ``LISTEN``); on SQLite one that only waits."""
        from engine.persistence.wakeup import listener_for

        return listener_for(self.db.url)
