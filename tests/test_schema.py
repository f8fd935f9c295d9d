"""The Alembic migrations build exactly the schema the models declare, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy import inspect

from engine.persistence.schema import all_tables


def test_migrations_match_the_models(database_url):
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), all_tables())
            indexes = {index["name"] for index in inspect(connection).get_indexes("human_task")}
    finally:
        engine.dispose()
    assert differences == []
    # The unique (instance_id, task_guid) index serves lookups by instance: no second index.
    assert "ix_human_task_instance_id" not in indexes and "ix_human_task_role" in indexes
