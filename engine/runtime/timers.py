"""Make SpiffWorkflow's timers read ``engine.clock`` and the business time zone.

SpiffWorkflow's timer module calls ``datetime.now(timezone.utc)`` and has no injection hook, and
it reads naive timer dates in the server's local zone, frozen at import. We replace both module
attributes once, when the runtime is imported: timers then follow the clock tests move, and a
calendar date such as ``2008-06-30`` means midnight in Beijing whatever zone the server runs in.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _timer_module
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine import clock
from engine.clock import BUSINESS_TZ


class _ClockDatetime(datetime):
    """``datetime`` whose ``now`` is ``engine.clock.now``."""

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        current = clock.now()
        return current.astimezone(tz) if tz is not None else current.astimezone(BUSINESS_TZ).replace(tzinfo=None)


def install() -> None:
    """Point the timer module at our clock and zone (idempotent)."""
    _timer_module.datetime = _ClockDatetime
    _timer_module.LOCALTZ = BUSINESS_TZ


def pending_due(value: Any) -> datetime | None:
    """The due time of a pending timer event value as SpiffWorkflow reports it, or None."""
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        parsed = TimerEventDefinition.parse_time_or_duration(value)
    except Exception:  # noqa: BLE001 - an unparsable value is reported by the lint, not here
        return None
    if not isinstance(parsed, datetime):
        return None
    # Rebuild as a plain datetime: the library parsed it with our clock subclass.
    moment = parsed.astimezone(UTC)
    return datetime.combine(moment.date(), moment.time(), UTC)


install()
