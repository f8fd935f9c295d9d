"""Validate submitted data against a form schema and report problems per field.

Forms are strict: a field the schema does not declare is refused (an object schema without
``additionalProperties`` is treated as ``false``), so a crafted request cannot smuggle data into
the process. Problems are returned as :class:`FieldError` values, never raised.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError

from forms.errors import FieldError

_FORMAT_CHECKER = FormatChecker()

# English msgids; the web layer translates them (zh-CN first).
MESSAGES = {
    "required": "This field is required.",
    "type": "Wrong type: expected %(expected)s.",
    "minLength": "Enter at least %(limit)s characters.",
    "maxLength": "Enter at most %(limit)s characters.",
    "minimum": "Must be at least %(limit)s.",
    "maximum": "Must be at most %(limit)s.",
    "exclusiveMinimum": "Must be greater than %(limit)s.",
    "exclusiveMaximum": "Must be less than %(limit)s.",
    "multipleOf": "Must be a multiple of %(limit)s.",
    "enum": "Choose one of the given options.",
    "const": "This value is not allowed.",
    "format": "Invalid format: expected %(format)s.",
    "pattern": "The value does not have the expected form.",
    "minItems": "Add at least %(limit)s row(s).",
    "maxItems": "Add at most %(limit)s row(s).",
    "minChoices": "Choose at least %(limit)s.",
    "maxChoices": "Choose at most %(limit)s.",
    "integer": "Enter a whole number.",
    "number": "Enter a number.",
    "notBefore": "Must not be before %(field)s.",
    "uniqueItems": "Entries must not repeat.",
    "additionalProperties": "Field not allowed: %(fields)s.",
    "unknown": "Invalid value.",
}

_TYPE_NAMES = {"string": "text", "integer": "whole number", "number": "number", "boolean": "yes/no",
               "array": "list", "object": "group", "null": "empty"}


def _strict(schema: Any) -> Any:
    if isinstance(schema, dict):
        out = {key: _strict(value) for key, value in schema.items()}
        if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(_strict(json.loads(schema_json)), format_checker=_FORMAT_CHECKER)


def _path(parts: Any) -> str:
    return ".".join(str(part) for part in parts)


def _to_field_errors(error: ValidationError) -> list[FieldError]:
    # jsonschema types these as "unset or value"; an error raised by validation always has them set
    keyword: str = str(error.validator)
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    instance: Any = error.instance
    limit: Any = error.validator_value
    path = _path(error.absolute_path)
    if keyword == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return [FieldError(_path([*error.absolute_path, missing]), "required", MESSAGES["required"])]
    if keyword == "additionalProperties":
        extra = sorted(set(instance) - set(schema.get("properties", {})))
        return [FieldError(path, "additionalProperties", MESSAGES["additionalProperties"],
                           {"fields": ", ".join(extra)})]
    params: dict[str, Any] = {}
    if keyword == "type" and limit in ("integer", "number"):
        return [FieldError(path, "type", MESSAGES[limit])]
    if keyword in ("minItems", "maxItems") and (schema.get("items") or {}).get("type") != "object":
        # a list of choices (checkboxes), not a table: choose, not add rows
        choose = "minChoices" if keyword == "minItems" else "maxChoices"
        return [FieldError(path, keyword, MESSAGES[choose], {"limit": limit})]
    if keyword == "type":
        names: list[str] = limit if isinstance(limit, list) else [limit]
        params["expected"] = " / ".join(_TYPE_NAMES.get(name, name) for name in names)
    elif keyword == "format":
        params["format"] = limit
    elif isinstance(limit, int | float):
        params["limit"] = limit
    template = MESSAGES.get(keyword, MESSAGES["unknown"])
    return [FieldError(path, keyword if keyword in MESSAGES else "unknown", template, params)]


def validate_submission(schema: dict[str, Any], data: Any) -> list[FieldError]:
    """Every problem of ``data`` against ``schema``; empty when the data is acceptable."""
    validator = _validator(json.dumps(schema, sort_keys=True, ensure_ascii=False))
    errors: list[FieldError] = []
    for error in sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator)):
        errors.extend(_to_field_errors(error))
    return errors + _order_errors(schema, data)


# ``"x-not-before": "period_start"`` on a date field: it may not be earlier than that field of the
# same object (a period's end, a schedule row's completion date).
NOT_BEFORE = "x-not-before"


def _order_errors(schema: dict[str, Any], data: Any, prefix: str = "") -> list[FieldError]:
    """Date fields earlier than the field their ``x-not-before`` names, in objects and table rows."""
    if not isinstance(data, dict):
        return []
    errors = []
    properties = schema.get("properties", {})
    for key, field in properties.items():
        path = f"{prefix}.{key}" if prefix else key
        other = field.get(NOT_BEFORE)
        value, limit = data.get(key), data.get(other) if other else None
        if isinstance(value, str) and isinstance(limit, str) and value and limit and value < limit:
            title = properties.get(other, {}).get("title", other)
            errors.append(FieldError(path, "notBefore", MESSAGES["notBefore"], {"field": title}))
        items = field.get("items") or {}
        if isinstance(data.get(key), list) and items.get("type") == "object":
            for index, row in enumerate(data[key]):
                errors.extend(_order_errors(items, row, f"{path}.{index}"))
    return errors


def strip_readonly(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` without the fields the schema marks ``readOnly`` (shown, never submitted)."""
    properties = schema.get("properties", {})
    return {key: copy.deepcopy(value) for key, value in data.items()
            if not properties.get(key, {}).get("readOnly")}
