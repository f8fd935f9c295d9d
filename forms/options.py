"""Choices computed when a form is shown: ``"x-enum-from": "expression"`` on a field.

A form file cannot know this year's catalogue, the panel members or the units that may
collaborate; the running process can. A field (or an array's ``items``) marked, for example,
``"x-enum-from": "catalogue_options(year)"`` gets its ``enum`` from that expression, which the
engine evaluates (sandboxed, with the diagram helpers) against the task's data each time the
form is drawn or a submission is checked: reference data is read where it lives, never copied
into process data. The result is a list of plain values or of ``{"value": ..., "label": ...}``
objects; the labels go to ``x-enum-labels`` for the form renderer. A bare data key is an
expression too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

KEYWORD = "x-enum-from"

# Evaluates one ``x-enum-from`` expression; returns the choices (or raises).
Resolver = Callable[[str], Any]


def needs_options(schema: Any) -> bool:
    """True when some field of ``schema`` takes its choices from an expression."""
    if isinstance(schema, dict):
        return KEYWORD in schema or any(needs_options(value) for value in schema.values())
    if isinstance(schema, list):
        return any(needs_options(item) for item in schema)
    return False


def _choices(source: Any) -> tuple[list[Any], dict[str, str]]:
    values: list[Any] = []
    labels: dict[str, str] = {}
    for option in source if isinstance(source, list) else []:
        if isinstance(option, dict) and "value" in option:
            values.append(option["value"])
            labels[str(option["value"])] = str(option.get("label", option["value"]))
        elif isinstance(option, str | int | float):
            values.append(option)
            labels[str(option)] = str(option)
    return values, labels


def _resolve(node: Any, resolve: Resolver) -> Any:
    if isinstance(node, list):
        return [_resolve(item, resolve) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _resolve(value, resolve) for key, value in node.items()}
    if KEYWORD in out:
        values, labels = _choices(resolve(str(out[KEYWORD])))
        # An empty list still validates as "no valid choice", which is the honest answer.
        out["enum"] = values or [None]
        out["x-enum-labels"] = labels
    return out


def with_options(schema: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
    """A copy of ``schema`` whose computed-choice fields carry their current choices.

    ``resolve`` evaluates an ``x-enum-from`` expression; when it raises, the field offers no choice.
    """
    if not needs_options(schema):
        return copy.deepcopy(schema)

    def safely(expression: str) -> Any:
        try:
            return resolve(expression)
        except Exception:  # noqa: BLE001 - a broken expression must not hide the whole form
            return []

    return _resolve(schema, safely)
