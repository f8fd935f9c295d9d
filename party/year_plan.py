"""The year plan (年度计划) as the city sets it up: sectors, catalogue, brands, the calendar, quotas,
the scoring template, time limits, reminder and escalation numbers; edited through a form
(``forms/schemas/year_plan.json``) that shows it flat: nested calendar entries become date fields
and tables. The diagrams read the stored plan (``year_plan(year)``, ``calendar_of(year)``).
"""

from __future__ import annotations

import copy
from typing import Any

from engine.domain import YearPlanSchema
from forms import FieldError

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


YEAR_PLAN = YearPlanSchema(form_file="year_plan.json", to_form=plan_to_form, from_form=form_to_plan,
                           problems=plan_problems, with_choices=with_sector_choices)
