"""Prebuilt statements run straight on the database driver, compiled once per dialect.

Each pass through SQLAlchemy's execution machinery costs more than the work of a step's
statements on indexed tables (see ``bench/engine_bench.py``), so the hot path of
:mod:`engine.persistence.records` compiles its statements once and hands them to the driver,
applying the conversions SQLAlchemy would (UTC datetimes, JSON) itself.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from psycopg.types.json import Json
from sqlalchemy import JSON
from sqlalchemy import Connection
from sqlalchemy import Dialect
from sqlalchemy.orm import Session


def on_postgresql(connection: Connection) -> bool:
    """Whether ``connection`` talks to PostgreSQL (else SQLite)."""
    return connection.dialect.name == "postgresql"


@dataclass(frozen=True)
class _Prepared:
    """A prebuilt statement compiled once for one dialect, with what the driver needs around it."""

    sql: str
    names: tuple[str, ...] | None  # positional parameter order (SQLite); None for named (PostgreSQL)
    bind: dict[str, Callable[[Any], Any]]  # SQLite: SQLAlchemy's own conversions (UTC datetimes, JSON)
    json_names: frozenset[str]  # PostgreSQL: the parameters to wrap as JSON
    defaults: dict[str, Any]  # values fixed in the statement (literals, LIMIT)
    result: tuple[Callable[[Any], Any] | None, ...]  # SQLite: conversions of the columns a SELECT returns


@lru_cache(maxsize=256)
def _prepared(statement: Any, dialect: Dialect) -> _Prepared:
    """Compile a prebuilt statement for ``dialect``, once.

    psycopg adapts every column type of these tables as SQLAlchemy's dialect does, JSON apart;
    sqlite3 does not, so the conversions SQLAlchemy would apply (its bind and result processors,
    our UTC type's included) are taken from the compiled statement and applied here.
    """
    compiled = statement.compile(dialect=dialect)
    json_names = frozenset(name for bind, name in compiled.bind_names.items()
                           if isinstance(bind.type, JSON) and not bind.type.none_as_null)
    defaults = {name: value for name, value in compiled.construct_params(_check=False).items() if value is not None}
    if dialect.name == "postgresql":
        return _Prepared(str(compiled), None, {}, json_names, defaults, ())
    result = tuple(entry.type._cached_result_processor(dialect, None) for entry in compiled._result_columns)
    return _Prepared(str(compiled), tuple(compiled.positiontup or ()), dict(compiled._bind_processors),
                     json_names, defaults, result)


def _driver_params(prepared: _Prepared, params: Mapping[str, Any]) -> Any:
    if prepared.defaults:
        params = {**prepared.defaults, **params}
    if prepared.names is None:
        return {name: Json(value) if name in prepared.json_names else value for name, value in params.items()}
    bind = prepared.bind
    return tuple(bind[name](params[name]) if name in bind else params[name] for name in prepared.names)


def driver_execute(connection: Connection, statement: Any, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
                    ) -> tuple[Any, _Prepared]:
    """Run a prebuilt statement on the driver, in the connection's transaction, bypassing
    SQLAlchemy's execution machinery (which costs more per statement than the work here).

    ``params`` may be a list of parameter sets (executemany). None in a JSON column is stored as
    JSON ``null``, as SQLAlchemy does. Column defaults computed in Python are not applied: rows
    must name every column that has one. Returns the cursor (for the caller to read and close) and
    the prepared statement.
    """
    prepared = _prepared(statement, connection.dialect)
    cursor = connection.connection.cursor()
    try:
        if isinstance(params, Mapping):
            cursor.execute(prepared.sql, _driver_params(prepared, params))
        else:
            cursor.executemany(prepared.sql, [_driver_params(prepared, row) for row in params])
    except BaseException:
        cursor.close()
        raise
    return cursor, prepared


def first_row(session: Session, statement: Any, params: dict[str, Any]) -> Any:
    """The first row a prebuilt SELECT returns, or None."""
    cursor, prepared = driver_execute(session.connection(), statement, params)
    with closing(cursor):
        row = cursor.fetchone()
    if row is None or not prepared.result:
        return row
    return tuple(convert(value) if convert is not None else value for convert, value in zip(prepared.result, row,
                                                                                              strict=True))


def changed_rows(session: Session, statement: Any, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> int:
    """Run a prebuilt DML statement; the number of rows it changed."""
    cursor, _prepared = driver_execute(session.connection(), statement, params)
    with closing(cursor):
        return int(cursor.rowcount)
