"""Database connections and transactions.

``Database.write()`` opens the one transaction of a use case; ``Database.read()`` opens a read-only
one. On SQLite (the embedded default) writers start with ``BEGIN IMMEDIATE`` so that two writers
serialize instead of failing at commit, and the file runs in WAL mode so readers never wait. On
PostgreSQL rows are locked with ``SELECT … FOR UPDATE`` where a use case needs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:  # the DB-API connection of pysqlite
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Straight to the driver: this runs once per transaction, on every engine step.
        driver: Any = connection.connection.driver_connection  # pysqlite's own connection, open here
        driver.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


class Database:
    """Engines and session factories for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        if is_sqlite(url):
            _ensure_parent_dir(url)
            self.write_engine = _sqlite_engine(url, immediate=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
        else:
            # No pre-ping: it costs a round trip per transaction; recycle idle connections instead.
            self.write_engine = create_engine(url, pool_recycle=1800)
            self.read_engine = self.write_engine
        # No autoflush: use cases flush once at commit (or explicitly when they need ids).
        self._writer = sessionmaker(self.write_engine, expire_on_commit=False, autoflush=False)
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One read-write transaction; commits on success, rolls back on any exception."""
        with self._writer.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """One read-only transaction."""
        with self._reader() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


def _ensure_parent_dir(url: str) -> None:
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
