"""Check BPMN/DMN files before deployment and report every problem with file, line and element.

The lint goes further than SpiffWorkflow's parser, which checks no Python, reports node errors
without line numbers and lets raw ``XMLSyntaxError`` escape: it compiles every script, condition,
timer, multi-instance and DMN expression under the sandbox policy, checks timer literals, forms,
roles, DMN references, call-activity targets and diagram interchange (DI).
"""

from __future__ import annotations

import json
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
from engine.errors import phrase
from engine.roles import role_named
from engine.runtime.lint_code import NEVER_DEFINED
from engine.runtime.lint_code import in_python
from engine.runtime.lint_code import language_of
from engine.runtime.lint_code import names_assigned
from engine.runtime.lint_code import names_read
from engine.runtime.lint_dmn import dmn_problems
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
from forms.errors import fill

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "spiffworkflow": SPIFF}

EXPRESSION_PROPERTIES = ("scope", "assignee", "dueDate", "minWorkdays")
FLOW_NODES = ("task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
              "receiveTask", "callActivity", "subProcess", "startEvent", "endEvent", "intermediateCatchEvent",
              "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "parallelGateway",
              "inclusiveGateway", "eventBasedGateway", "transaction", "adHocSubProcess", "complexGateway")

_LOOKS_ISO = re.compile(r"^(P\d|PT\d|R\d*/|\d{4}-\d{2})")
_LOWERCASE_ISO = re.compile(r"^(p(\d|t\d)|r\d*/p)[0-9a-z./]*$", re.IGNORECASE)
# ${...} and #{...}: the expression language of Camunda and Activiti (JUEL).
_JUEL = re.compile(r"^\s*[$#]\{.*\}\s*$", re.DOTALL)
CAMUNDA = ("http://camunda.org/schema/1.0/bpmn", "http://activiti.org/bpmn", "http://flowable.org/bpmn")
# Vendor attributes and extension elements, with what this platform uses instead.
FOREIGN_EQUIVALENTS = {
    "candidateGroups": phrase("who handles a task comes from its lane, or its role property"),
    "candidateUsers": phrase("who handles a task comes from its lane, or its role or assignee property"),
    "assignee": phrase("name the one person in the task's assignee property (a Python expression)"),
    "formKey": phrase("a user task names a JSON-Schema form in its formJsonSchemaFilename property"),
    "formData": phrase("a user task names a JSON-Schema form in its formJsonSchemaFilename property"),
    "formRef": phrase("a user task names a JSON-Schema form in its formJsonSchemaFilename property"),
    "class": phrase("this platform runs no Java code: use a script task (Python in the sandbox) or a user task"),
    "delegateExpression": phrase("this platform runs no Java code: use a script task (Python in the sandbox)"),
    "expression": phrase("write the expression in Python in a script task"),
    "resource": phrase("external script files are not supported: write the script in the script task itself "
                       "(Python)"),
    "topic": phrase("external workers are not supported here: use a user task or a script task"),
    "collection": phrase("a multi-instance task names the list it runs over in loopDataInputRef (a name in the "
                         "process data)"),
    "elementVariable": phrase("each item's name is the inputDataItem of the multi-instance characteristics"),
    "decisionRef": phrase("a business rule task names its DMN decision in spiffworkflow:calledDecisionId"),
    "resultVariable": phrase("a decision's result goes into the process data under the names of its output "
                             "columns"),
    "executionListener": phrase("listeners are not run here: do the work in a script task, or in the task's "
                                "pre-script or post-script (Python)"),
    "taskListener": phrase("listeners are not run here: do the work in a script task, or in the task's "
                           "pre-script or post-script (Python)"),
    "inputOutput": phrase("input/output mappings are not applied here: the task's pre-script or post-script "
                          "(Python) sets the data it reads and keeps"),
}
# What each checked expression is, as messages name it.
EXPRESSION_PROPERTIES_NAMED = {"scope": phrase("scope property"), "assignee": phrase("assignee property"),
                               "dueDate": phrase("dueDate property"),
                               "minWorkdays": phrase("minWorkdays property")}
CAMUNDA_CONSTRUCT = phrase("Camunda construct %(construct)s: %(equivalent)s")
NOT_ISO = phrase("The %(kind)s '%(text)s' is not a valid ISO-8601 value")
SPIFF_REFUSES = phrase("SpiffWorkflow refuses it: %(error)s")
DMN_INPUT_ENTRY = phrase("DMN input entry")
# What an expression in another language would be in Python, by what it is.
PYTHON_EXAMPLES = {"script": "total = price * quantity", "pre-script": "total = price * quantity",
                   "post-script": "total = price * quantity", "DMN output entry": '"合格"'}
PYTHON_CONDITION = "amount > 10000 and approved == True"
# Task spec names SpiffWorkflow gives its own start and end: an element with one of these ids
# collides with them (the process starts, and no task ever appears).
RESERVED_IDS = ("Start", "End")

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

    def found(self, file: str, line: int | None, element: str | None, code: str, template: str, /,
              **params: Any) -> None:
        """Record a problem: ``template`` is an English message with %(name)s parameters (any name:
        the located arguments are positional-only, so a parameter called ``file`` or ``element`` is
        a parameter like any other)."""
        self.problems.append(LintProblem(file, line, element, code, fill(template, params), template, params))


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
        self.invalid: set[str] = set()  # files that failed to parse or broke the BPMN schema
        self.process_ids: set[str] = set()
        self.decision_ids: set[str] = set()
        # Code that compiled, (source, element, text, what it is, mode), for the check of its names.
        self.code: list[tuple[Source, Any, str, str, str]] = []
        # (file, element id) inside processes that only document (isExecutable false, never called).
        self.muted: set[tuple[str, str]] = set()

    # -- helpers -----------------------------------------------------------------------------

    def found(self, source: Source, node: Any, code: str, template: str, /, **params: Any) -> None:
        element = node.get("id") if node is not None else None
        line = node.sourceline if node is not None else None
        self.report.found(source.name, line, element, code, template, **params)

    def expression(self, source: Source, node: Any, text: str | None, what: str, mode: str = "eval",
                   language: str | None = None) -> None:
        """Check the syntax of a script or expression (``language``: what the file declares it is in)."""
        if text is None or not text.strip():
            return
        if _JUEL.match(text):
            self.found(source, node, "foreign", "The %(what)s '%(text)s' is a JUEL expression (Camunda, Activiti); "
                       "write it in Python on the process data, e.g. approved == True", what=what, text=text.strip())
            return
        code = text if mode == "exec" else text.strip()
        error = check_syntax(code, mode)
        written_in = language_of(code, language, compiles=error is None) if mode == "eval" else None
        if written_in:
            self.found(source, node, "foreign", "The %(what)s '%(text)s' is written in %(language)s; here it is "
                       "Python on the process data, e.g. %(example)s", what=what, text=_short(code),
                       language=written_in,
                       example=in_python(code, written_in) or PYTHON_EXAMPLES.get(what, PYTHON_CONDITION))
        elif error:
            self.found(source, node, "syntax", "Error in the %(what)s: %(error)s", what=what, error=error)
        else:
            self.code.append((source, node, code, what, mode))

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
        self.check_executable()
        self.check_foreign()
        self.check_scripts_and_conditions()
        self.check_timers()
        self.check_multi_instance()
        self.check_user_tasks()
        self.check_lanes()
        self.check_references()
        self.check_dmn()
        self.check_names()
        self.check_messages()
        self.check_di()
        self.check_calls_to_itself()
        self.check_with_spiff()
        self.report.problems = [p for p in self.report.problems if (p.file, p.element) not in self.muted]
        return self.report

    def parse_files(self) -> None:
        for source in self.sources:
            try:
                source.tree = parse_xml(source.content)
            except XmlError as error:
                self.invalid.add(source.name)
                self.report.found(source.name, error.line, None, "xml", error.template, **error.params)

    def check_xsd(self) -> None:
        for source in self.sources:
            if source.kind != "bpmn" or source.tree is None:
                continue
            VALIDATOR.preprocess(source.tree)
            schema = VALIDATOR.validator
            if not schema.validate(source.tree):
                self.invalid.add(source.name)
                for entry in schema.error_log:
                    self.report.found(source.name, entry.line or None, None, "schema",
                                      "The file does not follow the BPMN schema: %(error)s", error=entry.message)

    def check_foreign(self) -> None:
        """Constructs of other tools this platform does not run, each with what it uses instead."""
        for source in self.sources:
            if source.kind != "bpmn" or source.tree is None:
                continue
            for node in source.tree.iter():
                if isinstance(node.tag, str):
                    namespace, local = _split(node.tag)
                    self.check_vendor(source, node, namespace, local)
                    if namespace == BPMN:
                        self.check_unsupported(source, node, local)

    def check_vendor(self, source: Source, node: Any, namespace: str, local: str) -> None:
        """Camunda, Activiti and Flowable attributes and extension elements."""
        if namespace in CAMUNDA and local in FOREIGN_EQUIVALENTS:
            self.found(source, _owner(node), "foreign", CAMUNDA_CONSTRUCT, construct=local,
                       equivalent=FOREIGN_EQUIVALENTS[local])
        for key in node.attrib:
            attribute_namespace, name = _split(key)
            if attribute_namespace in CAMUNDA and name in FOREIGN_EQUIVALENTS:
                self.found(source, _owner(node), "foreign", CAMUNDA_CONSTRUCT, construct=f"camunda:{name}",
                           equivalent=FOREIGN_EQUIVALENTS[name])

    def check_unsupported(self, source: Source, node: Any, local: str) -> None:
        """BPMN elements this platform does not run, and ids the engine keeps for itself."""
        vendor_call = any(k.endswith(("}class", "}delegateExpression", "}expression", "}topic")) for k in node.attrib)
        if local in ("serviceTask", "sendTask") and not vendor_call:
            self.found(source, node, "foreign", "A %(element)s calls another system, which is not supported here: "
                       "use a script task (Python in the sandbox) or a user task", element=local)
        elif local == "scriptTask" and (node.get("scriptFormat") or "python").lower() not in ("python", ""):
            self.found(source, node, "foreign", "The script is in %(language)s; scripts here are Python, run in the "
                       "sandbox", language=node.get("scriptFormat"))
        elif local in ("dataStoreReference", "dataStore"):
            self.found(source, node, "foreign", "Data stores are not supported here: keep the data in the process "
                       "data (what forms and scripts set)")
        if node.get("id") in RESERVED_IDS and local not in ("definitions", "process"):
            self.found(source, node, "reserved_id", "The id %(id)s is reserved by the engine for a process's own "
                       "start and end: give the element another id", id=node.get("id"))

    def collect_ids(self) -> None:
        seen: dict[str, str] = {}
        for source, node in self.bpmn_elements("process"):
            pid = node.get("id")
            if pid in seen:
                self.found(source, node, "duplicate_process", "Process id %(id)s is also defined in %(file)s",
                           id=pid, file=seen[pid])
            seen[pid] = source.name
            self.process_ids.add(pid)
        for source in self.sources:
            if source.kind == "dmn" and source.tree is not None:
                for node in source.tree.getroot().iter():
                    if local_name(node.tag) == "decision" and node.get("id"):
                        self.decision_ids.add(node.get("id"))

    def check_executable(self) -> None:
        """A process not marked isExecutable="true" that nothing calls only documents one: it is said
        once when nothing in its file runs, and its elements are not checked one by one."""
        called = {node.get("calledElement") for _source, node in self.bpmn_elements("callActivity")}
        for source in self.sources:
            if source.kind != "bpmn" or source.tree is None:
                continue
            processes = list(source.tree.iter(f"{{{BPMN}}}process"))
            runs = any(process.get("isExecutable") == "true" for process in processes)
            for process in processes:
                if process.get("isExecutable") == "true" or process.get("id") in called:
                    continue
                self.muted.update((source.name, node.get("id")) for node in process.iterdescendants()
                                  if isinstance(node.tag, str) and node.get("id"))
                if not runs:
                    self.found(source, process, "not_executable", "The process %(process)s is not marked "
                               "executable (isExecutable=\"%(value)s\"): it documents a process, and nothing of it "
                               "runs here; mark it isExecutable=\"true\" to deploy it",
                               process=process.get("name") or process.get("id") or "",
                               value=process.get("isExecutable") or "")

    def check_names(self) -> None:
        """Names the scripts and expressions read that can never exist here (see
        :mod:`engine.runtime.lint_code`), unless something in these files assigns them."""
        assigned: set[str] = set()
        for _source, _node, text, _what, mode in self.code:
            if mode == "exec":
                assigned |= names_assigned(text, mode)
        for local in ("dataObject", "inputDataItem", "outputDataItem", "property", "dataInput", "dataOutput"):
            assigned.update(node.get("name") or node.get("id") for _source, node in self.bpmn_elements(local))
        for text in self.report.forms.values():
            assigned.update(_form_fields(text))
        for source, node, text, what, mode in self.code:
            for name in sorted((names_read(text, mode) & NEVER_DEFINED) - assigned):
                self.found(source, node, "name", "The %(what)s uses %(name)s, which does not exist for scripts here "
                           "(it would stop with a NameError): use the process data, the helper functions such as "
                           "today() and the allowed built-ins", what=what, name=name)

    def check_messages(self) -> None:
        """A message catch event or receive task waits for ever when nothing in these files sends
        its message (nothing else in the platform sends messages)."""
        names = {(source.name, node.get("id")): node.get("name") or node.get("id")
                 for source, node in self.bpmn_elements("message")}

        def message_of(source: Source, node: Any) -> str | None:
            ref = node.get("messageRef")
            return names.get((source.name, ref), ref) if ref else None

        thrown, waiting = set(), []
        for source, definition in self.bpmn_elements("messageEventDefinition"):
            kind = local_name(definition.getparent().tag)
            if kind in ("intermediateThrowEvent", "endEvent"):
                thrown.add(message_of(source, definition))
            elif kind == "intermediateCatchEvent":
                waiting.append((source, definition.getparent(), message_of(source, definition)))
        thrown.update(message_of(source, task) for source, task in self.bpmn_elements("sendTask"))
        waiting += [(source, task, message_of(source, task)) for source, task in self.bpmn_elements("receiveTask")]
        for source, node, message in waiting:
            if message not in thrown:
                self.found(source, node, "message", "It waits for the message %(message)s, which nothing in these "
                           "files sends: it would wait for ever. Send it from a message throw or end event, or "
                           "wait for a user task or a timer instead", message=message or "-")

    def check_scripts_and_conditions(self) -> None:
        for source, node in self.bpmn_elements("script"):
            self.expression(source, node.getparent(), node.text, phrase("script"), "exec")
        for tag, what in (("preScript", phrase("pre-script")), ("postScript", phrase("post-script"))):
            for source in self.sources:
                if source.kind == "bpmn" and source.tree is not None:
                    for node in source.tree.iter(f"{{{SPIFF}}}{tag}"):
                        owner = node.getparent().getparent()
                        self.expression(source, owner, node.text, what, "exec")
        for source, node in self.bpmn_elements("conditionExpression"):
            declared = node.get("language") or source.tree.getroot().get("expressionLanguage")
            self.expression(source, node.getparent(), node.text, phrase("condition"), language=declared)

    def check_timers(self) -> None:
        parsers = {"timeDate": TimerEventDefinition.parse_time_or_duration,
                   "timeDuration": TimerEventDefinition.parse_iso_duration,
                   "timeCycle": TimerEventDefinition.parse_iso_recurring_interval}
        for source, definition in self.bpmn_elements("timerEventDefinition"):
            event = definition.getparent()
            expressions = [(kind, _text(definition, f"bpmn:{kind}")) for kind in parsers]
            expressions = [(kind, text) for kind, text in expressions if text and text.strip()]
            if len(expressions) != 1:
                self.found(source, event, "timer", "A timer needs exactly one of timeDate, timeDuration, timeCycle")
                continue
            kind, text = expressions[0]
            if _LOWERCASE_ISO.match(text.strip()) and not _LOOKS_ISO.match(text.strip()):
                self.found(source, event, "timer", "The %(kind)s '%(text)s' looks like an ISO-8601 value written in "
                           "small letters; write it in capitals: %(capitals)s", kind=kind, text=text.strip(),
                           capitals=text.strip().upper())
                continue
            if _JUEL.match(text):
                self.expression(source, event, text, kind)
                continue
            if _LOOKS_ISO.match(text.strip()) and timer_literal(text) is None:
                self.found(source, event, "timer", NOT_ISO, kind=kind, text=text.strip())
                continue
            error = check_syntax(quote_bare_iso(text).strip(), "eval")
            if error:
                self.found(source, event, "timer", "The %(kind)s '%(text)s' is not a valid expression: %(error)s",
                           kind=kind, text=text.strip(), error=error)
                continue
            literal = timer_literal(text)
            if literal is None:
                continue  # reads process data (the year calendar): checked when it runs
            try:
                parsers[kind](literal)
            except Exception:  # noqa: BLE001 - the library raises bare Exception for bad ISO values
                self.found(source, event, "timer", NOT_ISO, kind=kind, text=literal)

    def check_multi_instance(self) -> None:
        for source, node in self.bpmn_elements("multiInstanceLoopCharacteristics"):
            owner = node.getparent()
            self.expression(source, owner, _text(node, "bpmn:loopCardinality"), phrase("loop cardinality"))
            self.expression(source, owner, _text(node, "bpmn:completionCondition"), phrase("completion condition"))
            vendor = any(_split(key)[1] == "collection" for key in node.attrib)  # named by check_vendor
            if node.find("bpmn:loopDataInputRef", NS) is None and node.find("bpmn:loopCardinality", NS) is None \
                    and not vendor:
                self.found(source, owner, "multi_instance", "A multi-instance task needs loopDataInputRef or "
                           "loopCardinality")
        for source, node in self.bpmn_elements("standardLoopCharacteristics"):
            self.expression(source, node.getparent(), _text(node, "bpmn:loopCondition"), phrase("loop condition"))

    def check_user_tasks(self) -> None:
        for source, node in self.bpmn_elements("task"):
            self.found(source, node, "untyped_task", "Plain tasks wait forever; use a userTask or manualTask")
        for source, node in self.bpmn_elements("userTask"):
            props = task_properties(node)
            for key in EXPRESSION_PROPERTIES:
                self.expression(source, node, props.get(key), EXPRESSION_PROPERTIES_NAMED[key])
            self.check_due(source, node, props)
            if props.get("role") and role_named(props["role"]) is None:
                self.found(source, node, "role", "Role '%(role)s' is not a known role", role=props["role"])
            form = props.get(FORM_PROPERTY)
            if not form:
                self.found(source, node, "form", "The user task has no %(property)s property", property=FORM_PROPERTY)
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
                self.found(source, node, "due", "The dueIn '%(value)s' is not an ISO-8601 duration such as P10D",
                           value=due_in)
        workdays = props.get("dueWorkdays")
        if workdays and not workdays.strip().isdigit():
            self.found(source, node, "due", "The dueWorkdays '%(value)s' is not a whole number", value=workdays)

    def check_form(self, source: Source, node: Any, name: str, schema: bool = True) -> None:
        text = self.resolve_form(name, source.name)
        if text is None:
            self.found(source, node, "form", "Form file '%(name)s' was not found", name=name)
            return
        if schema:
            try:
                parse_form(text)
            except FormSchemaError as error:
                self.found(source, node, "form", "Form file '%(name)s': %(error)s", name=name, error=error)
                return
        self.report.forms[name] = text

    def check_lanes(self) -> None:
        lanes_seen = set()
        for source, lane in self.bpmn_elements("lane"):
            lanes_seen.add(id(lane))
            if role_named(lane.get("name")) is None:
                self.found(source, lane, "role", "Lane '%(lane)s' does not name a known role",
                           lane=lane.get("name") or "")
        for source, node in self.bpmn_elements("userTask"):
            props = task_properties(node)
            if props.get("role") or props.get("assignee") or _lane_of(node) is not None:
                continue
            if node.find("bpmn:multiInstanceLoopCharacteristics", NS) is not None:
                continue  # per-member tasks are assigned by their element variable
            self.found(source, node, "role", "The user task has no lane, role or assignee: nobody could do it")

    def check_references(self) -> None:
        for source, node in self.bpmn_elements("callActivity"):
            target = node.get("calledElement")
            if not target or target not in self.process_ids:
                self.found(source, node, "call_activity", "Called process '%(process)s' does not exist",
                           process=target or "")
        for source, node in self.bpmn_elements("businessRuleTask"):
            decision = _text(node, "bpmn:extensionElements/spiffworkflow:calledDecisionId")
            if decision is None and any(_split(key)[1] == "decisionRef" for key in node.attrib):
                continue  # named by check_vendor, with what to write instead
            if not decision or decision.strip() not in self.decision_ids:
                self.found(source, node, "dmn", "Decision '%(decision)s' does not exist",
                           decision=(decision or "").strip())

    def check_dmn(self) -> None:
        for source in self.sources:
            if source.kind != "dmn" or source.tree is None:
                continue
            structure = dmn_problems(source.tree.getroot())
            for node, template, params in structure:
                self.found(source, node, "dmn", template, **params)
            if structure:
                self.invalid.add(source.name)  # SpiffWorkflow would only say "list index out of range"
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
            self.expression(source, column, text, phrase("DMN input expression"))
        for rule in (child for child in table if local_name(child.tag) == "rule"):
            entries = [child for child in rule if local_name(child.tag) == "inputEntry"]
            for entry, input_text in zip(entries, input_texts, strict=False):
                text = next((t.text for t in entry.iter() if local_name(t.tag) == "text"), None)
                self.check_dmn_entry(source, entry, input_text, text)
            for entry in (child for child in rule if local_name(child.tag) == "outputEntry"):
                text = next((t.text for t in entry.iter() if local_name(t.tag) == "text"), None)
                self.expression(source, entry, text, phrase("DMN output entry"))

    def check_dmn_entry(self, source: Source, entry: Any, input_text: str, text: str | None) -> None:
        if text is None or text.strip() in ("", "-"):
            return
        text = text.strip()
        if "?" in text:
            self.expression(source, entry, text.replace("?", "dmninputexpr"), DMN_INPUT_ENTRY)
        elif check_syntax(text, "eval") is None:
            self.expression(source, entry, f"({input_text}) == ({text})", DMN_INPUT_ENTRY)
        else:
            self.expression(source, entry, f"{input_text} {text}", DMN_INPUT_ENTRY)

    def check_di(self) -> None:
        for source in self.sources:
            if source.kind != "bpmn" or source.tree is None:
                continue
            shapes = {node.get("bpmnElement"): node for node in source.tree.iter(f"{{{BPMNDI}}}BPMNShape")}
            edges = {node.get("bpmnElement") for node in source.tree.iter(f"{{{BPMNDI}}}BPMNEdge")}
            for local in FLOW_NODES:
                for node in source.tree.iter(f"{{{BPMN}}}{local}"):
                    if node.get("id") not in shapes:
                        self.found(source, node, "di", "The element has no shape in the diagram (DI)")
            for node in source.tree.iter(f"{{{BPMN}}}sequenceFlow"):
                if node.get("id") not in edges:
                    self.found(source, node, "di", "The sequence flow has no edge in the diagram (DI)")
            self.check_overlaps(source)

    def check_overlaps(self, source: Source) -> None:
        """Shapes of flow nodes drawn on top of each other, plane by plane (a collapsed sub-process
        is drawn on a plane of its own). A shape inside the sub-process, transaction or ad-hoc
        sub-process that contains it is where it belongs, not an overlap; boundary events sit on
        their host's border."""
        elements = {node.get("id"): node for node in source.tree.iter() if isinstance(node.tag, str) and node.get("id")}
        for plane in source.tree.iter(f"{{{BPMNDI}}}BPMNPlane"):
            boxes = []
            for shape in plane.iter(f"{{{BPMNDI}}}BPMNShape"):
                node, bounds = elements.get(shape.get("bpmnElement")), shape.find("dc:Bounds", NS)
                if node is None or bounds is None or local_name(node.tag) not in FLOW_NODES \
                        or local_name(node.tag) == "boundaryEvent":
                    continue
                boxes.append((node, tuple(_number(bounds.get(k)) for k in ("x", "y", "width", "height"))))
            for index, (first, (x1, y1, w1, h1)) in enumerate(boxes):
                for node, (x2, y2, w2, h2) in boxes[index + 1:]:
                    if x1 < x2 + w2 and x2 < x1 + w1 and y1 < y2 + h2 and y2 < y1 + h1 and not _nested(first, node):
                        self.found(source, node, "di", "The shape overlaps the shape of %(other)s",
                                   other=first.get("id"))

    def check_calls_to_itself(self) -> None:
        """A call activity that leads back to its own process would call it again for ever."""
        calls: dict[str, set[str]] = {}
        for _source, node in self.bpmn_elements("callActivity"):
            owner = _process_of(node)
            if owner is not None and node.get("calledElement"):
                calls.setdefault(owner.get("id"), set()).add(node.get("calledElement"))
        for source, node in self.bpmn_elements("callActivity"):
            owner, target = _process_of(node), node.get("calledElement")
            if owner is None or not target:
                continue
            seen, todo = set(), [target]
            while todo:
                current = todo.pop()
                if current in seen:
                    continue
                seen.add(current)
                todo.extend(calls.get(current, ()))
            if owner.get("id") == target:
                self.found(source, node, "call_activity", "It calls its own process %(process)s: it would start it "
                           "again and again and never end", process=target)
            elif owner.get("id") in seen:
                self.found(source, node, "call_activity", "It calls %(target)s, which calls back %(process)s: it "
                           "would start it again and again and never end", target=target, process=owner.get("id"))

    def check_with_spiff(self) -> None:
        """Let SpiffWorkflow build every process and decision table of the files that parsed and
        met the schema; report what it refuses (with the element and line where it says), except
        on elements the checks above already reported (theirs say more)."""
        reported = {(p.file, p.element) for p in self.report.problems if p.element}
        before = len(self.report.problems)
        parser = new_parser()
        for source in self.sources:
            if source.tree is None or source.name in self.invalid:
                continue
            try:
                if source.kind == "bpmn":
                    parser.add_bpmn_xml(source.tree, filename=source.name)
                else:
                    parser.add_dmn_xml(source.tree.getroot(), filename=source.name)
            except ValidationException as error:
                line = int(error.line_number or 0) or source.tree.getroot().sourceline  # the file, at least
                self.report.found(source.name, line, error.id or None, "spiff", SPIFF_REFUSES, error=_clean(error))
            except Exception as error:  # noqa: BLE001 - the library fails in many ways on foreign files
                self.report.found(source.name, source.tree.getroot().sourceline, None, "spiff",
                                  "The file could not be read (%(decisions)s): "
                                  "%(error)s", decisions=_decisions_in(source) or "-",
                                  error=_clean(error) or type(error).__name__)
        for decision_id, dmn in list(parser.dmn_parsers.items()):
            try:
                dmn.parse()
            except Exception as error:  # noqa: BLE001 - e.g. IndexError on a rule without its input column
                source, node = self.locate(decision_id, dmn.filename)
                self.report.found(source, node.sourceline if node is not None else None, decision_id, "dmn",
                                  "The decision table could not be read: %(error)s",
                                  error=_clean(error) or type(error).__name__)
        for process_id in parser.get_process_ids():
            try:
                parser.get_spec(process_id)
                parser.get_subprocess_specs(process_id)
            except ValidationException as error:
                source, node = self.locate(error.id or process_id, error.file_name)  # the process, at least
                self.report.found(source, node.sourceline if node is not None else None,
                                  node.get("id") if node is not None else error.id or None,
                                  "spiff", SPIFF_REFUSES, error=_clean(error))
            except Exception as error:  # noqa: BLE001 - a foreign construct the library cannot build
                source, node = self.locate(process_id, None)
                self.report.found(source, node.sourceline if node is not None else None, process_id, "spiff",
                                  "The process could not be built: %(error)s",
                                  error=_clean(error) or type(error).__name__)
        self.report.problems[before:] = [p for p in self.report.problems[before:]
                                         if (p.file, p.element) not in reported]

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


def _split(tag: str) -> tuple[str, str]:
    """(namespace, local name) of a Clark-notation tag or attribute name."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _owner(node: Any) -> Any:
    """The BPMN element an extension element belongs to (for locating a problem)."""
    while node is not None and (not isinstance(node.tag, str) or node.get("id") is None
                                or not node.tag.startswith(f"{{{BPMN}}}")):
        node = node.getparent()
    return node


def _process_of(node: Any) -> Any:
    while node is not None and local_name(node.tag) != "process":
        node = node.getparent()
    return node


def _nested(first: Any, second: Any) -> bool:
    """Whether one element contains the other (a task inside its sub-process)."""
    return any(parent is first for parent in second.iterancestors()) or \
        any(parent is second for parent in first.iterancestors())


def _number(text: str | None) -> float:
    try:
        return float(text or 0)
    except ValueError:
        return 0.0


def _short(text: str, limit: int = 120) -> str:
    """``text`` on one line, cut at ``limit`` characters."""
    line = re.sub(r"\s+", " ", text).strip()
    return line if len(line) <= limit else line[:limit - 1] + "…"


def _form_fields(text: str) -> set[str]:
    """The top-level field names of a form (what a user task puts in the process data)."""
    try:
        schema = json.loads(text)
    except ValueError:
        return set()
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return set(properties) if isinstance(properties, dict) else set()


def _decisions_in(source: Source) -> str:
    """The ids of the decisions a DMN file holds, for messages about the file as a whole."""
    if source.kind != "dmn":
        return ""
    return "、".join(node.get("id") or "?" for node in source.tree.getroot().iter()
                    if local_name(node.tag) == "decision")


def _clean(error: Exception) -> str:
    return re.sub(r"\s+", " ", str(error)).strip()


def lint(sources: list[Source], resolve_form: FormResolver) -> LintReport:
    """Every problem in ``sources``; ``resolve_form(name, bpmn_file)`` returns a form's text or None."""
    return _Linter(sources, resolve_form).run()
