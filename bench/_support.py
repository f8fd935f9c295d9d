"""What the benchmarks share: a fresh PostgreSQL database and medians with p95."""

from __future__ import annotations

import statistics

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


def stats(samples: list[float]) -> tuple[float, float]:
    """Median and p95 of ``samples`` (seconds), in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000
