"""What the benchmarks share: a fresh PostgreSQL database and medians with p95."""

from __future__ import annotations

import http.client
import socket
import statistics
import threading
import time

from sqlalchemy import create_engine
from sqlalchemy import text

# Benchmarks start thousands of processes as one user in one day; the product allows a few dozen.
BENCH_STARTS = 10**9


def fresh_postgres(url: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``url``, dropped and created anew."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port: int, seconds: float = 60) -> bool:
    """True once ``GET /healthz`` on 127.0.0.1:``port`` answers 200; False after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return True
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    return False


def stats(samples: list[float]) -> tuple[float, float]:
    """Median and p95 of ``samples`` (seconds), in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


class Recorder:
    """What a simulated user records of each request: its time and, if it failed, why."""

    results: dict
    lock: threading.Lock

    def record(self, operation: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.results["times"][operation].append(seconds)
            if error:
                self.results["errors"][operation].append(error)
