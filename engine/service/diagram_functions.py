"""The engine's library of functions diagrams may call, bound to the use case's transaction.

Each takes explicit arguments and reads only what it needs; nothing here writes except the row
lock ``count_projects`` takes so that two submissions of one unit are counted one after the other.
A domain adds its own functions in a subclass (``Domain.functions``) that extends ``EXPORTED``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.clock import BUSINESS_TZ
from engine.errors import Refused
from engine.persistence.models import Unit
from engine.persistence.models import User
from engine.persistence.models import UserRole
from engine.persistence.queries import quotas
from engine.workdays import add_workdays


class DiagramFunctions:
    """The functions of every process; ``EXPORTED`` names those a diagram sees."""

    EXPORTED: ClassVar[tuple[str, ...]] = (
        "count_projects", "refuse", "unit_kind", "unit_name", "today", "workdays_after", "mean",
        "users_with_role", "users_in_unit")

    def __init__(self, session: Session, instance_id: int | None) -> None:
        self.session = session
        self.instance_id = instance_id

    def as_dict(self) -> dict[str, Callable[..., Any]]:
        """The exported functions by name, as the sandbox receives them."""
        return {name: getattr(self, name) for name in self.EXPORTED}

    def count_projects(self, kind: str, unit_code: str, year: int | None = None, milestone: str = "submitted",
                       below: bool = False) -> int:
        """Other instances of ``kind`` for the unit (with ``below``, or a unit below it) and year
        that reached ``milestone``."""
        self.session.scalars(select(Unit).where(Unit.code == unit_code).with_for_update()).first()
        return quotas.count_with_milestone(self.session, kind=kind, unit_code=unit_code, year=year,
                                            milestone=milestone, exclude_instance=self.instance_id, below=below)

    @staticmethod
    def refuse(reason: str) -> None:
        """Refuse the user's action with ``reason``; nothing of the step is applied."""
        raise Refused(reason=str(reason))

    def unit_of_kind(self, unit_code: str, kind: str) -> str | None:
        """The unit itself or its nearest ancestor of ``kind``."""
        unit = self.session.get(Unit, unit_code)
        while unit is not None and unit.kind != kind:
            unit = self.session.get(Unit, unit.parent_code) if unit.parent_code else None
        return unit.code if unit is not None else None

    def unit_kind(self, unit_code: str) -> str | None:
        unit = self.session.get(Unit, unit_code)
        return unit.kind if unit is not None else None

    def unit_name(self, unit_code: str) -> str:
        unit = self.session.get(Unit, unit_code)
        return unit.name if unit is not None else str(unit_code)

    @staticmethod
    def today() -> str:
        return clock.now().astimezone(BUSINESS_TZ).date().isoformat()

    @staticmethod
    def workdays_after(day: str, count: int) -> str:
        """The date ``count`` official working days after ``day``."""
        return add_workdays(date.fromisoformat(str(day)[:10]), int(count)).isoformat()

    @staticmethod
    def mean(values: list[Any]) -> float | None:
        numbers = [float(v) for v in values if v is not None]
        return round(sum(numbers) / len(numbers), 2) if numbers else None

    @staticmethod
    def _options(users: list[User]) -> list[dict[str, str]]:
        return [{"value": u.username, "label": f"{u.display_name}（{u.unit.name}）"} for u in users if u.active]

    def users_with_role(self, role: str) -> list[dict[str, str]]:
        query = select(User).join(UserRole).where(UserRole.role == role).order_by(User.username)
        return self._options(list(self.session.scalars(query)))

    def users_in_unit(self, unit_code: str) -> list[dict[str, str]]:
        query = select(User).where(User.unit_code == unit_code).order_by(User.username)
        return self._options(list(self.session.scalars(query)))

    def units_of_kind(self, *kinds: str) -> list[dict[str, str]]:
        units = self.session.scalars(select(Unit).where(Unit.kind.in_(kinds)).order_by(Unit.path))
        return [{"value": u.code, "label": u.name} for u in units]

