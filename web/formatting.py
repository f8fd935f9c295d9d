"""Template filters: dates as 2008年3月1日, due lights, Markdown instructions made safe."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

import markdown
import nh3
from babel.dates import format_date
from babel.dates import format_datetime
from flask import Flask
from flask import g
from flask_babel import get_locale
from flask_babel import gettext

from engine import clock
from engine.clock import BUSINESS_TZ

SOON = timedelta(days=3)
ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "code", "pre", "blockquote", "h3", "h4",
                "table", "thead", "tbody", "tr", "th", "td"}


def _locale() -> str:
    cached = g.get("_locale_name")
    if cached is None:
        cached = g._locale_name = str(get_locale() or "zh")
    return cached


def _local(moment: datetime) -> datetime:
    return moment.astimezone(BUSINESS_TZ)


def fmt_date(value: Any) -> str:
    """2008年3月1日 in Chinese, 1 Mar 2008 in English; '' for nothing."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = _local(value).date()
    if _locale().startswith("zh"):
        return f"{value.year}年{value.month}月{value.day}日"
    return format_date(value, "d MMM y", locale="en")


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = _local(value)
    if _locale().startswith("zh"):
        return f"{fmt_date(local)} {local:%H:%M}"
    return format_datetime(local, "d MMM y HH:mm", locale="en")


def due_light(due: datetime | None) -> str:
    """'red' when overdue, 'yellow' within three days, 'green' otherwise (or with no due date)."""
    if due is None:
        return "green"
    now = clock.now()
    if due < now:
        return "red"
    return "yellow" if due - now <= SOON else "green"


def safe_markdown(text: str | None) -> str:
    """Instructions written in Markdown, with every unsafe tag and attribute removed."""
    html = markdown.markdown(text or "", extensions=["tables"])
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}}, link_rel="noopener noreferrer")


def file_size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def error_message(error: Any) -> str:
    """A field error (or any engine error) in the current language; word parameters translated too."""
    if not error.params:
        return gettext(error.template)
    params = {key: gettext(value) if isinstance(value, str) else value for key, value in error.params.items()}
    return gettext(error.template, **params)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(date=fmt_date, datetime=fmt_datetime, due_light=due_light, markdown=safe_markdown,
                                 filesize=file_size)
    app.jinja_env.globals["errmsg"] = error_message
