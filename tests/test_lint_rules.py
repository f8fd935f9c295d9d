"""Every rule of the lint, reached by a case that triggers it: each message template in
``engine/runtime/lint/`` is produced by one case below, with
its parameters filled (a template whose parameters clash with the report's own arguments once
crashed the lint on every plain service task)."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser

import engine.runtime.lint.spiff as spiff_rules
from engine.runtime.lint import lint_paths
from tests.bpmn_builder import Process
from tests.bpmn_builder import document
from tests.test_lint import simple

ROOT = Path(__file__).resolve().parent.parent
FOREIGN = Path(__file__).parent / "foreign_diagrams"
NOTE_FORM = json.dumps({"type": "object", "properties": {"note": {"type": "string"}}})
Case = Callable[[Path, pytest.MonkeyPatch], list]


def lint_files(folder: Path, files: dict[str, str]) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {"note.json": NOTE_FORM, **files}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return lint_paths([folder], None)


def with_step(kind: str, *args: str, **kwargs: object) -> str:
    """start -> one step of ``kind`` -> end, in a city lane."""
    p = Process("steps", "步骤", lanes=[("lane_city", "市委组织部")])
    p.start("start", lane="lane_city")
    getattr(p, kind)("step", "步骤", *args, lane="lane_city", **kwargs)
    p.end("end", lane="lane_city")
    p.chain("start", "step", "end")
    return p.to_xml()


def without_di(xml: str) -> str:
    return xml[:xml.index("<bpmndi:BPMNDiagram")] + xml[xml.index("</bpmndi:BPMNDiagram>") + 21:]


def calling(process_id: str, called: str) -> Process:
    p = Process(process_id, process_id, lanes=[("lane_city", "市委组织部")])
    p.start("start", lane="lane_city")
    p.call("call", "调用", called, "lane_city")
    p.end("end", lane="lane_city")
    p.chain("start", "call", "end")
    return p


def foreign(name: str) -> Case:
    return lambda _tmp, _monkeypatch: lint_paths([FOREIGN / name], None)


def files(make: Callable[[], dict[str, str]]) -> Case:
    return lambda tmp, _monkeypatch: lint_files(tmp / "models", make())


def library_fails(method: str, make: Callable[[], dict[str, str]]) -> Case:
    """SpiffWorkflow failing in a way the lint cannot foresee (what foreign files once caused)."""

    def case(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> list:
        def boom(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("the library gave up")

        if method == "parse":
            monkeypatch.setattr(DMNParser, "parse", boom)
        else:
            real = spiff_rules.new_parser

            def new_parser() -> Any:  # a SpiffWorkflow parser, untyped
                parser = real()
                setattr(parser, method, boom)
                return parser
            monkeypatch.setattr(spiff_rules, "new_parser", new_parser)
        return lint_files(tmp / "models", make())
    return case


NAMELESS_DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs" name="无名" namespace="http://x">
  <decision name="无名决策"><decisionTable id="t"><input label="a"><inputExpression id="ie"><text>a</text>
  </inputExpression></input><rule id="r"><inputEntry><text>1</text></inputEntry></rule></decisionTable></decision>
</definitions>"""
GOOD_DMN = (FOREIGN / "dmn13_grade.dmn").read_text(encoding="utf-8")

# template (its start) -> the case that must produce it
CASES: dict[str, Case] = {
    "A %(element)s calls another system": foreign("service_send.bpmn"),
    "A multi-instance task needs": files(lambda: {"s.bpmn": with_step("user", form="note.json",
                                                                      multi={"item": "member"})}),
    "A timer needs exactly one": files(lambda: {"s.bpmn": with_step("timer", "timeDuration", " ")}),
    "Called process '%(process)s' does not exist": files(lambda: {"s.bpmn": with_step("call", "nowhere")}),
    "Camunda construct": foreign("camunda_mappings.bpmn"),
    "Data stores are not supported": foreign("signavio_store.bpmn"),
    "Decision '%(decision)s' does not exist": files(lambda: {"s.bpmn": with_step("rule", "nowhere")}),
    "Error in the %(what)s": files(lambda: {"s.bpmn": with_step("script", "x = = 1")}),
    "Form file '%(name)s' was not found": files(lambda: {"s.bpmn": simple(form="nowhere.json").to_xml()}),
    "Form file '%(name)s': %(error)s": files(lambda: {"s.bpmn": simple(form="bad.json").to_xml(),
                                                      "bad.json": '{"type": "strng"}'}),
    "It calls %(target)s, which calls back": files(lambda: {"ab.bpmn": document([calling("a", "b"),
                                                                                  calling("b", "a")])}),
    "It calls its own process": foreign("signavio_store.bpmn"),
    "It waits for the message": foreign("message_and_names.bpmn"),
    "Lane '%(lane)s' does not name a known role": files(lambda: {"s.bpmn": simple(lane="财务科").to_xml()}),
    "Plain tasks wait forever": files(lambda: {"s.bpmn": with_step("untyped")}),
    "Process id %(id)s is also defined in %(file)s": files(lambda: {"a.bpmn": simple().to_xml(),
                                                                    "b.bpmn": simple().to_xml()}),
    "Role '%(role)s' is not a known role": files(lambda: {"s.bpmn": simple(role="treasurer").to_xml()}),
    "SpiffWorkflow refuses it": files(lambda: {"s.bpmn": simple().to_xml().replace('targetRef="task"',
                                                                                    'targetRef="ghost"', 1)}),
    "The %(kind)s '%(text)s' is not a valid ISO-8601 value": files(lambda: {"s.bpmn": with_step(
        "timer", "timeDuration", "P7X")}),
    "The %(kind)s '%(text)s' is not a valid expression": files(lambda: {"s.bpmn": with_step(
        "timer", "timeDate", "deadline +")}),
    "The %(kind)s '%(text)s' looks like an ISO-8601 value written in small letters": foreign("camunda_leave.bpmn"),
    "The %(what)s '%(text)s' is a JUEL expression": foreign("camunda_leave.bpmn"),
    "The %(what)s '%(text)s' is written in %(language)s": foreign("condition_languages.bpmn"),
    "The %(what)s uses %(name)s": foreign("message_and_names.bpmn"),
    "The decision table could not be read": library_fails("parse", lambda: {"g.dmn": GOOD_DMN}),
    "The dueIn '%(value)s'": files(lambda: {"s.bpmn": simple(dueIn="10 days").to_xml()}),
    "The dueWorkdays '%(value)s'": files(lambda: {"s.bpmn": simple(dueWorkdays="ten").to_xml()}),
    "The element has no shape": files(lambda: {"s.bpmn": without_di(simple().to_xml())}),
    "The file could not be read (%(decisions)s)": library_fails("add_dmn_xml", lambda: {"g.dmn": GOOD_DMN}),
    "The file does not follow the BPMN schema": files(lambda: {"s.bpmn": simple().to_xml().replace(
        "bpmn:userTask", "bpmn:fooTask")}),
    "The id %(id)s is reserved": foreign("signavio_store.bpmn"),
    "The process %(process)s is not marked executable": foreign("documentation_only.bpmn"),
    "The process could not be built": library_fails("get_spec", lambda: {"s.bpmn": simple().to_xml()}),
    "The script is in %(language)s": foreign("camunda_leave.bpmn"),
    "The sequence flow has no edge": files(lambda: {"s.bpmn": without_di(simple().to_xml())}),
    "The shape overlaps the shape of": foreign("nested_containers.bpmn"),
    "The user task has no %(property)s property": files(lambda: {"s.bpmn": simple(form="").to_xml()}),
    "The user task has no lane, role or assignee": files(lambda: {"s.bpmn": simple().to_xml().replace(
        "<bpmn:flowNodeRef>task</bpmn:flowNodeRef>", "")}),
    # DMN: what SpiffWorkflow's reader needs, named with the decision
    "The DMN elements are written with the prefix": foreign("dmn_prefixed.dmn"),
    "The DMN file holds no decision": foreign("dmn_requirements_only.dmn"),
    "The file holds %(count)s decisions": foreign("dmn_two_decisions.dmn"),
    "Decision %(decision)s has no id": files(lambda: {"n.dmn": NAMELESS_DMN}),
    "Decision %(decision)s has no decision table": foreign("dmn_literal.dmn"),
    "Decision %(decision)s: its table holds the element": foreign("dmn_annotation.dmn"),
    "Decision %(decision)s: a %(part)s element of its table has no id": files(lambda: {"n.dmn": NAMELESS_DMN}),
    "Decision %(decision)s: its table has no output column": files(lambda: {"n.dmn": NAMELESS_DMN}),
    "Decision %(decision)s: rule %(rule)s has": foreign("dmn12_broken.dmn"),
}


def _templates(path: Path) -> set[str]:
    """The message templates a lint module reports: literal templates of ``found`` calls, and the
    phrases that are whole messages (capitalised, with parameters or a sentence)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    phrases = {node.targets[0].id: node.value.args[0].value for node in tree.body
               if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
               and getattr(node.value.func, "id", "") == "phrase" and isinstance(node.targets[0], ast.Name)}
    found = set()
    for node in ast.walk(tree):
        texts: list[object] = []
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "found":
            texts = [arg.value if isinstance(arg, ast.Constant) else phrases.get(getattr(arg, "id", ""))
                     for arg in node.args]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "phrase":
            texts = [node.args[0].value]
        found.update(t for t in texts if isinstance(t, str) and t[:1].isupper() and " " in t
                     and (path.name == "dmn_structure.py" or isinstance(node.func, ast.Attribute)))
    return found


ALL_TEMPLATES = set().union(*(_templates(path) for path in sorted((ROOT / "engine/runtime/lint").glob("*.py"))))


def test_every_rule_has_a_case():
    """A new rule without a case here fails: no message of the lint goes unreached by a test."""
    uncovered = {t for t in ALL_TEMPLATES if not any(t.startswith(start) for start in CASES)}
    assert not uncovered
    assert len(CASES) == len(ALL_TEMPLATES)


@pytest.mark.parametrize("start", sorted(CASES))
def test_each_rule_is_triggered_with_its_parameters_filled(start, tmp_path, monkeypatch):
    problems = CASES[start](tmp_path, monkeypatch)
    hits = [p for p in problems if p.template.startswith(start)]
    assert hits, [p.template for p in problems]
    for problem in hits:
        assert "%(" not in problem.message, problem
        assert problem.file and (problem.line or problem.element), problem
