"""Alembic environment: the connection comes from engine.persistence.schema, never from an ini file."""

from alembic import context

from engine.persistence.schema import all_tables

target_metadata = all_tables()
connection = context.config.attributes.get("connection")

if connection is None:
    # `alembic revision --autogenerate` from the command line: use the URL given with -x url=...
    from sqlalchemy import create_engine

    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///instance/autogen.db")
    with create_engine(url).connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
