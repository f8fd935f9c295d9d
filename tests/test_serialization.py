"""Every shipped and test diagram round-trips the state-only serialization and runs to an end.

Every step also compacts the state as the engine does on each save, and every archived part is read
back. This pins the private SpiffWorkflow internals ``engine.runtime.serialization`` and
``engine.runtime.compaction`` rely on: an upgrade of the library that changes them fails here first.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine import clock
from engine.runtime.bundles import split_bundles
from engine.runtime.compaction import SUBPROCESS
from engine.runtime.compaction import compact
from engine.runtime.lint import lint
from engine.runtime.serialization import dump_state
from engine.runtime.serialization import load_archived_subprocess
from engine.runtime.serialization import load_state
from engine.runtime.specs import parse_model
from engine.runtime.workflow import ProcessRun
from engine.service.deploy import sources_in
from forms import find_form
from tests.conftest import START

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = [ROOT / "tests" / "diagrams", ROOT / "workflows"]

PLAN = json.loads((ROOT / "workflows" / "reference" / "year-2008.json").read_text("utf-8"))
FAKE_HELPERS = {
    "count_projects": lambda *args, **kwargs: 0,
    "refuse": lambda reason: None,
    "county_of": lambda code: "511802",
    "unit_of_kind": lambda code, kind: code,
    "unit_kind": lambda code: "county",
    "unit_name": lambda code: "单位",
    "today": lambda: clock.now().date().isoformat(),
    "workdays_after": lambda day, count: day,
    "mean": lambda values: sum(values) / len(values) if values else None,
    "reference": lambda key: PLAN,
    "year_plan": lambda year: PLAN,
    "calendar_of": lambda year: PLAN["calendar"],
    "catalogue_options": lambda year: [{"value": "P01", "label": "项目"}],
    "sector_options": lambda year: [{"value": "quality", "label": "板块"}],
    "brand_options": lambda year: [{"value": "b1", "label": "品牌"}],
    "corridor_options": lambda year: ["走廊"],
    "collaborator_options": lambda unit: [{"value": "d1", "label": "部门"}],
    "users_with_role": lambda role: [{"value": "p1", "label": "专家"}],
    "users_in_unit": lambda unit: [{"value": "u1", "label": "用户"}],
    "units_of_kind": lambda *kinds: [{"value": "d1", "label": "部门"}],
    "quota_left": lambda kind, unit, year: 1,
    "quota_unit": lambda code: code,
    "catalogue_indicators": lambda year, code: [{"name": "指标", "target": "100%"}],
}


def sample_value(schema: dict[str, Any]) -> Any:
    """The smallest value a schema accepts (first enum option, minimum length, minimum items)."""
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {key: sample_value(value) for key, value in properties.items() if not value.get("readOnly")}
    if kind == "array":
        return [sample_value(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return max(schema.get("minimum", 0), 60)
    if kind == "number":
        return float(max(schema.get("minimum", 0), 60))
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2008-06-30"
    return "x" * max(schema.get("minLength", 1), 1)


def collect() -> list[tuple[str, dict, str]]:
    cases = []
    for folder in FOLDERS:
        if not any(folder.glob("*.bpmn")):
            continue
        sources, locations = sources_in([folder])

        def resolve(name: str, diagram: str, locations: dict = locations) -> str | None:
            found = find_form(name, [locations[diagram].parent, ROOT / "forms" / "schemas"])
            return found.read_text(encoding="utf-8") if found else None

        assert lint(sources, resolve).problems == []
        for item in split_bundles(sources, resolve):
            if item.startable:  # called processes run inside their callers
                cases.append((f"{folder.name}/{item.process_id}", item.bundle, item.process_id))
    return cases


CASES = collect()
INITIAL = {"initiator": "u1", "initiator_unit": "511802",
           "passes": 3, "panel": ["p1", "p2"], "deadline": "2008-12-31T00:00:00+08:00", "total": 1, "count": 1,
           "applicant_unit": "511802", "year": 2008, "review_deadline": "2008-04-30"}


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_round_trip_and_run_to_end(case, frozen_clock):
    _name, bundle, process_id = case
    model = parse_model(bundle, process_id)
    run = ProcessRun.start(model, dict(INITIAL), helpers=FAKE_HELPERS)
    archived = 0
    for _ in range(400):
        assert run.error is None, run.error
        for part in compact(run.workflow, prune_at=1):  # prune whatever it can, at every step
            archived += 1
            if part.kind == SUBPROCESS:  # an archived sub-workflow reads back as a finished workflow
                finished = load_archived_subprocess(part.content, model.subprocess_specs)
                assert finished.spec.name == part.process and finished.is_completed()
            else:
                assert json.loads(part.content)["tasks"]
        state = dump_state(run.workflow)
        run = ProcessRun(model, load_state(state, model.spec, model.subprocess_specs), helpers=FAKE_HELPERS)
        assert json.loads(dump_state(run.workflow)) == json.loads(state)  # load + save changes nothing
        if run.completed:
            break
        ready = run.ready_tasks()
        if ready:
            task = ready[0]
            schema = model.forms.get(task.meta.form, {"type": "object"})
            run.complete(task.id, sample_value(schema))
        else:
            due = run.next_timer_due()
            assert due is not None, f"stuck at {run.steps()}"
            clock.travel_to(max(due, clock.now()) + timedelta(seconds=1))
            run.advance()
    assert run.completed, f"did not finish: {run.steps()}"
    assert clock.now() >= START
    if model.subprocess_specs:
        assert archived, "finished parts of a process that calls others leave its live state"
