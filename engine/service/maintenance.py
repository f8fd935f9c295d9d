"""Backing the whole database up and restoring it: projects, their states and archives, users,
and the attachments (whose bytes live in ``attachment_blob``).

* SQLite: the online backup API copies a consistent snapshot while the application runs; the
  backup is itself a SQLite file.
* PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore``, found on the PATH or in the
  server's installation (``/usr/lib/postgresql/*/bin``); the password goes through the
  environment, never the command line.

Restoring replaces the database's content: it refuses a database that already holds users or
projects unless told to replace them. Stop the web application and the worker first, then run
``dangjian db upgrade`` (a backup from an older version is migrated).
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy.engine import make_url

from engine.errors import InvalidInput
from engine.errors import InvalidState
from engine.persistence.models import ProcessInstance
from engine.persistence.models import User
from engine.service.base import Service


def _sqlite_connection(driver: object) -> sqlite3.Connection:
    """The sqlite3 connection under a pooled SQLite connection.

    :raises TypeError: when the pool holds no sqlite3 connection (a programming error: only the
        SQLite branch asks).
    """
    if not isinstance(driver, sqlite3.Connection):
        raise TypeError(f"not a sqlite3 connection: {driver!r}")
    return driver


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    instances: int
    users: int


def _postgres_tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)),
                                       None)
    if found is None:
        raise InvalidState("The tool %(tool)s is not installed (Debian package postgresql-client).", tool=name,
                           status="")
    return found


def _postgres_args(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for the PostgreSQL tools (password in the environment)."""
    parsed = make_url(url)
    args = ["--dbname", parsed.database or "postgres"]
    if parsed.host:
        args += ["--host", parsed.host]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600, check=False)
    if result.returncode != 0:
        raise InvalidState("The tool %(tool)s failed: %(message)s", tool=Path(command[0]).name,
                           message=(result.stderr or result.stdout).strip()[-500:], status="")


class MaintenanceService(Service):
    def _counts(self) -> tuple[int, int]:
        with self.db.read() as session:
            if not inspect(session.connection()).has_table("app_user"):
                return 0, 0
            return (session.scalar(select(func.count()).select_from(ProcessInstance)) or 0,
                    session.scalar(select(func.count()).select_from(User)) or 0)

    def backup(self, target: Path) -> BackupInfo:
        """Write a consistent copy of the whole database to ``target`` (a new file).

        :raises InvalidInput: when ``target`` exists. :raises InvalidState: when the copy fails.
        """
        target = Path(target)
        if target.exists():
            raise InvalidInput("The file %(path)s already exists; choose a new file name.", path=str(target))
        target.parent.mkdir(parents=True, exist_ok=True)
        instances, users = self._counts()
        if self.db.dialect == "sqlite":
            source = self.db.write_engine.raw_connection()
            try:
                with sqlite3.connect(target) as copy:
                    _sqlite_connection(source.driver_connection).backup(copy)
                copy.close()
            finally:
                source.close()
        else:
            args, env = _postgres_args(self.settings.database_url)
            _run([_postgres_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), *args], env)
        return BackupInfo(target, target.stat().st_size, instances, users)

    def restore(self, source: Path, replace: bool = False) -> BackupInfo:
        """Replace the database's content with the backup in ``source``.

        :raises InvalidInput: when ``source`` is missing or not a backup of this kind of database.
        :raises InvalidState: when the database holds data and ``replace`` is not set, or the tools fail.
        """
        source = Path(source)
        if not source.is_file():
            raise InvalidInput("The file %(path)s does not exist.", path=str(source))
        instances, users = self._counts()
        if (instances or users) and not replace:
            raise InvalidState("The database already holds %(users)s users and %(instances)s projects; "
                               "restore with --replace to overwrite them.", users=users, instances=instances,
                               status="")
        self.db.dispose()
        if self.db.dialect == "sqlite":
            self._restore_sqlite(source)
        else:
            args, env = _postgres_args(self.settings.database_url)
            _run([_postgres_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--exit-on-error",
                  "--single-transaction", *args, str(source)], env)
        self.core.actors.forget()
        instances, users = self._counts()
        return BackupInfo(source, source.stat().st_size, instances, users)

    def _restore_sqlite(self, source: Path) -> None:
        try:
            with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup:
                if backup.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise InvalidInput("The file %(path)s is damaged.", path=str(source))
                target = self.db.write_engine.raw_connection()
                try:
                    backup.backup(_sqlite_connection(target.driver_connection))
                finally:
                    target.close()
        except sqlite3.DatabaseError:
            raise InvalidInput("The file %(path)s is not a SQLite backup.", path=str(source)) from None
