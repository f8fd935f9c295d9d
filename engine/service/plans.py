"""The year plan (年度计划) as the city sets it up: sectors, catalogue, brands, the calendar, quotas,
the scoring template, time limits, reminder and escalation numbers; edited through a form, copied
from the previous year.

The plan is stored whole under ``year:YYYY`` in the reference data, where the diagrams read it
(``year_plan(year)``, ``calendar_of(year)``). The form (``forms/schemas/year_plan.json``) shows it
flat: nested calendar entries become date fields and tables.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from sqlalchemy import select

from engine import clock
from engine.errors import Conflict
from engine.errors import InvalidInput
from engine.errors import InvalidSubmission
from engine.errors import NotFound
from engine.persistence.models import ReferenceData
from engine.service.actors import require_role
from engine.service.base import Service
from forms import FieldError
from forms import parse_form
from forms import validate_submission

PLANNERS = ("city_org", "admin")
# Acceptance stages the plan may give a scoring template of their own (the others use the default).
STAGE_TEMPLATES = ("early", "late")
WORKDAY_KEYS = ("review", "scoring", "decision", "rectification", "statement", "case", "minimum")
# Business hours the stored calendar gives the dates it opens and closes on.
OPENS_AT, CLOSES_AT = "T09:00:00+08:00", "T18:00:00+08:00"


def _day(value: Any) -> str:
    return str(value or "")[:10]


def plan_to_form(plan: dict[str, Any]) -> dict[str, Any]:
    """The stored plan as the form's flat values."""
    calendar = plan.get("calendar") or {}
    values: dict[str, Any] = {
        "title": plan.get("title", ""),
        **{key: _day(calendar.get(key)) for key in ("application_opens", "application_close",
                                                     "argumentation_deadline", "approval_deadline")},
        "quota_key_project": (plan.get("quota") or {}).get("key_project", 0),
        "quota_demonstration": (plan.get("quota") or {}).get("demonstration", 0),
        "max_return_rounds": plan.get("max_return_rounds", 3),
        "remind_days_before": (plan.get("reminders") or {}).get("remind_days_before", 3),
        "escalate_workdays_after": (plan.get("reminders") or {}).get("escalate_workdays_after", 5),
        "sectors": copy.deepcopy(plan.get("sectors", [])), "catalogue": copy.deepcopy(plan.get("catalogue", [])),
        "brands": copy.deepcopy(plan.get("brands", [])),
        "acceptance_template": copy.deepcopy(plan.get("acceptance_template", [])),
        **{f"{stage}_template": copy.deepcopy((plan.get("stage_templates") or {}).get(stage, []))
           for stage in STAGE_TEMPLATES},
        "veto_items": "\n".join(plan.get("veto_items", [])),
        "quarters": [{"key": q.get("key"), "name": q.get("name"), "opens": _day(q.get("opens")),
                      "due": _day(q.get("due")), "grace": _day(q.get("grace"))} for q in calendar.get("quarters", [])],
        "midyear_opens": _day((calendar.get("midyear") or {}).get("opens")),
        "midyear_due": _day((calendar.get("midyear") or {}).get("due")),
        "acceptance": [{"key": key, "name": stage.get("name"), "opens": _day(stage.get("opens")),
                        "due": _day(stage.get("due"))} for key, stage in (calendar.get("acceptance") or {}).items()],
        "benefit_opens": _day((calendar.get("benefit_evaluation") or {}).get("opens")),
        "benefit_input_due": _day((calendar.get("benefit_evaluation") or {}).get("input_due")),
        "benefit_due": _day((calendar.get("benefit_evaluation") or {}).get("due")),
        "demonstration_targets": copy.deepcopy(plan.get("demonstration_targets", [])),
        "corridors": "\n".join(plan.get("corridors", [])),
    }
    values.update({f"workdays_{key}": (plan.get("workdays") or {}).get(key, 5) for key in WORKDAY_KEYS})
    return values


def with_sector_choices(form: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    """The plan form with the catalogue's sector chosen by name among the plan's sectors (nobody
    types a code such as ``quality``)."""
    sectors = [row for row in plan.get("sectors") or [] if isinstance(row, dict) and row.get("code")]
    column = form.get("properties", {}).get("catalogue", {}).get("items", {}).get("properties", {}).get("sector")
    if column is not None and sectors:
        column.update({"enum": [row["code"] for row in sectors],
                       "x-enum-labels": {row["code"]: str(row.get("name") or row["code"]) for row in sectors}})
        column.pop("minLength", None)
        column.pop("maxLength", None)
    return form


def _lines(text: Any) -> list[str]:
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


def form_to_plan(year: int, values: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The form's values as the stored plan (keys the form does not show are kept from ``before``)."""
    plan = copy.deepcopy(before)
    plan.update({
        "year": year, "title": values["title"], "sectors": values["sectors"], "catalogue": values["catalogue"],
        "brands": values["brands"], "acceptance_template": values["acceptance_template"],
        "stage_templates": {stage: values[f"{stage}_template"] for stage in STAGE_TEMPLATES
                            if values.get(f"{stage}_template")},
        "veto_items": _lines(values.get("veto_items")),
        "quota": {"key_project": values["quota_key_project"], "demonstration": values["quota_demonstration"]},
        "max_return_rounds": values["max_return_rounds"],
        "reminders": {"remind_days_before": values["remind_days_before"],
                      "escalate_workdays_after": values["escalate_workdays_after"]},
        "workdays": {key: values[f"workdays_{key}"] for key in WORKDAY_KEYS},
        "demonstration_targets": values.get("demonstration_targets") or [],
        "corridors": _lines(values.get("corridors")),
    })
    plan["calendar"] = {
        **{key: values[key] for key in ("application_opens", "application_close", "argumentation_deadline",
                                        "approval_deadline")},
        "quarters": [{"key": q["key"], "name": q["name"], "opens": q["opens"] + OPENS_AT, "due": q["due"],
                      "grace": q["grace"] + CLOSES_AT} for q in values["quarters"]],
        "midyear": {"opens": values["midyear_opens"] + OPENS_AT, "due": values["midyear_due"]},
        "acceptance": {stage["key"]: {"name": stage["name"], "opens": stage["opens"] + OPENS_AT, "due": stage["due"]}
                       for stage in values["acceptance"]},
        "benefit_evaluation": {"opens": values["benefit_opens"] + OPENS_AT, "input_due": values["benefit_input_due"],
                               "due": values["benefit_due"]},
    }
    return plan


def plan_problems(values: dict[str, Any]) -> list[FieldError]:
    """What the schema cannot say: the template adds up to 100, codes are unique, dates in order."""
    problems = []
    for table in ("acceptance_template", *(f"{stage}_template" for stage in STAGE_TEMPLATES)):
        template = values.get(table) or []
        if (template or table == "acceptance_template") and sum(row.get("max", 0) for row in template) != 100:
            problems.append(FieldError(table, "total", "The maxima must add up to 100 (now %(total)s).",
                                       {"total": sum(row.get("max", 0) for row in template)}))
    for table in ("sectors", "catalogue", "brands", "acceptance_template"):
        keys = [row.get("key" if table == "acceptance_template" else "code") for row in values.get(table) or []]
        if len(keys) != len(set(keys)):
            problems.append(FieldError(table, "unique", "Each code may appear only once."))
    sectors = {row.get("code") for row in values.get("sectors") or []}
    for index, row in enumerate(values.get("catalogue") or []):
        if row.get("sector") not in sectors:
            problems.append(FieldError(f"catalogue.{index}.sector", "enum", "Choose one of the given options."))
    if {row.get("key") for row in values.get("acceptance") or []} != {"early", "mid", "late"}:
        problems.append(FieldError("acceptance", "stages", "Give the early, mid-term and final acceptance once each."))
    if values.get("application_opens", "") > values.get("application_close", ""):
        problems.append(FieldError("application_close", "order", "The application window closes before it opens."))
    return problems


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
    def _plan_form(self) -> dict[str, Any]:
        return parse_form((self.settings.forms_dir / "year_plan.json").read_text(encoding="utf-8"))

    def plan_years(self, actor: str) -> list[int]:
        """The years the city has planned, newest first. :raises NotAllowed: for others than city_org, admin."""
        with self.db.read() as session:
            require_role(self.actor_in(session, actor), *PLANNERS)
            keys = session.scalars(select(ReferenceData.key).where(ReferenceData.key.like("year:%")))
            return sorted((int(key[5:]) for key in keys if key[5:].isdigit()), reverse=True)

    def plan_form(self, actor: str, year: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the plan form, the plan of ``year`` as its values). :raises NotFound, NotAllowed:"""
        with self.db.read() as session:
            require_role(self.actor_in(session, actor), *PLANNERS)
            row = session.get(ReferenceData, f"year:{year}")
            if row is None:
                raise NotFound(what="Year plan", key=year)
            return with_sector_choices(self._plan_form(), row.value or {}), plan_to_form(row.value or {})

    def save_year_plan(self, actor: str, year: int, values: dict[str, Any]) -> None:
        """Store the plan of ``year`` from the form's values. Projects already started keep the
        scoring template and the calendar they copied when they started.

        :raises InvalidSubmission: with every problem, nothing stored. :raises NotFound, NotAllowed:
        """
        errors = validate_submission(self._plan_form(), values) or plan_problems(values)
        if errors:
            raise InvalidSubmission(errors)
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            require_role(user, *PLANNERS)
            row = session.get(ReferenceData, f"year:{year}")
            if row is None:
                raise NotFound(what="Year plan", key=year)
            row.value = json.loads(json.dumps(form_to_plan(year, values, row.value or {})))
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
