"""Wake idle workers when a job is added or becomes due, without polling delay.

On PostgreSQL triggers (migration 0015) ``NOTIFY dangjian_jobs`` when a timer is set or moved and
when a message is queued; a worker waits on its own connection with ``LISTEN``. A lost connection
is opened again on the next wait; meanwhile the worker polls (its interval) as it does on SQLite.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from engine.persistence.jobs import WAKEUP_CHANNEL

log = logging.getLogger(__name__)
SLICE_SECONDS = 1.0  # a stopping worker notices within this


class PollingWakeups:
    """SQLite (one machine): nothing to listen to; waiting is sleeping."""

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        """Sleep ``seconds`` or until ``stop``; False (no notification)."""
        stop.wait(seconds)
        return False

    def close(self) -> None:
        """Nothing to release."""


class ListeningWakeups:
    """PostgreSQL: ``LISTEN dangjian_jobs`` on a connection of its own (autocommit)."""

    def __init__(self, url: str) -> None:
        self.conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.connection: Any = None

    def _connect(self) -> Any:
        if self.connection is None or self.connection.closed:
            self.connection = psycopg.connect(self.conninfo, autocommit=True)
            self.connection.execute(f"LISTEN {WAKEUP_CHANNEL}")
        return self.connection

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        """Wait up to ``seconds`` for a notification (True) or ``stop``; every notification that
        arrived meanwhile is consumed, so one wake-up serves them all."""
        deadline = time.monotonic() + seconds
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                connection = self._connect()
                if any(True for _ in connection.notifies(timeout=min(left, SLICE_SECONDS), stop_after=1)):
                    for _ in connection.notifies(timeout=0):
                        pass
                    return True
            except psycopg.Error:
                log.warning("LISTEN connection lost; polling until it is back", exc_info=True)
                self.close()
                stop.wait(min(left, SLICE_SECONDS * 5))
        return False

    def close(self) -> None:
        """Close the listening connection."""
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None


def listener_for(url: str) -> PollingWakeups | ListeningWakeups:
    """The wake-up source for a database URL."""
    return ListeningWakeups(url) if url.startswith("postgresql") else PollingWakeups()
