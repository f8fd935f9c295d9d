"""Check BPMN/DMN files before deployment and report every problem with file, line and element.

The lint goes further than SpiffWorkflow's parser, which checks no Python, reports node errors
without line numbers and lets raw ``XMLSyntaxError`` escape: it compiles every script, condition,
timer, multi-instance and DMN expression under the sandbox policy, checks timer literals, forms,
roles, DMN references, call-activity targets and diagram interchange (DI).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from engine.errors import LintProblem
from engine.roles import role_named
from engine.runtime.sandbox import check_syntax
from engine.runtime.specs import FORM_PROPERTY
from engine.runtime.specs import UI_FORM_PROPERTY
from engine.runtime.specs import new_parser
from engine.runtime.specs import quote_bare_iso
from engine.runtime.specs import timer_literal
from engine.runtime.xmlsafe import XmlError
from engine.runtime.xmlsafe import parse_xml
from forms import FormSchemaError
from forms import parse_form

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "spiffworkflow": SPIFF}

EXPRESSION_PROPERTIES = ("scope", "assignee", "dueDate")
FLOW_NODES = ("task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
              "receiveTask", "callActivity", "subProcess", "startEvent", "endEvent", "intermediateCatchEvent",
              "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "parallelGateway",
              "inclusiveGateway", "eventBasedGateway")

_LOOKS_ISO = re.compile(r"^(P\d|PT\d|R\d*/|\d{4}-\d{2})")

FormResolver = Callable[[str, str], "str | None"]


@dataclass
class Source:
    """One file handed to the lint: its display name, kind ('bpmn' or 'dmn') and content."""

    name: str
    kind: str
    content: bytes | str
    tree: Any = None


@dataclass
class LintReport:
    problems: list[LintProblem] = field(default_factory=list)
    forms: dict[str, str] = field(default_factory=dict)

    def add(self, file: str, line: int | None, element: str | None, code: str, message: str) -> None:
        self.problems.append(LintProblem(file, line, element, code, message))


def local_name(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def task_properties(node: Any) -> dict[str, str]:
    return {prop.get("name"): prop.get("value", "") for prop in node.iterfind(
        "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)}


def _text(node: Any, path: str) -> str | None:
    found = node.find(path, NS)
    return found.text if found is not None and found.text is not None else None


class _Linter:
    def __init__(self, sources: list[Source], resolve_form: FormResolver) -> None:
        self.sources = sources
        self.resolve_form = resolve_form
        self.report = LintReport()
        self.process_ids: set[str] = set()
        self.decision_ids: set[str] = set()

    # -- helpers -----------------------------------------------------------------------------

    def add(self, source: Source, node: Any, code: str, message: str) -> None:
        element = node.get("id") if node is not None else None
        line = node.sourceline if node is not None else None
        self.report.add(source.name, line, element, code, message)

    def expression(self, source: Source, node: Any, text: str | None, what: str, mode: str = "eval") -> None:
        if text is None or not text.strip():
            return
        error = check_syntax(text if mode == "exec" else text.strip(), mode)
        if error:
            self.add(source, node, "syntax", f"{what}: {error}")

    def bpmn_elements(self, local: str) -> Iterator[tuple[Source, Any]]:
        for source in self.sources:
            if source.kind == "bpmn" and source.tree is not None:
                for node in source.tree.iter(f"{{{BPMN}}}{local}"):
                    yield source, node

    # -- passes ------------------------------------------------------------------------------

    def run(self) -> LintReport:
        self.parse_files()
        self.check_xsd()
        self.collect_ids()
        self.check_scripts_and_conditions()
        self.check_timers()
        self.check_multi_instance()
        self.check_user_tasks()
        self.check_lanes()
        self.check_references()
        self.check_dmn()
        self.check_di()
        if not self.report.problems:
            self.check_with_spiff()
        return self.report

    def parse_files(self) -> None:
        for source in self.sources:
            try:
                source.tree = parse_xml(source.content)
            except XmlError as error:
                self.report.add(source.name, error.line, None, "xml", error.message)

    def check_xsd(self) -> None:
        for source in self.sources:
            if source.kind != "bpmn" or source.tree is None:
                continue
            VALIDATOR.preprocess(source.tree)
            schema = VALIDATOR.validator
            if not schema.validate(source.tree):
                for entry in schema.error_log:
                    self.report.add(source.name, entry.line or None, None, "schema", entry.message)

    def collect_ids(self) -> None:
        seen: dict[str, str] = {}
        for source, node in self.bpmn_elements("process"):
            pid = node.get("id")
            if pid in seen:
                self.add(source, node, "duplicate_process", f"process id {pid} is also defined in {seen[pid]}")
            seen[pid] = source.name
            self.process_ids.add(pid)
        for source in self.sources:
            if source.kind == "dmn" and source.tree is not None:
                for node in source.tree.getroot().iter():
                    if local_name(node.tag) == "decision" and node.get("id"):
                        self.decision_ids.add(node.get("id"))

    def check_scripts_and_conditions(self) -> None:
        for source, node in self.bpmn_elements("script"):
            self.expression(source, node.getparent(), node.text, "script", "exec")
        for tag in ("preScript", "postScript"):
            for source in self.sources:
                if source.kind == "bpmn" and source.tree is not None:
                    for node in source.tree.iter(f"{{{SPIFF}}}{tag}"):
                        owner = node.getparent().getparent()
                        self.expression(source, owner, node.text, tag, "exec")
        for source, node in self.bpmn_elements("conditionExpression"):
            self.expression(source, node.getparent(), node.text, "condition")

    def check_timers(self) -> None:
        parsers = {"timeDate": TimerEventDefinition.parse_time_or_duration,
                   "timeDuration": TimerEventDefinition.parse_iso_duration,
                   "timeCycle": TimerEventDefinition.parse_iso_recurring_interval}
        for source, definition in self.bpmn_elements("timerEventDefinition"):
            event = definition.getparent()
            expressions = [(kind, _text(definition, f"bpmn:{kind}")) for kind in parsers]
            expressions = [(kind, text) for kind, text in expressions if text and text.strip()]
            if len(expressions) != 1:
                self.add(source, event, "timer", "a timer needs exactly one of timeDate, timeDuration, timeCycle")
                continue
            kind, text = expressions[0]
            if _LOOKS_ISO.match(text.strip()) and timer_literal(text) is None:
                self.add(source, event, "timer", f"{kind} '{text.strip()}' is not a valid ISO-8601 value")
                continue
            error = check_syntax(quote_bare_iso(text).strip(), "eval")
            if error:
                self.add(source, event, "timer", f"{kind} '{text.strip()}' is not a valid expression: {error}")
                continue
            literal = timer_literal(text)
            if literal is None:
                continue  # reads process data (the year calendar): checked when it runs
            try:
                parsers[kind](literal)
            except Exception:  # noqa: BLE001 - the library raises bare Exception for bad ISO values
                self.add(source, event, "timer", f"{kind} '{literal}' is not a valid ISO-8601 value")

    def check_multi_instance(self) -> None:
        for source, node in self.bpmn_elements("multiInstanceLoopCharacteristics"):
            owner = node.getparent()
            self.expression(source, owner, _text(node, "bpmn:loopCardinality"), "loopCardinality")
            self.expression(source, owner, _text(node, "bpmn:completionCondition"), "completionCondition")
            if node.find("bpmn:loopDataInputRef", NS) is None and node.find("bpmn:loopCardinality", NS) is None:
                self.add(source, owner, "multi_instance", "needs loopDataInputRef or loopCardinality")
        for source, node in self.bpmn_elements("standardLoopCharacteristics"):
            self.expression(source, node.getparent(), _text(node, "bpmn:loopCondition"), "loopCondition")

    def check_user_tasks(self) -> None:
        for source, node in self.bpmn_elements("task"):
            self.add(source, node, "untyped_task", "plain tasks wait forever; use a userTask or manualTask")
        for source, node in self.bpmn_elements("userTask"):
            props = task_properties(node)
            for key in EXPRESSION_PROPERTIES:
                self.expression(source, node, props.get(key), f"property {key}")
            self.check_due(source, node, props)
            if props.get("role") and role_named(props["role"]) is None:
                self.add(source, node, "role", f"role '{props['role']}' is not a known role")
            form = props.get(FORM_PROPERTY)
            if not form:
                self.add(source, node, "form", f"user task has no {FORM_PROPERTY} property")
            else:
                self.check_form(source, node, form)
            if props.get(UI_FORM_PROPERTY):
                self.check_form(source, node, props[UI_FORM_PROPERTY], schema=False)

    def check_due(self, source: Source, node: Any, props: dict[str, str]) -> None:
        due_in = props.get("dueIn")
        if due_in:
            try:
                TimerEventDefinition.parse_iso_duration(due_in.strip())
                if not due_in.strip().upper().startswith("P"):
                    raise ValueError
            except Exception:  # noqa: BLE001 - the library raises bare Exception for bad ISO values
                self.add(source, node, "due", f"dueIn '{due_in}' is not an ISO-8601 duration such as P10D")
        workdays = props.get("dueWorkdays")
        if workdays and not workdays.strip().isdigit():
            self.add(source, node, "due", f"dueWorkdays '{workdays}' is not a whole number")

    def check_form(self, source: Source, node: Any, name: str, schema: bool = True) -> None:
        text = self.resolve_form(name, source.name)
        if text is None:
            self.add(source, node, "form", f"form file '{name}' was not found")
            return
        if schema:
            try:
                parse_form(text)
            except FormSchemaError as error:
                self.add(source, node, "form", f"form file '{name}': {error}")
                return
        self.report.forms[name] = text

    def check_lanes(self) -> None:
        lanes_seen = set()
        for source, lane in self.bpmn_elements("lane"):
            lanes_seen.add(id(lane))
            if role_named(lane.get("name")) is None:
                self.add(source, lane, "role", f"lane '{lane.get('name') or ''}' does not name a known role")
        for source, node in self.bpmn_elements("userTask"):
            props = task_properties(node)
            if props.get("role") or props.get("assignee") or _lane_of(node) is not None:
                continue
            if node.find("bpmn:multiInstanceLoopCharacteristics", NS) is not None:
                continue  # per-member tasks are assigned by their element variable
            self.add(source, node, "role", "user task has no lane, role or assignee: nobody could do it")

    def check_references(self) -> None:
        for source, node in self.bpmn_elements("callActivity"):
            target = node.get("calledElement")
            if not target or target not in self.process_ids:
                self.add(source, node, "call_activity", f"called process '{target or ''}' does not exist")
        for source, node in self.bpmn_elements("businessRuleTask"):
            decision = _text(node, "bpmn:extensionElements/spiffworkflow:calledDecisionId")
            if not decision or decision.strip() not in self.decision_ids:
                self.add(source, node, "dmn", f"decision '{(decision or '').strip()}' does not exist")

    def check_dmn(self) -> None:
        for source in self.sources:
            if source.kind != "dmn" or source.tree is None:
                continue
            for table in source.tree.getroot().iter():
                if local_name(table.tag) == "decisionTable":
                    self.check_decision_table(source, table)

    def check_decision_table(self, source: Source, table: Any) -> None:
        inputs = [child for child in table if local_name(child.tag) == "input"]
        input_texts = []
        for column in inputs:
            text = next((t.text for t in column.iter() if local_name(t.tag) == "text"), None)
            input_texts.append(text or "")
            self.expression(source, column, text, "DMN input expression")
        for rule in (child for child in table if local_name(child.tag) == "rule"):
            entries = [child for child in rule if local_name(child.tag) == "inputEntry"]
            for entry, input_text in zip(entries, input_texts, strict=False):
                text = next((t.text for t in entry.iter() if local_name(t.tag) == "text"), None)
                self.check_dmn_entry(source, entry, input_text, text)
            for entry in (child for child in rule if local_name(child.tag) == "outputEntry"):
                text = next((t.text for t in entry.iter() if local_name(t.tag) == "text"), None)
                self.expression(source, entry, text, "DMN output entry")

    def check_dmn_entry(self, source: Source, entry: Any, input_text: str, text: str | None) -> None:
        if text is None or text.strip() in ("", "-"):
            return
        text = text.strip()
        if "?" in text:
            self.expression(source, entry, text.replace("?", "dmninputexpr"), "DMN input entry")
        elif check_syntax(text, "eval") is None:
            self.expression(source, entry, f"({input_text}) == ({text})", "DMN input entry")
        else:
            self.expression(source, entry, f"{input_text} {text}", "DMN input entry")

    def check_di(self) -> None:
        for source in self.sources:
            if source.kind != "bpmn" or source.tree is None:
                continue
            shapes = {node.get("bpmnElement"): node for node in source.tree.iter(f"{{{BPMNDI}}}BPMNShape")}
            edges = {node.get("bpmnElement") for node in source.tree.iter(f"{{{BPMNDI}}}BPMNEdge")}
            for local in FLOW_NODES:
                for node in source.tree.iter(f"{{{BPMN}}}{local}"):
                    if node.get("id") not in shapes:
                        self.add(source, node, "di", "element has no shape in the diagram (DI)")
            for node in source.tree.iter(f"{{{BPMN}}}sequenceFlow"):
                if node.get("id") not in edges:
                    self.add(source, node, "di", "sequence flow has no edge in the diagram (DI)")
            self.check_overlaps(source, shapes)

    def check_overlaps(self, source: Source, shapes: dict[str, Any]) -> None:
        boxes = []
        for element_id, shape in shapes.items():
            node = source.tree.find(f".//*[@id='{element_id}']")
            if node is None or local_name(node.tag) not in FLOW_NODES or local_name(node.tag) == "boundaryEvent":
                continue
            bounds = shape.find("dc:Bounds", NS)
            if bounds is not None:
                box = tuple(float(bounds.get(k, 0)) for k in ("x", "y", "width", "height"))
                boxes.append((element_id, node, box))
        for index, (first_id, _node, (x1, y1, w1, h1)) in enumerate(boxes):
            for _second_id, node, (x2, y2, w2, h2) in boxes[index + 1:]:
                if x1 < x2 + w2 and x2 < x1 + w1 and y1 < y2 + h2 and y2 < y1 + h1:
                    self.add(source, node, "di", f"shape overlaps the shape of {first_id}")

    def check_with_spiff(self) -> None:
        """Let SpiffWorkflow build every executable process; report what it refuses."""
        parser = new_parser()
        for source in self.sources:
            try:
                if source.kind == "bpmn":
                    parser.add_bpmn_xml(source.tree, filename=source.name)
                else:
                    parser.add_dmn_xml(source.tree.getroot(), filename=source.name)
            except ValidationException as error:
                self.report.add(source.name, int(error.line_number or 0) or None, error.id or None, "spiff",
                                _clean(error))
        for process_id in parser.get_process_ids():
            try:
                parser.get_spec(process_id)
                parser.get_subprocess_specs(process_id)
            except ValidationException as error:
                source, node = self.locate(error.id, error.file_name)
                self.report.add(source, node.sourceline if node is not None else None, error.id or None,
                                "spiff", _clean(error))

    def locate(self, element_id: str | None, file_name: str | None) -> tuple[str, Any]:
        for source in self.sources:
            if source.tree is not None and element_id:
                node = source.tree.find(f".//*[@id='{element_id}']")
                if node is not None:
                    return source.name, node
        return file_name or "", None


def _lane_of(node: Any) -> Any:
    process = node.getparent()
    while process is not None and local_name(process.tag) not in ("process", "subProcess"):
        process = process.getparent()
    if process is None:
        return None
    for ref in process.iter(f"{{{BPMN}}}flowNodeRef"):
        if (ref.text or "").strip() == node.get("id"):
            return ref.getparent()
    return None


def _clean(error: Exception) -> str:
    return re.sub(r"\s+", " ", str(error)).strip()


def lint(sources: list[Source], resolve_form: FormResolver) -> LintReport:
    """Every problem in ``sources``; ``resolve_form(name, bpmn_file)`` returns a form's text or None."""
    return _Linter(sources, resolve_form).run()
