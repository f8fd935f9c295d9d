"""What JSON text may hold here: no lone surrogates, no NaN or Infinity, bounded nesting.

Python's ``json`` reads ``"\\ud800"`` as a string that no database can store (UTF-8 has no
encoding for it) and ``NaN``, ``Infinity`` or ``1e999`` as floats that PostgreSQL's ``jsonb``
refuses and SQLite keeps as non-standard JSON. :func:`loads` reads JSON text and refuses them;
:func:`problem_of` finds them in a value parsed elsewhere.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")


class UnacceptableJSON(ValueError):
    """JSON that parses but may not be stored: ``code`` is 'surrogate', 'non_finite' or 'too_deep'."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def _refuse_constant(name: str) -> Any:
    raise UnacceptableJSON("non_finite")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UnacceptableJSON("non_finite")
    return value


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` that refuses what :func:`problem_of` names.

    :raises UnacceptableJSON: for a lone surrogate, a non-finite number or nesting beyond MAX_DEPTH.
    :raises ValueError: (``json.JSONDecodeError``) for text that is not JSON.
    """
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite, **kwargs)
    except RecursionError:
        raise UnacceptableJSON("too_deep") from None
    problem = problem_of(value)
    if problem is not None:
        raise UnacceptableJSON(problem)
    return value


def problem_of(value: Any, max_depth: int = MAX_DEPTH) -> str | None:
    """'surrogate', 'non_finite' or 'too_deep' for the first such part of ``value``, else None."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return "too_deep"
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return "surrogate"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "non_finite"
        elif isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((member, depth + 1) for member in item.values())
        elif isinstance(item, list | tuple):
            stack.extend((member, depth + 1) for member in item)
    return None
