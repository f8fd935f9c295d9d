"""Due dates of user tasks from their ``dueDate``, ``dueIn`` or ``dueWorkdays`` properties."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.clock import BUSINESS_TZ
from engine.runtime.specs import TaskMeta
from engine.workdays import add_workdays

log = logging.getLogger(__name__)
END_OF_DAY = time(23, 59, 59)


def end_of_day(day: date) -> datetime:
    """The last second of ``day`` in the business time zone, as UTC."""
    return datetime.combine(day, END_OF_DAY, BUSINESS_TZ).astimezone(UTC)


def to_deadline(value: Any) -> datetime | None:
    """A deadline from a date, a datetime or an ISO string; a bare date means the end of that day."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=BUSINESS_TZ)
        return moment.astimezone(UTC)
    if isinstance(value, date):
        return end_of_day(value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            if len(text) == 10:
                return end_of_day(date.fromisoformat(text))
            return to_deadline(datetime.fromisoformat(text))
        except ValueError:
            return None
    return None


def due_at(meta: TaskMeta, created: datetime, evaluate: Callable[[str], Any],
           late_start_workdays: int = 0) -> datetime | None:
    """When the task falls due, or None when it has no due-date property (or it cannot be read).

    A task whose date has already passed when it starts (a calendar date in spring for a project
    approved in December) is not born overdue: it gets ``late_start_workdays`` working days. A task
    with a ``minWorkdays`` property (an expression, e.g. a number of the year plan) gets at least
    that many working days from its own start, however late the step before it finished.
    """
    due = _declared_due(meta, created, evaluate)
    if due is None:
        return None
    start = created.astimezone(BUSINESS_TZ).date()
    if late_start_workdays and due < created:
        due = end_of_day(add_workdays(start, late_start_workdays))
    minimum = _minimum_workdays(meta, evaluate)
    return max(due, end_of_day(add_workdays(start, minimum))) if minimum else due


def _minimum_workdays(meta: TaskMeta, evaluate: Callable[[str], Any]) -> int:
    expression = meta.prop("minWorkdays")
    if not expression:
        return 0
    try:
        return max(0, int(evaluate(expression)))
    except Exception as error:  # noqa: BLE001 - a bad expression must not block the task
        log.warning("minimum working days of %s could not be computed: %s", meta.bpmn_id, error)
        return 0


def _declared_due(meta: TaskMeta, created: datetime, evaluate: Callable[[str], Any]) -> datetime | None:
    try:
        expression = meta.prop("dueDate")
        if expression:
            return to_deadline(evaluate(expression))
        duration = meta.prop("dueIn")
        if duration:
            parsed = TimerEventDefinition.parse_iso_duration(duration)
            delta: timedelta = TimerEventDefinition.get_timedelta_from_start(parsed, created)
            return created + delta
        workdays = meta.prop("dueWorkdays")
        if workdays:
            return end_of_day(add_workdays(created.astimezone(BUSINESS_TZ).date(), int(workdays)))
    except Exception as error:  # noqa: BLE001 - a bad due expression must not block the task
        log.warning("due date of %s could not be computed: %s", meta.bpmn_id, error)
    return None
