"""Plain-JSON copies of data for audit rows and projections."""

from __future__ import annotations

import json
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return None  # callables, modules and other non-data never reach the database


def plain_copy(value: Any) -> Any:
    """A deep copy of ``value`` made only of JSON types (dates as ISO strings)."""
    return json.loads(json.dumps(value, default=_plain, ensure_ascii=False))
