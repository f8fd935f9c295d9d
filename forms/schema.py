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

from forms import jsoncheck
from forms.errors import FormSchemaError

MAX_FORM_BYTES = 512 * 1024
FORM_DEPTH = 32  # nesting of the form document; drawing and checking a form walk it recursively


def _unacceptable(code: str) -> FormSchemaError:
    """The error for JSON that parses but may not be kept (see :mod:`forms.jsoncheck`)."""
    if code == "surrogate":
        return FormSchemaError("The form contains an invalid character (a lone UTF-16 surrogate such as \\ud800)")
    if code == "non_finite":
        return FormSchemaError("The form contains a number that is not finite (NaN or Infinity)")
    return FormSchemaError("The form is nested more than %(depth)s levels deep", depth=FORM_DEPTH)


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
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FORM_BYTES:
        raise FormSchemaError("The form file is too large")
    try:
        schema = jsoncheck.loads(text)
    except json.JSONDecodeError as error:
        raise FormSchemaError("Not valid JSON (line %(line)s): %(error)s", line=error.lineno, error=error.msg) from None
    except jsoncheck.UnacceptableJSON as error:
        raise _unacceptable(error.code) from None
    if jsoncheck.problem_of(schema, FORM_DEPTH) == "too_deep":
        raise _unacceptable("too_deep")
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
