"""The year plans: stored whole under ``year:YYYY`` in the reference data, edited through the form
the domain's ``YearPlanSchema`` gives, copied from the previous year with every date moved.

The engine itself reads only a plan's ``calendar`` and ``reminders``; what else a plan holds, and
how the form shows it, is the domain's.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from sqlalchemy import select

from engine import clock
from engine.domain import YearPlanSchema
from engine.errors import Conflict
from engine.errors import InvalidInput
from engine.errors import InvalidSubmission
from engine.errors import NotFound
from engine.persistence.models import ReferenceData
from engine.service.actors import require_role
from engine.service.base import Service
from forms import parse_form
from forms import validate_submission

PLANNERS = ("city_org", "admin")


def shifted(value: Any, years: int) -> Any:
    """``value`` (a plan, or any part of it) with every date moved by ``years`` years."""
    if isinstance(value, dict):
        return {key: shifted(item, years) for key, item in value.items()}
    if isinstance(value, list):
        return [shifted(item, years) for item in value]
    if isinstance(value, str) and len(value) >= 10 and value[:4].isdigit() and value[4] == "-" and value[7] == "-":
        year = int(value[:4]) + years
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        rest = value[4:].replace("-02-29", "-02-28", 1) if value[4:10] == "-02-29" and not leap else value[4:]
        return f"{year:04d}{rest}"
    return value


class PlanService(Service):
    def _schema(self, year: int) -> YearPlanSchema:
        """The domain's plan layout. :raises NotFound: (of the plan of ``year``) when the domain has no
        year plan form: it has no plan to edit."""
        if self.domain.year_plan is None:
            raise NotFound(what="Year plan", key=year)
        return self.domain.year_plan

    def _plan_form(self, schema: YearPlanSchema) -> dict[str, Any]:
        return parse_form((self.settings.forms_dir / schema.form_file).read_text(encoding="utf-8"))

    def plan_years(self, actor: str) -> list[int]:
        """The years the city has planned, newest first. :raises NotAllowed: for others than city_org, admin."""
        with self.db.read() as session:
            require_role(self.actor_in(session, actor), *PLANNERS)
            keys = session.scalars(select(ReferenceData.key).where(ReferenceData.key.like("year:%")))
            return sorted((int(key[5:]) for key in keys if key[5:].isdigit()), reverse=True)

    def plan_form(self, actor: str, year: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the plan form, the plan of ``year`` as its values). :raises NotFound, NotAllowed:
        (NotFound also when the domain has no year plan form)"""
        with self.db.read() as session:
            require_role(self.actor_in(session, actor), *PLANNERS)
            row = session.get(ReferenceData, f"year:{year}")
            if row is None:
                raise NotFound(what="Year plan", key=year)
            schema = self._schema(year)
            return schema.with_choices(self._plan_form(schema), row.value or {}), schema.to_form(row.value or {})

    def save_year_plan(self, actor: str, year: int, values: dict[str, Any]) -> None:
        """Store the plan of ``year`` from the form's values. Projects already started keep the
        scoring template and the calendar they copied when they started.

        :raises InvalidSubmission: with every problem, nothing stored. :raises NotFound, NotAllowed:
        """
        schema = self._schema(year)
        errors = validate_submission(self._plan_form(schema), values) or schema.problems(values)
        if errors:
            raise InvalidSubmission(errors)
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            require_role(user, *PLANNERS)
            row = session.get(ReferenceData, f"year:{year}")
            if row is None:
                raise NotFound(what="Year plan", key=year)
            row.value = json.loads(json.dumps(schema.from_form(year, values, row.value or {})))
            row.updated_by, row.updated_at = user.username, clock.now()

    def copy_year_plan(self, actor: str, source: int, target: int) -> None:
        """Set up ``target`` as a copy of ``source`` with every date moved to the new year.

        :raises Conflict: when ``target`` is planned already. :raises NotFound, NotAllowed, InvalidInput:
        """
        if not 2000 <= target <= 2100:
            raise InvalidInput("The year must be between 2000 and 2100.")
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            require_role(user, *PLANNERS)
            original = session.get(ReferenceData, f"year:{source}")
            if original is None:
                raise NotFound(what="Year plan", key=source)
            if session.get(ReferenceData, f"year:{target}") is not None:
                raise Conflict("The year %(year)s is planned already.", year=target)
            plan = shifted(copy.deepcopy(original.value), target - source)
            plan["year"] = target
            plan["title"] = str(plan.get("title", "")).replace(str(source), str(target))
            session.add(ReferenceData(key=f"year:{target}", value=plan, updated_by=user.username,
                                      updated_at=clock.now()))
