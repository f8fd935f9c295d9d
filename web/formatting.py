"""Template filters: dates as 2008年3月1日, due lights, Markdown instructions made safe."""

from __future__ import annotations

import re
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

import markdown
import nh3
from babel.dates import format_date
from babel.dates import format_datetime
from flask import Flask
from flask import current_app
from flask import g
from flask_babel import get_locale
from flask_babel import gettext

from engine import clock
from engine.clock import BUSINESS_TZ
from engine.roles import role_named

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


def task_light(row: Any) -> str:
    """A task's light wherever it is shown: an open one's from its due date; a finished one's from
    whether it was ever overdue (a report done ten days early stays green)."""
    if getattr(row, "status", "open") in ("open", "suspended"):
        return due_light(row.due_at)
    return "red" if getattr(row, "ever_overdue", False) else "green"


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


def _directory() -> Any:
    """Names of people and units, fetched once per request (the engine keeps them a few seconds)."""
    directory = g.get("_directory")
    if directory is None:
        directory = g._directory = current_app.extensions["engine"].directory()
    return directory


def person(username: str | None) -> str:
    """王芳（雨城区委组织部） for ``wangfang``; the name itself when nobody has it (系统, a removed user)."""
    if not username:
        return ""
    found = _directory().people.get(username)
    if found is None:
        return gettext("System") if username == "system" else username
    name, unit = found
    return f"{name}（{unit}）" if unit else name


def person_name(username: str | None) -> str:
    """The display name alone (where the unit is obvious)."""
    if not username:
        return ""
    found = _directory().people.get(username)
    return found[0] if found else (gettext("System") if username == "system" else username)


def unit_name(code: str | None) -> str:
    return _directory().units.get(code or "", code or "")


def role_title(code: str | None) -> str:
    """市委组织部 for ``city_org`` (in the reader's language); the code itself when no role has it."""
    role = role_named(code)
    if role is None:
        return code or ""
    return role.title_zh if _locale().startswith("zh") else role.title_en


def held_by(step: Any) -> str:
    """Who holds an open step (anything with ``holder``, ``role``, ``scope_unit``): the person, or the
    role and unit that may take it (分管领导（雨城区）)."""
    if step.holder:
        return person(step.holder)
    return role_title(step.role) + (f"（{unit_name(step.scope_unit)}）" if step.scope_unit else "")


def event_label(kind: str) -> str:
    """What an event of the timeline was, in the reader's language (办理记录's 事项 column)."""
    labels = {"started": gettext("Started"), "task_completed": gettext("Done"),
              "completed": gettext("Project closed"), "claimed": gettext("Claimed"),
              "unclaimed": gettext("Claim released"), "reminded": gettext("Reminder sent"),
              "extension_requested": gettext("Extension requested"), "timers_moved": gettext("Due dates moved"),
              "timer_fired": gettext("Time limit reached"), "milestone": gettext("Milestone reached"),
              "error": gettext("Error"), "withdrawn": gettext("Withdrawn"), "suspended": gettext("Suspended"),
              "resumed": gettext("Resumed"), "terminated": gettext("Terminated"), "retried": gettext("Retried"),
              "overdue": gettext("Overdue notice"), "escalated": gettext("Escalated (督办)"),
              "node_overdue": gettext("Quality node overdue"), "reassigned": gettext("Reassigned"),
              "migrated": gettext("Moved to another version"),
              "migration_reverted": gettext("Moved back to its previous version")}
    return labels.get(kind, kind)


def event_what(event: Any) -> str:
    """The 事项 of a timeline event: what happened and at which step."""
    return event_label(event.kind) + (f"：{event.step_name}" if event.step_name else "")


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def shown(value: Any) -> Any:
    """A stored value as a person reads it: dates as 2008年3月1日, user names and unit codes as names."""
    if isinstance(value, datetime):
        return fmt_datetime(value)
    if isinstance(value, date):
        return fmt_date(value)
    if isinstance(value, str):
        if ISO_DATE.match(value):
            return fmt_date(value)
        if ISO_MOMENT.match(value):
            try:
                return fmt_datetime(datetime.fromisoformat(value))
            except ValueError:
                return value
        directory = _directory()
        if value in directory.people:
            return person(value)
        if value in directory.units:
            return directory.units[value]
    return value


def error_message(error: Any) -> str:
    """A field error (or any engine error) in the current language; word parameters translated too,
    people named, moments written as people read them."""
    if not error.params:
        return gettext(error.template)
    params = {}
    for key, value in error.params.items():
        if key in ("by", "user"):
            params[key] = person(value)
        elif isinstance(value, datetime):
            params[key] = fmt_datetime(value)
        elif hasattr(value, "template") and hasattr(value, "params"):  # a nested error, in its words
            params[key] = error_message(value)
        else:
            params[key] = gettext(value) if isinstance(value, str) and value else value
    return gettext(error.template, **params)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(date=fmt_date, datetime=fmt_datetime, due_light=due_light, task_light=task_light,
                                 markdown=safe_markdown,
                                 filesize=file_size, person=person, person_name=person_name, unit=unit_name,
                                 role=role_title, held_by=held_by, shown=shown,
                                 event_what=event_what)
    app.jinja_env.globals["errmsg"] = error_message
