"""Choices that come from the process data: ``"x-enum-from": "key"`` on a field.

A form file cannot know this year's catalogue or the panel members; the process data can. A field
(or an array's ``items``) marked ``"x-enum-from": "panel_candidates"`` gets its ``enum`` from that
data key, a list of plain values or of ``{"value": ..., "label": ...}`` objects; the labels go to
``x-enum-labels`` for the form renderer.
"""

from __future__ import annotations

import copy
from typing import Any

KEYWORD = "x-enum-from"


def needs_options(schema: Any) -> bool:
    """True when some field of ``schema`` takes its choices from the data."""
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


def _resolve(node: Any, data: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_resolve(item, data) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _resolve(value, data) for key, value in node.items()}
    if KEYWORD in out:
        values, labels = _choices(data.get(out[KEYWORD]))
        # An empty list still validates as "no valid choice", which is the honest answer.
        out["enum"] = values or [None]
        out["x-enum-labels"] = labels
    return out


def with_options(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` whose data-driven fields carry their current choices."""
    if not needs_options(schema):
        return copy.deepcopy(schema)
    return _resolve(schema, data)
