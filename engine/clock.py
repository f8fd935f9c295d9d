"""The one source of "now" for the whole application.

Everything that needs the current time (due dates, audit stamps, timers inside SpiffWorkflow, which
``engine.runtime.timers`` redirects here) calls :func:`now`. Tests and the demo move the clock
with :func:`travel_to` / :func:`advance`; production leaves it on the system clock.
"""

from __future__ import annotations

import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone

# Dates without a time of day (a calendar's 2008-06-30) are read in Beijing time.
BUSINESS_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

_lock = threading.Lock()
_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """Current time, timezone-aware in UTC, honouring any travel set by tests or the demo."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def travel_to(moment: datetime, *, frozen: bool = True) -> None:
    """Move the clock to ``moment``; frozen (tests) or ticking from there on (demo)."""
    global _frozen, _offset
    if moment.tzinfo is None:
        raise ValueError("travel_to needs a timezone-aware datetime")
    with _lock:
        if frozen:
            _frozen = moment.astimezone(UTC)
            _offset = timedelta(0)
        else:
            _frozen = None
            _offset = moment.astimezone(UTC) - datetime.now(UTC)


def start_ticking_from(setting: str) -> None:
    """Let the clock tick from a configured moment: ``ISO-TIME`` or ``ISO-TIME@EPOCH-SECONDS``.

    With ``@EPOCH-SECONDS`` the clock read ISO-TIME at that real moment, so every process started
    from the same setting (web workers, the timer worker) agrees, whenever it starts.

    :raises ValueError: for a setting in neither form.
    """
    moment_text, _, epoch_text = setting.strip().partition("@")
    moment = datetime.fromisoformat(moment_text)
    if epoch_text:
        moment += datetime.now(UTC) - datetime.fromtimestamp(float(epoch_text), UTC)
    travel_to(moment, frozen=False)


def advance(delta: timedelta) -> datetime:
    """Move the clock forward by ``delta`` and return the new now."""
    global _frozen, _offset
    with _lock:
        if _frozen is not None:
            _frozen = _frozen + delta
        else:
            _offset = _offset + delta
    return now()


def reset() -> None:
    """Back to the system clock."""
    global _frozen, _offset
    with _lock:
        _frozen = None
        _offset = timedelta(0)
