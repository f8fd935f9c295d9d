"""Hostile or clumsy input is refused at the door with a 4xx, before any view or query sees it.

* ``next`` targets lead only to a path on this site (no scheme, host, backslash or control
  character: browsers drop tabs and line breaks, so ``/\\t/evil.example`` would become ``//evil``);
* ids in URLs and page numbers are bounded (an INTEGER id column cannot hold more);
* control characters (NUL and the like; PostgreSQL refuses NUL in text) are refused in the path,
  the query, form fields, file names and JSON strings; form text keeps tabs and line breaks;
* JSON bodies are limited in size and nesting depth, and may hold no lone surrogate (``"\\ud800"``,
  which no database stores) and no NaN or Infinity (:mod:`forms.jsoncheck`): :class:`RefusedJSON`,
  a 400 that says which.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask import request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from forms import jsoncheck

MAX_ID = 2**31 - 1  # the id columns are INTEGER: 32 bits on PostgreSQL
MAX_PAGE = 100_000
MAX_JSON_BYTES = 2 * 1024 * 1024
MAX_JSON_DEPTH = 64
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # text may keep \t, \n and \r
_CONTROL_ANY = re.compile(r"[\x00-\x1f\x7f]")


class RefusedJSON(BadRequest):
    """A JSON body that parses but may not be kept: ``reason`` is 'surrogate', 'non_finite' or 'too_deep'
    (``code`` stays the HTTP status, 400, as for every HTTP exception)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"unacceptable JSON: {reason}")


class JSONTooLarge(RequestEntityTooLarge):
    """A JSON body over MAX_JSON_BYTES (the upload limit, MAX_CONTENT_LENGTH, is larger)."""

    limit = MAX_JSON_BYTES


class IdConverter(IntegerConverter):
    """``<int:…>`` that matches only ids an id column can hold: anything larger is a 404."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback``."""
    if not target or _CONTROL_ANY.search(target) or "\\" in target:
        return fallback
    if not target.startswith("/") or target.startswith("//"):
        return fallback
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else fallback


def page_number(value: str | None) -> int:
    """A page number from the query string (1 when absent). :raises BadRequest: when not 1…MAX_PAGE."""
    if value in (None, ""):
        return 1
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise BadRequest(f"page must be a whole number from 1 to {MAX_PAGE}")
    return int(value)


def _depth_ok(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((member, depth + 1) for member in item.values())
        elif isinstance(item, list):
            stack.extend((member, depth + 1) for member in item)
    return True


def _has_control(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _CONTROL.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class GuardedJSONProvider(DefaultJSONProvider):
    """Parses JSON no deeper than MAX_JSON_DEPTH and without control characters in its strings."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        value = jsoncheck.loads(s, **kwargs)  # UnacceptableJSON is a ValueError
        if not _depth_ok(value, MAX_JSON_DEPTH):
            raise ValueError(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")
        if _has_control(value):
            raise ValueError("the JSON contains control characters")
        return value


def _check_request() -> None:
    if _CONTROL_ANY.search(request.path) or any(
            _CONTROL_ANY.search(key) or _CONTROL_ANY.search(value) for key, value in request.args.items(multi=True)):
        raise BadRequest("control characters are not allowed in addresses")
    if request.is_json and (request.content_length or 0) > MAX_JSON_BYTES:
        raise JSONTooLarge()
    if request.is_json and request.method in ("POST", "PUT", "PATCH"):
        _check_json_body()
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            if _CONTROL_ANY.search(key) or _CONTROL.search(value):
                raise BadRequest("control characters are not allowed in form fields")
        for upload in request.files.values():
            if upload.filename and _CONTROL_ANY.search(upload.filename):
                raise BadRequest("control characters are not allowed in file names")


def _check_json_body() -> None:
    """Refuse a JSON body holding a lone surrogate or a non-finite number; malformed JSON is the view's."""
    try:
        jsoncheck.loads(request.get_data(cache=True))
    except jsoncheck.UnacceptableJSON as error:
        raise RefusedJSON(error.code) from None
    except ValueError:
        return


def init_app(app: Flask) -> None:
    """Install the id converter, the JSON provider and the request check on ``app``."""
    app.url_map.converters["int"] = IdConverter
    app.json_provider_class = GuardedJSONProvider
    app.json = GuardedJSONProvider(app)
    app.before_request(_check_request)
