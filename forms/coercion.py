"""Turn an HTML form post into the JSON value a form schema describes.

Field names follow the schema paths: ``title``, ``brands`` (repeated for each chosen option),
``nodes.0.name`` for the cells of a table (an array of objects). Values that do not convert (``abc``
in a number field) are kept as typed, so that validation reports them and the form shows them back.
Empty optional fields are left out; empty table rows are dropped.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GetList = Callable[[str], list[str]]


def _number(text: str, kind: str) -> Any:
    cleaned = text.strip()
    try:
        if kind == "integer":
            return int(cleaned)
        value = float(cleaned)
    except ValueError:
        return text
    if not math.isfinite(value):  # nan, inf, 1e999: kept as typed, so validation reports it
        return text
    return int(value) if value.is_integer() and "." not in cleaned else value


def _scalar(schema: dict[str, Any], values: list[str]) -> Any:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "boolean":
        return any(v in ("on", "true", "1", "yes") for v in values)
    text = values[-1] if values else ""
    if text.strip() == "":
        return None
    if kind in ("integer", "number"):
        return _number(text, kind)
    return text


def _row_indexes(prefix: str, names: Iterable[str]) -> list[int]:
    pattern = re.compile(rf"^{re.escape(prefix)}\.(\d+)\.")
    return sorted({int(match.group(1)) for name in names if (match := pattern.match(name))})


def _files(values: list[str]) -> list[Any]:
    refs = []
    for text in values:
        try:
            refs.append(json.loads(text))
        except json.JSONDecodeError:
            refs.append(text)  # validation reports it
    return refs


def _value(schema: dict[str, Any], name: str, get_list: GetList, names: list[str]) -> Any:
    if schema.get("x-widget") == "files":
        return _files(get_list(name))
    if schema.get("type") == "array":
        items = schema.get("items", {})
        if items.get("type") == "object":
            rows = []
            for index in _row_indexes(name, names):
                row = _object(items, f"{name}.{index}", get_list, names)
                if any(value is not False for value in row.values()):  # an unticked box alone is a blank row
                    rows.append(row)
            return rows
        values = [v for v in get_list(name) if v != ""]
        return [_scalar(items, [v]) for v in values]
    if schema.get("type") == "object":
        return _object(schema, name, get_list, names)
    return _scalar(schema, get_list(name))


def _object(schema: dict[str, Any], prefix: str, get_list: GetList, names: list[str]) -> dict[str, Any]:
    out = {}
    for key, field in schema.get("properties", {}).items():
        if field.get("readOnly"):
            continue
        name = f"{prefix}.{key}" if prefix else key
        value = _value(field, name, get_list, names)
        if value is None or (value == [] and not _was_posted(name, names)):
            continue
        if field.get("type") == "boolean" or value not in ("", None):
            out[key] = value
    return out


def _was_posted(name: str, names: list[str]) -> bool:
    return name in names


def coerce_form(schema: dict[str, Any], get_list: GetList, names: Iterable[str]) -> dict[str, Any]:
    """The submitted values as ``schema`` types them; ``get_list(name)`` returns every posted value."""
    return _object(schema, "", get_list, list(names))


@dataclass(frozen=True)
class FormPost:
    """An HTML form post as it came (field name → its values in order), typed by a form schema
    only where the schema is known (inside the use case that reads the task's form)."""

    values: dict[str, list[str]]

    def data(self, schema: dict[str, Any] | None) -> dict[str, Any]:
        """The posted values as ``schema`` types them (none without a schema)."""
        if schema is None:
            return {}
        return coerce_form(schema, lambda name: self.values.get(name, []), self.values)
