"""The committed diagrams and forms follow our rules: due dates, forms, instructions, Chinese names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from engine.runtime.lint import NS
from engine.runtime.lint import task_properties
from forms import parse_form

ROOT = Path(__file__).resolve().parent.parent


def user_tasks():
    for path in sorted((ROOT / "workflows").glob("*.bpmn")):
        tree = etree.parse(str(path))
        for node in tree.iter(f"{{{NS['bpmn']}}}userTask"):
            yield path.name, node


@pytest.mark.parametrize("file,node", list(user_tasks()), ids=lambda v: v if isinstance(v, str) else v.get("id"))
def test_every_user_task_has_a_due_date_a_form_and_instructions(file, node):
    props = task_properties(node)
    assert {"dueIn", "dueDate", "dueWorkdays"} & set(props), f"{file}:{node.get('id')} has no due date"
    form = parse_form((ROOT / "forms" / "schemas" / props["formJsonSchemaFilename"]).read_text(encoding="utf-8"))
    assert form.get("title"), "forms carry a Chinese title"
    assert node.find("bpmn:documentation", NS) is not None, "users get instructions"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in node.get("name")), "task names are Chinese"


def test_every_form_is_used_and_every_field_has_a_title():
    used = {task_properties(node)["formJsonSchemaFilename"] for _file, node in user_tasks()}
    # year_plan.json is the year plan page's own form, not a step's
    on_disk = {path.name for path in (ROOT / "forms" / "schemas").glob("*.json")} - {"year_plan.json"}
    assert used == on_disk
    for name in on_disk:
        schema = json.loads((ROOT / "forms" / "schemas" / name).read_text(encoding="utf-8"))
        for key, field in schema["properties"].items():
            assert field.get("title"), f"{name}: {key} has no title"


def test_year_plan_has_the_catalogue_sectors_brands_and_calendar():
    plan = json.loads((ROOT / "workflows" / "reference" / "year-2008.json").read_text(encoding="utf-8"))
    assert len(plan["catalogue"]) == 15
    assert sum(1 for p in plan["catalogue"] if p.get("example")) == 7
    assert all("示例" in p["name"] for p in plan["catalogue"] if p.get("example"))
    assert len(plan["sectors"]) == 5 and len(plan["brands"]) == 5
    assert {t["target"] for t in plan["demonstration_targets"]} == {8, 30, 6, 20}
    assert [q["key"] for q in plan["calendar"]["quarters"]] == ["Q1", "Q2", "Q3", "Q4"]
