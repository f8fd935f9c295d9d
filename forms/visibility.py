"""Who may read what a step submitted: ``"x-visible-to": [roles]`` on a form field.

A field without it is readable by everyone who may see the project. A field with it is readable
by holders of those roles, and always by the person who submitted it. An expert's score, opinion
and recusal reason are marked so: the city and the supervisors read them, the other experts and
the applicant do not (they read the panel's result, which the process computes and the city's
decision carries). The earlier-steps view, the API and every export go through :func:`readable`.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

KEYWORD = "x-visible-to"


def confidential(schema: dict[str, Any] | None, roles: Collection[str]) -> bool:
    """True when ``schema`` marks fields ``x-visible-to`` and the reader's ``roles`` read none of them:
    for such a reader even who holds or did the step, and when, stays unsaid (who is on a panel)."""
    marked = [set(field[KEYWORD]) for field in (schema or {}).get("properties", {}).values()
              if isinstance(field, dict) and KEYWORD in field]
    return bool(marked) and not any(allowed & set(roles) for allowed in marked)


def readable(schema: dict[str, Any] | None, data: Any, roles: Collection[str], own: bool) -> Any:
    """``data`` without the fields the reader may not see (``own``: the reader submitted it)."""
    if own or not isinstance(data, dict) or not schema:
        return data
    properties = schema.get("properties", {})
    return {key: value for key, value in data.items()
            if KEYWORD not in properties.get(key, {}) or set(properties[key][KEYWORD]) & set(roles)}


def hides_fields_from(schema: dict[str, Any] | None, roles: Collection[str]) -> bool:
    """True when ``schema`` has a field that holders of ``roles`` may not read (an expert's score):
    then even who was asked to fill it in is not theirs to know."""
    properties = (schema or {}).get("properties", {})
    return any(KEYWORD in field and not set(field[KEYWORD]) & set(roles)
               for field in properties.values() if isinstance(field, dict))
