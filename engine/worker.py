"""The background worker: fire due timers and send deadline reminders on a fixed interval."""

from __future__ import annotations

import logging
import threading

from engine.service import Engine

log = logging.getLogger(__name__)


def work_once(engine: Engine) -> int:
    """One pass: every due timer fired, then deadline reminders and late quality nodes' 催办 sent;
    returns instances advanced."""
    total = 0
    while True:
        advanced = engine.fire_due_timers(limit=100)
        total += advanced
        if advanced < 100:
            break
    engine.resolve_stalled()
    engine.process_deadlines()
    engine.notify_late_quality_nodes()
    return total


def run_worker(engine: Engine, interval: float = 30.0, stop: threading.Event | None = None) -> None:
    """Run passes every ``interval`` seconds until ``stop`` is set. A failed pass is logged, not fatal."""
    stop = stop or threading.Event()
    log.info("worker started, interval %s s", interval)
    while not stop.is_set():
        try:
            advanced = work_once(engine)
            if advanced:
                log.info("worker advanced %s instance(s)", advanced)
        except Exception:  # keep the worker alive; the next pass retries
            log.exception("worker pass failed")
        stop.wait(interval)
