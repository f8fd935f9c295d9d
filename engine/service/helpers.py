"""The functions diagrams may call, bound to the use case's transaction.

Each takes explicit arguments and reads only what it needs; nothing here writes except the row
lock ``count_projects`` takes so that two submissions of one unit are counted one after the other.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.clock import BUSINESS_TZ
from engine.errors import Refused
from engine.persistence.models import ReferenceData
from engine.persistence.models import Unit
from engine.persistence.models import User
from engine.persistence.models import UserRole
from engine.persistence.queries import quotas
from engine.workdays import add_workdays

# What scripts and expressions may call (docs/diagrams.md lists each; tests/test_docs.py checks it).
EXPORTED = ("count_projects", "refuse", "county_of", "unit_kind", "unit_name", "today", "workdays_after", "mean",
            "year_plan", "calendar_of", "catalogue_options", "sector_options", "brand_options", "corridor_options",
            "collaborator_options", "users_with_role", "users_in_unit", "quota_left", "quota_unit",
            "catalogue_indicators")
# Units that may be named as collaborating units of a project (协作单位).
COLLABORATOR_KINDS = ("department", "county", "township", "enterprise", "community", "village")


class DiagramHelpers:
    def __init__(self, session: Session, instance_id: int | None) -> None:
        self.session = session
        self.instance_id = instance_id
        self._plans: dict[int, dict[str, Any]] = {}

    def as_dict(self) -> dict[str, Callable]:
        return {name: getattr(self, name) for name in EXPORTED}

    def count_projects(self, kind: str, unit_code: str, year: int | None = None, milestone: str = "submitted",
                       below: bool = False) -> int:
        """Other instances of ``kind`` for the unit (with ``below``, or a unit below it) and year
        that reached ``milestone``."""
        self.session.scalars(select(Unit).where(Unit.code == unit_code).with_for_update()).first()
        return quotas.count_with_milestone(self.session, kind=kind, unit_code=unit_code, year=year,
                                            milestone=milestone, exclude_instance=self.instance_id, below=below)

    def quota_unit(self, unit_code: str) -> str:
        """The unit whose quota an application of ``unit_code`` counts against: its county for a
        township or village (which cannot bypass the county's quota), else the unit itself."""
        return self.county_of(unit_code) or unit_code

    def quota_left(self, kind: str, unit_code: str, year: int) -> int:
        """How many more applications of ``kind`` the unit may file in ``year`` (the year plan's quota
        less those filed in its quota unit, not counting withdrawn or rejected ones). Takes no lock:
        for showing."""
        filed = quotas.count_with_milestone(self.session, kind=kind, unit_code=self.quota_unit(unit_code), year=year,
                                             milestone="submitted", exclude_instance=self.instance_id, below=True)
        return int(self.year_plan(year)["quota"][kind]) - filed

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

    def county_of(self, unit_code: str) -> str | None:
        return self.unit_of_kind(unit_code, "county")

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
    def mean(values: list) -> float | None:
        numbers = [float(v) for v in values if v is not None]
        return round(sum(numbers) / len(numbers), 2) if numbers else None

    def year_plan(self, year: int) -> dict[str, Any]:
        """The year plan of ``year``, read when evaluated (never copied into process data).

        Read (and copied) once per use case; the value is shared by the expressions of that use case.

        :raises Refused: when the city has not set up that year.
        """
        plan = self._plans.get(year)
        if plan is None:
            row = self.session.get(ReferenceData, f"year:{year}")
            if row is None:
                raise Refused(reason=f"尚未设置{year}年度计划，请联系市委组织部。")
            # A copy: a script that changes what it read must not change the row's loaded value.
            plan = self._plans[year] = copy.deepcopy(row.value)
        return plan

    def calendar_of(self, year: int) -> dict[str, Any]:
        """The calendar dates of the year plan of ``year``."""
        return self.year_plan(year)["calendar"]

    def catalogue_options(self, year: int) -> list[dict[str, str]]:
        """The year's catalogue projects as choices, then "自拟项目" (a project of the unit's own)."""
        return [{"value": p["code"], "label": p["name"]} for p in self.year_plan(year)["catalogue"]] + \
            [{"value": "own", "label": "自拟项目"}]

    def catalogue_indicators(self, year: int, code: str) -> list[dict[str, str]]:
        """The refined 考核指标 the year plan's catalogue gives project ``code`` (one per line,
        "指标：目标值"), as rows with ``name`` and ``target``; none for a project of the unit's own."""
        entry = next((p for p in self.year_plan(year)["catalogue"] if p.get("code") == code), None)
        rows = []
        for line in str((entry or {}).get("indicators") or "").splitlines():
            name, _colon, target = line.replace(":", "：").partition("：")
            if name.strip():
                rows.append({"name": name.strip(), "target": target.strip()})
        return rows

    def sector_options(self, year: int) -> list[dict[str, str]]:
        """The year's work sectors a key project may belong to (the demonstration sector is separate)."""
        return [{"value": s["code"], "label": s["name"]} for s in self.year_plan(year)["sectors"]
                if s["code"] != "demonstration"]

    def brand_options(self, year: int) -> list[dict[str, str]]:
        return [{"value": b["code"], "label": b["name"]} for b in self.year_plan(year)["brands"]]

    def corridor_options(self, year: int) -> list[Any]:
        return list(self.year_plan(year)["corridors"])

    def collaborator_options(self, unit_code: str) -> list[dict[str, str]]:
        """Units that may collaborate on a project of ``unit_code`` (every other working unit)."""
        return [unit for unit in self.units_of_kind(*COLLABORATOR_KINDS) if unit["value"] != unit_code]

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


def diagram_helpers(session: Session, instance_id: int | None) -> dict[str, Callable]:
    return DiagramHelpers(session, instance_id).as_dict()
