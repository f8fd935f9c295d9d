"""Template filters: dates as 2008年3月1日, due lights, Markdown instructions made safe, and people and
units by name from the names the view passed (see :mod:`web.names`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from datetime import datetime
from datetime import timedelta
from functools import wraps
from typing import Any
from typing import Concatenate
from typing import ParamSpec
from typing import TypeVar

import markdown
import nh3
from babel.dates import format_date
from babel.dates import format_datetime
from flask import Flask
from flask import g
from flask_babel import get_locale
from flask_babel import gettext
from jinja2 import pass_context
from jinja2.runtime import Context

from engine import clock
from engine.clock import BUSINESS_TZ
from engine.roles import role_named
from engine.service import Directory
from web.names import person
from web.names import person_name
from web.names import unit_name

P = ParamSpec("P")
R = TypeVar("R")
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


def role_title(code: str | None) -> str:
    """市委组织部 for ``city_org`` (in the reader's language); the code itself when no role has it."""
    role = role_named(code)
    if role is None:
        return code or ""
    return role.title_zh if _locale().startswith("zh") else role.title_en


def held_by(names: Directory, step: Any) -> str:
    """Who holds an open step (anything with ``holder``, ``role``, ``scope_unit``): the person, or the
    role and unit that may take it (分管领导（雨城区）)."""
    if step.holder:
        return person(names, step.holder)
    return role_title(step.role) + (f"（{unit_name(names, step.scope_unit)}）" if step.scope_unit else "")


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
              "migration_reverted": gettext("Moved back to its previous version"),
              "repaired": gettext("Resumed after a repair")}
    return labels.get(kind, kind)


def event_what(event: Any) -> str:
    """The 事项 of a timeline event: what happened and at which step."""
    return event_label(event.kind) + (f"：{event.step_name}" if event.step_name else "")


def event_note(names: Directory, event: Any) -> str:
    """The 意见或理由 of a timeline event as people read it: for a 催办 or 督办 whom it was sent to
    (by name), for a reassignment from whom to whom and why, else the reason or the opinion given."""
    if event.kind in ("overdue", "escalated"):
        sent_to = [person(names, username) for username in (event.reason or "").split(", ") if username]
        return gettext("Sent to") + "：" + "、".join(sent_to) if sent_to else ""  # none: not the reader's to know
    data = event.data if isinstance(event.data, dict) else {}
    if event.kind == "reassigned" and data:
        return f"{person(names, data.get('from')) or '—'} → {person(names, data.get('to'))}：{event.reason or ''}"
    if event.kind == "milestone":
        return ""
    return str(event.reason or data.get("opinion") or "")


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def shown(names: Directory, value: Any) -> Any:
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
        if value in names.people:
            return person(names, value)
        if value in names.units:
            return names.units[value]
    return value


# What Python and the sandbox say of a script that does not compile, as templates to translate.
_CODE_LINE = re.compile(r"^Line (\d+): (.*?)(?: \(line \d+\))?$", re.S)
_AT_STATEMENT = re.compile(r"^SyntaxError: (.*) at statement: (.*)$", re.S)
_CODE_PHRASES = (
    (re.compile(r"^'(.)' was never closed$"), lambda m: gettext("“%(bracket)s” is never closed", bracket=m[1])),
    (re.compile(r"^unmatched '(.)'$"), lambda m: gettext("“%(bracket)s” has no opening match", bracket=m[1])),
    (re.compile(r"^closing parenthesis '(.)' does not match opening parenthesis '(.)'.*$"),
     lambda m: gettext("“%(closing)s” does not match “%(opening)s”", closing=m[1], opening=m[2])),
    (re.compile(r"^unterminated (?:triple-quoted )?string literal.*$"),
     lambda m: gettext("a text has no closing quote")),
    (re.compile(r"^expected '(.*)'$"), lambda m: gettext("“%(token)s” is missing", token=m[1])),
    (re.compile(r"^(?:unexpected|expected an) indent.*$"), lambda m: gettext("the indentation is wrong")),
    (re.compile(r"^invalid syntax.*$"), lambda m: gettext("this is not valid Python")),
    (re.compile(r"^imports are not allowed in diagram scripts\.?$"),
     lambda m: gettext("scripts in diagrams may not import modules")),
    (re.compile(r'^"(.*)" is an invalid (?:attribute|variable) name because it starts with "_"\.?$'),
     lambda m: gettext("the name “%(name)s” starts with “_”, which is not allowed", name=m[1])),
)


def code_error(text: str) -> str:
    """A script's compile error (``Line 1: SyntaxError: '(' was never closed at statement: ...``) in
    the reader's language: 第 1 行：“(”没有闭合（a = (1）. Unknown phrases are kept as they are."""
    parts = []
    for piece in text.split("; "):
        line = _CODE_LINE.match(piece.strip())
        number, rest = (line[1], line[2]) if line else (None, piece.strip())
        statement = _AT_STATEMENT.match(rest)
        what, code = (statement[1], statement[2]) if statement else (rest.removeprefix("SyntaxError: "), "")
        for pattern, say in _CODE_PHRASES:
            found = pattern.match(what.strip())
            if found:
                what = say(found)
                break
        message = gettext("Line %(line)s: %(problem)s", line=number, problem=what) if number else what
        parts.append(message + (f"（{code.strip()}）" if code else ""))
    return "；".join(parts)


def error_message(names: Directory, error: Any) -> str:
    """A field error (or any engine error) in the current language; word parameters translated too,
    people named, moments written as people read them."""
    if not error.params:
        return gettext(error.template)
    params = {}
    for key, value in error.params.items():
        if key in ("by", "user"):
            params[key] = person(names, value)
        elif isinstance(value, datetime):
            params[key] = fmt_datetime(value)
        elif hasattr(value, "template") and hasattr(value, "params"):  # a nested error, in its words
            params[key] = error_message(names, value)
        elif key == "error" and isinstance(value, str) and ("Line " in value or "SyntaxError" in value):
            params[key] = code_error(value)
        else:
            params[key] = gettext(value) if isinstance(value, str) and value else value
    return gettext(error.template, **params)


def project_title(title: str | None, kind: str | None = None) -> str:
    """A project's title, or what it is while its application names none (a draft never filed)."""
    if title:
        return title
    untitled = gettext("(no title yet)")
    return f"{kind}{untitled}" if kind else untitled


def names_in(context: Context) -> Directory:
    """The names the view passed to its template (``names=names()``).

    Raises:
        LookupError: the page shows people or units but its view passed no names.
    """
    names = context.get("names")
    if not isinstance(names, Directory):
        raise LookupError(f"{context.name} shows names, but its view passed none (names=names())")
    return names


def with_names(function: Callable[Concatenate[Directory, P], R]) -> Callable[Concatenate[Context, P], R]:
    """``function`` as a template filter: its names come from the template, which had them from the view."""

    @pass_context
    @wraps(function)
    def template_filter(context: Context, *args: P.args, **kwargs: P.kwargs) -> R:
        return function(names_in(context), *args, **kwargs)

    return template_filter


def init_app(app: Flask) -> None:
    """Register the filters (``{{ due|date }}``, ``{{ username|person }}`` …) and ``errmsg``."""
    app.jinja_env.filters.update(date=fmt_date, datetime=fmt_datetime, due_light=due_light, task_light=task_light,
                                 markdown=safe_markdown, project_title=project_title, filesize=file_size,
                                 role=role_title, event_what=event_what)
    app.jinja_env.filters.update(event_note=with_names(event_note), person=with_names(person),
                                 person_name=with_names(person_name), unit=with_names(unit_name),
                                 held_by=with_names(held_by), shown=with_names(shown))
    app.jinja_env.globals["errmsg"] = with_names(error_message)
