"""What a script may leave in the task data: values the workflow state can hold as JSON."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any

from engine.runtime.sandbox.errors import UnstorableValue

# What one stored value may hold: JSON's types plus dates and decimals, within these bounds.
MAX_STORED_DEPTH = 64
MAX_STORED_NODES = 200_000
MAX_STORED_TEXT = 1_000_000
MAX_STORED_INT_DIGITS = 4_000  # below CPython's 4,300-digit limit on int-to-text conversion


def check_storable(name: str, value: Any) -> None:
    """Refuse ``value`` (stored under ``name``) unless the workflow state can hold it as JSON.

    Shared sub-structures count once per place they appear, as JSON would write them.

    :raises UnstorableValue: naming the variable and the reason.
    """
    nodes = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > MAX_STORED_NODES:
            raise UnstorableValue(f"the value of {name} has more than {MAX_STORED_NODES} elements")
        if depth > MAX_STORED_DEPTH:
            raise UnstorableValue(f"the value of {name} is nested more than {MAX_STORED_DEPTH} levels deep")
        problem = _unstorable(item)
        if problem is not None:
            raise UnstorableValue(f"the value of {name} {problem}")
        if isinstance(item, dict):
            stack.extend((member, depth + 1) for member in item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend((member, depth + 1) for member in item)


def _unstorable(item: Any) -> str | None:
    """Why ``item`` itself (not what it contains) cannot be stored, or None."""
    if item is None or isinstance(item, bool | Decimal | date | list | tuple | set | frozenset):
        return None  # a datetime is a date
    if isinstance(item, int):
        too_long = item.bit_length() > MAX_STORED_INT_DIGITS * 3.32
        return f"has an integer of more than {MAX_STORED_INT_DIGITS} digits" if too_long else None
    if isinstance(item, float):
        return None if math.isfinite(item) else "is not a finite number"
    if isinstance(item, str):
        return f"has a text longer than {MAX_STORED_TEXT} characters" if len(item) > MAX_STORED_TEXT else None
    if isinstance(item, dict):
        bad = next((key for key in item if isinstance(key, bool) or not isinstance(key, str | int)), None)
        return None if bad is None else f"has a key of type {type(bad).__name__}"
    return f"is a {type(item).__name__}, which cannot be stored"
