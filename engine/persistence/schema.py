"""Create and upgrade the schema with Alembic, programmatically."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy import MetaData
from sqlalchemy import text

from engine.persistence import bookkeeping  # noqa: F401 - declaring its tables registers them
from engine.persistence import models  # noqa: F401 - declaring its tables registers them
from engine.persistence.base import Base

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the database behind ``engine`` to ``revision``; returns its revision before and after
    (None before: the schema was created)."""
    config = _config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several hosts may start at once (each web unit runs the upgrade): one migrates, the
            # others wait and then find nothing to do.
            connection.execute(text("SELECT pg_advisory_xact_lock(17482, 0)"))
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        return before, MigrationContext.configure(connection).get_current_revision()


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The latest migration shipped with this code."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the database behind ``engine`` is at (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def all_tables() -> MetaData:
    """The metadata of every table (the modules that declare them register them when imported)."""
    return Base.metadata
