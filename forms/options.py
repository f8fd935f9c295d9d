"""Choices computed when a form is shown: ``"x-enum-from": "expression"`` on a field.

A form file cannot know this year's catalogue, the panel members or the units that may
collaborate; the running process can. A field (or an array's ``items``) marked, for example,
``"x-enum-from": "catalogue_options(year)"`` gets its ``enum`` from that expression, which the
engine evaluates (sandboxed, with the diagram helpers) against the task's data each time the
form is drawn or a submission is checked: reference data is read where it lives, never copied
into process data. The result is a list of plain values or of ``{"value": ..., "label": ...}``
objects; the labels go to ``x-enum-labels`` for the form renderer (a plain value keeps the label
the form file gives it there, so an expression may narrow a fixed list: ``['pass', 'return'] if
rounds < 3 else ['pass']``). A bare data key is an expression too.

``"x-description-from": "expression"`` gives a field's help text from the process: a form that no
longer offers a choice says why (the return limit reached, say). An empty result keeps the form's
own ``description``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

KEYWORD = "x-enum-from"
DESCRIPTION_KEYWORD = "x-description-from"
# ``"x-rows-from": "expression"`` on a table (an array of objects): its rows come from the process
# (a score sheet's criteria, say). The expression gives one object per row with the fixed columns
# (readOnly in ``items``); the user fills in the rest. A column marked ``"x-maximum-from": "max"``
# may not exceed that row's ``max``; a column marked ``"x-reason-for": "score"`` must be filled in when
# that row's ``score`` is below its maximum (a deduction needs its reason). The resolved rows are kept
# in ``x-rows``.
ROWS_KEYWORD = "x-rows-from"

# Evaluates one ``x-enum-from`` expression; returns the choices (or raises).
Resolver = Callable[[str], Any]


def needs_options(schema: Any) -> bool:
    """True when some field of ``schema`` takes its choices (or rows) from an expression."""
    if isinstance(schema, dict):
        return any(key in schema for key in (KEYWORD, ROWS_KEYWORD, DESCRIPTION_KEYWORD)) or \
            any(needs_options(value) for value in schema.values())
    if isinstance(schema, list):
        return any(needs_options(item) for item in schema)
    return False


def _choices(source: Any, known: dict[str, str]) -> tuple[list[Any], dict[str, str]]:
    """The values and labels of ``source``; ``known`` (the form's own ``x-enum-labels``) labels plain
    values, and stays for values the expression did not give (an earlier submission still reads)."""
    values: list[Any] = []
    labels: dict[str, str] = dict(known)
    for option in source if isinstance(source, list) else []:
        if isinstance(option, dict) and "value" in option:
            values.append(option["value"])
            labels[str(option["value"])] = str(option.get("label", option["value"]))
        elif isinstance(option, str | int | float):
            values.append(option)
            labels.setdefault(str(option), str(option))
    return values, labels


def _resolve(node: Any, resolve: Resolver) -> Any:
    if isinstance(node, list):
        return [_resolve(item, resolve) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _resolve(value, resolve) for key, value in node.items()}
    if KEYWORD in out:
        known = out.get("x-enum-labels")
        values, labels = _choices(resolve(str(out[KEYWORD])), known if isinstance(known, dict) else {})
        # An empty list still validates as "no valid choice", which is the honest answer.
        out["enum"] = values or [None]
        out["x-enum-labels"] = labels
    if DESCRIPTION_KEYWORD in out:
        text = resolve(str(out[DESCRIPTION_KEYWORD]))
        if isinstance(text, str) and text.strip():
            out["description"] = text
    if ROWS_KEYWORD in out:
        _fixed_rows(out, resolve(str(out[ROWS_KEYWORD])))
    return out


def _fixed_rows(table: dict[str, Any], rows: Any) -> None:
    """Give ``table`` exactly ``rows`` (in ``x-rows``), each row's limits in ``prefixItems``."""
    rows = [dict(row) for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []
    table["x-rows"] = rows
    table["minItems"] = table["maxItems"] = len(rows)
    items = table.get("items", {})
    prefix = []
    for row in rows:
        row_schema = copy.deepcopy(items)
        columns = row_schema.get("properties", {})
        for column in columns.values():
            limit = row.get(column.get("x-maximum-from", ""))
            if isinstance(limit, int | float) and not isinstance(limit, bool):
                column["maximum"] = limit
        reasons = [_reason_rule(key, column, columns) for key, column in columns.items() if "x-reason-for" in column]
        if any(reasons):
            row_schema["allOf"] = [rule for rule in reasons if rule]
        prefix.append(row_schema)
    table["prefixItems"] = prefix


def _reason_rule(key: str, column: dict[str, Any], columns: dict[str, Any]) -> dict[str, Any] | None:
    """``key`` required (and not blank) whenever the column it explains is below its row's maximum."""
    scored = str(column["x-reason-for"])
    limit = columns.get(scored, {}).get("maximum")
    if not isinstance(limit, int | float) or isinstance(limit, bool):
        return None
    return {"if": {"properties": {scored: {"type": "number", "exclusiveMaximum": limit}}, "required": [scored]},
            "then": {"required": [key], "properties": {key: {"minLength": 1}}}}


def fill_fixed_rows(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the fixed columns of each table with ``x-rows`` taken from those rows, never
    from the submission (a user cannot change a criterion or its maximum)."""
    out = dict(data)
    for key, field in schema.get("properties", {}).items():
        if field.get("x-rows") is not None:
            out[key] = table_rows(field, out.get(key))
    return out


def table_rows(table: dict[str, Any], value: Any) -> Any:
    """The rows of a table with ``x-rows``: each given row with what was typed in it (``value``), its
    fixed columns from the process; ``value`` itself for any other table."""
    rows = table.get("x-rows")
    if rows is None:
        return value
    submitted = value if isinstance(value, list) else []
    return [{**(submitted[index] if index < len(submitted) and isinstance(submitted[index], dict) else {}), **row}
            for index, row in enumerate(rows)]


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

    resolved: dict[str, Any] = _resolve(schema, safely)  # a dict maps to a dict
    return resolved
