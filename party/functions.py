"""The functions the party-building diagrams call beyond the engine's: the year plan (年度计划) and
its calendar, catalogue, sectors, brands and corridors as choices, quotas, collaborating units."""

from __future__ import annotations

import copy
from typing import Any
from typing import ClassVar

from sqlalchemy.orm import Session

from engine.errors import Refused
from engine.persistence.models import ReferenceData
from engine.persistence.queries import quotas
from engine.service.diagram_functions import DiagramFunctions

# Units that may be named as collaborating units of a project (协作单位).
COLLABORATOR_KINDS = ("department", "county", "township", "enterprise", "community", "village")
# The catalogue's choice for a project of the unit's own.
OWN_PROJECT = "自拟项目"


class PartyFunctions(DiagramFunctions):
    """The engine's functions and the party process's own."""

    EXPORTED: ClassVar[tuple[str, ...]] = (
        *DiagramFunctions.EXPORTED, "county_of", "year_plan", "calendar_of", "catalogue_options", "sector_options",
        "brand_options", "corridor_options", "collaborator_options", "quota_left", "quota_unit",
        "catalogue_indicators")

    def __init__(self, session: Session, instance_id: int | None) -> None:
        super().__init__(session, instance_id)
        self._plans: dict[int, dict[str, Any]] = {}

    def county_of(self, unit_code: str) -> str | None:
        return self.unit_of_kind(unit_code, "county")

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
        calendar: dict[str, Any] = self.year_plan(year)["calendar"]
        return calendar

    def catalogue_options(self, year: int) -> list[dict[str, str]]:
        """The year's catalogue projects as choices, then "自拟项目" (a project of the unit's own)."""
        return [{"value": p["code"], "label": p["name"]} for p in self.year_plan(year)["catalogue"]] + \
            [{"value": "own", "label": OWN_PROJECT}]

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

