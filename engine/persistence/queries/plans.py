"""The year plans (reference data ``year:<year>``) as the pages read them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.persistence.models import ReferenceData

PREFIX = "year:"


def year_plan(session: Session, year: int) -> dict[str, Any] | None:
    """The plan of ``year``, None when the city has not planned it."""
    plan = session.get(ReferenceData, f"{PREFIX}{year}")
    return plan.value if plan is not None else None


def year_plans(session: Session, years: Iterable[int] | None = None) -> dict[int, dict[str, Any]]:
    """Year → plan of ``years`` (that are planned), or of every planned year when None."""
    if years is not None:
        plans = ((year, year_plan(session, year)) for year in years)
        return {year: plan for year, plan in plans if plan is not None}
    rows = session.scalars(select(ReferenceData).where(ReferenceData.key.like(f"{PREFIX}%")))
    return {int(row.key[len(PREFIX):]): row.value for row in rows if row.key[len(PREFIX):].isdigit()}


def planned_years(session: Session) -> list[int]:
    """The years the city has planned (their keys only)."""
    keys = session.scalars(select(ReferenceData.key).where(ReferenceData.key.like(f"{PREFIX}%")))
    return [int(key[len(PREFIX):]) for key in keys if key[len(PREFIX):].isdigit()]
