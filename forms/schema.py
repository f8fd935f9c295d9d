"""Find, load and check JSON-Schema form files."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from forms.errors import FormSchemaError

MAX_FORM_BYTES = 512 * 1024


def find_form(name: str, search_dirs: Iterable[Path]) -> Path | None:
    """The first ``search_dirs/name`` that exists, refusing names that leave the directory."""
    if not name or Path(name).is_absolute() or ".." in Path(name).parts:
        return None
    for directory in search_dirs:
        candidate = Path(directory) / name
        if candidate.is_file():
            return candidate
    return None


def parse_form(text: str) -> dict[str, Any]:
    """Parse and check one form document.

    :raises FormSchemaError: when it is not JSON, not an object schema, or not a valid schema.
    """
    return copy.deepcopy(_parse_form(text))


@lru_cache(maxsize=512)
def _parse_form(text: str) -> dict[str, Any]:
    if len(text.encode("utf-8")) > MAX_FORM_BYTES:
        raise FormSchemaError("The form file is too large")
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as error:
        raise FormSchemaError("Not valid JSON (line %(line)s): %(error)s", line=error.lineno, error=error.msg) from None
    if not isinstance(schema, dict):
        raise FormSchemaError("A form must be a JSON object")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        location = "/".join(str(part) for part in error.absolute_path) or "(root)"
        raise FormSchemaError("Not a valid JSON Schema at %(location)s: %(error)s", location=location,
                              error=error.message) from None
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        raise FormSchemaError('A form must be {"type": "object", "properties": {...}}')
    return schema
