"""What the commands share: the engine of a command, errors as one line, JSON options."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import TYPE_CHECKING
from typing import Any
from typing import NoReturn

import click

from engine.clock import BUSINESS_TZ
from engine.errors import DeploymentRefused
from engine.errors import EngineError
from engine.errors import InvalidSubmission
from forms import jsoncheck
from web.i18n import translate

if TYPE_CHECKING:
    from engine import Engine

# Ids are INTEGER columns: a larger number names nothing, and says so before any query runs.
ID = click.IntRange(1, 2**31 - 1)


def make_engine() -> Engine:
    """The engine for this command, closed (connections released) when the command ends."""
    context = click.get_current_context()
    engine = context.meta.get("dangjian.engine")
    if engine is None:
        from web.config import build_engine  # here, not at the top: ``dangjian --help`` must not load the engine

        engine = build_engine()
        context.meta["dangjian.engine"] = engine
        context.call_on_close(engine.db.dispose)
    return engine


def fail(message: str) -> NoReturn:
    """Print ``message`` as the one line of an error and exit with status 1."""
    click.echo(f"错误：{message}", err=True)
    sys.exit(1)


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn engine errors and bad JSON into one line on stderr and exit status 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DeploymentRefused as error:
            click.echo(f"错误：{translate(error.template, error.params)}", err=True)
            for problem in error.problems:
                click.echo(f"  {problem}", err=True)
            sys.exit(1)
        except InvalidSubmission as error:
            click.echo(f"错误：{translate(error.template, error.params)}", err=True)
            shown: set[str] = set()
            for field_error in error.errors:  # the first problem of each field, in Chinese like the rest
                if field_error.path not in shown:
                    shown.add(field_error.path)
                    message = translate(field_error.template, field_error.params)
                    click.echo(f"  {field_error.path or '（表单）'}: {message}", err=True)
            sys.exit(1)
        except EngineError as error:
            fail(translate(error.template, error.params))

    return wrapper


def parse_json(text: str | None, what: str) -> dict[str, Any]:
    """The JSON object ``text`` (an option named ``what``); empty when the option was not given.
    Exits with one line on stderr when it is no valid JSON object."""
    if text is None:
        return {}
    try:
        value = jsoncheck.loads(text)
    except json.JSONDecodeError as error:
        fail(f"{what} 不是有效的 JSON（第 {error.lineno} 行第 {error.colno} 列）：{error.msg}")
    except jsoncheck.UnacceptableJSON as error:
        fail(f"{what} 含有不能保存的值（孤立的 UTF-16 代理项、NaN 或 Infinity，或嵌套过深）：{error.code}")
    if not isinstance(value, dict):
        fail(f"{what} 必须是 JSON 对象（{{...}}）")
    return value


def jsonable(value: Any) -> Any:
    """``value`` as JSON can hold it (moments in ISO 8601)."""
    return value.isoformat() if isinstance(value, datetime) else value


def moment(value: datetime) -> str:
    """2008年3月1日 10:00, Beijing time: how people read a moment."""
    local = value.astimezone(BUSINESS_TZ)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
