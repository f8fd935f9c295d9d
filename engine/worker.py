"""The background worker: fire due timers, send deadline notices, deliver the outbox.

Any number of workers, on any hosts, may share one PostgreSQL. Each claims bounded batches of
jobs with a lease (``engine.persistence.jobs``) that a heartbeat thread renews; a worker that
dies leaves its leases to run out and another takes its jobs over. An idle worker sleeps until the
next timer is due, a ``NOTIFY`` wakes it (a job added or moved), or ``interval`` seconds pass,
whichever comes first. ``stop`` (SIGTERM in ``dangjian worker``) lets the current job finish and
gives the rest of the batch back.
"""

from __future__ import annotations

import logging
import threading

from engine.service import Engine
from engine.service.base import worker_identity

log = logging.getLogger(__name__)
DEFAULT_INTERVAL = 30.0
# An idle pass that found due work it could not take (others hold it) waits at least this long.
MIN_IDLE_SECONDS = 1.0


def work_once(engine: Engine, stop: threading.Event | None = None) -> int:
    """One pass: every due timer fired, stalled instances settled, deadline reminders and late
    quality nodes' 催办 queued, the outbox delivered (and messages delivered a month ago deleted,
    API idempotency keys a day old too);
    returns instances advanced."""
    total = 0
    owner = worker_identity()
    while not (stop is not None and stop.is_set()):
        advanced = engine.fire_due_timers(limit=100, owner=owner, stop=stop)
        total += advanced
        if advanced < 100:
            break
    if stop is not None and stop.is_set():
        return total
    engine.resolve_stalled()
    engine.process_deadlines()
    engine.notify_late_quality_nodes()
    engine.deliver_outbox(owner=owner, stop=stop)
    engine.purge_outbox()
    engine.purge_idempotency_keys()
    return total


class Heartbeat(threading.Thread):
    """Renews this process's leases every third of their length until stopped."""

    def __init__(self, engine: Engine, stop: threading.Event) -> None:
        super().__init__(name="lease-heartbeat", daemon=True)
        self.engine, self.stop = engine, stop

    def run(self) -> None:
        """Beat until ``stop``; a failed beat is logged (the next one retries)."""
        period = max(0.5, self.engine.settings.lease_seconds / 3)
        while not self.stop.wait(period):
            try:
                self.engine.renew_leases()
            except Exception:  # the database may be away for a moment
                log.warning("lease heartbeat failed", exc_info=True)


def run_worker(engine: Engine, interval: float = DEFAULT_INTERVAL, stop: threading.Event | None = None) -> None:
    """Run passes until ``stop`` is set: at once when woken, at the latest every ``interval``
    seconds. A failed pass is logged, not fatal."""
    stop = stop or threading.Event()
    heartbeat_stop = threading.Event()
    Heartbeat(engine, heartbeat_stop).start()
    wakeups = engine.wakeups()
    log.info("worker %s started, polling every %s s at the latest", worker_identity(), interval)
    try:
        while not stop.is_set():
            sleep = interval
            try:
                advanced = work_once(engine, stop)
                if advanced:
                    log.info("worker advanced %s instance(s)", advanced)
                    continue  # there may be more: a pass takes at most 100
                sleep = max(MIN_IDLE_SECONDS, engine.seconds_until_work(interval))
            except Exception:  # keep the worker alive; the next pass retries
                log.exception("worker pass failed")
            wakeups.wait(sleep, stop)
    finally:
        heartbeat_stop.set()
        wakeups.close()
        log.info("worker %s stopped", worker_identity())
