"""Rules on how a BPMN diagram is put together: ids, executability, user tasks, forms, roles,
references between files, messages and calls."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.errors import phrase
from engine.roles import role_named
from engine.runtime.lint.linter import Linter
from engine.runtime.lint.nodes import BPMN
from engine.runtime.lint.nodes import NS
from engine.runtime.lint.nodes import lane_of
from engine.runtime.lint.nodes import local_name
from engine.runtime.lint.nodes import process_of
from engine.runtime.lint.nodes import split_tag
from engine.runtime.lint.nodes import task_properties
from engine.runtime.lint.nodes import text_of
from engine.runtime.lint.report import Source
from engine.runtime.specs import FORM_PROPERTY
from engine.runtime.specs import UI_FORM_PROPERTY
from forms import FormSchemaError
from forms import parse_form

EXPRESSION_PROPERTIES = ("scope", "assignee", "dueDate", "minWorkdays")
# What each checked expression is, as messages name it.
EXPRESSION_PROPERTIES_NAMED = {"scope": phrase("scope property"), "assignee": phrase("assignee property"),
                               "dueDate": phrase("dueDate property"),
                               "minWorkdays": phrase("minWorkdays property")}


def collect_ids(lint: Linter) -> None:
    seen: dict[str, str] = {}
    for source, node in lint.bpmn_elements("process"):
        pid = node.get("id")
        if pid in seen:
            lint.found(source, node, "duplicate_process", "Process id %(id)s is also defined in %(file)s",
                       id=pid, file=seen[pid])
        seen[pid] = source.name
        lint.process_ids.add(pid)
    for source in lint.sources:
        if source.kind == "dmn" and source.tree is not None:
            for node in source.tree.getroot().iter():
                if local_name(node.tag) == "decision" and node.get("id"):
                    lint.decision_ids.add(node.get("id"))


def check_executable(lint: Linter) -> None:
    """A process not marked isExecutable="true" that nothing calls only documents one: it is said
    once when nothing in its file runs, and its elements are not checked one by one."""
    called = {node.get("calledElement") for _source, node in lint.bpmn_elements("callActivity")}
    for source in lint.sources:
        if source.kind != "bpmn" or source.tree is None:
            continue
        processes = list(source.tree.iter(f"{{{BPMN}}}process"))
        runs = any(process.get("isExecutable") == "true" for process in processes)
        for process in processes:
            if process.get("isExecutable") == "true" or process.get("id") in called:
                continue
            lint.muted.update((source.name, node.get("id")) for node in process.iterdescendants()
                              if isinstance(node.tag, str) and node.get("id"))
            if not runs:
                lint.found(source, process, "not_executable", "The process %(process)s is not marked "
                           "executable (isExecutable=\"%(value)s\"): it documents a process, and nothing of it "
                           "runs here; mark it isExecutable=\"true\" to deploy it",
                           process=process.get("name") or process.get("id") or "",
                           value=process.get("isExecutable") or "")


def check_user_tasks(lint: Linter) -> None:
    for source, node in lint.bpmn_elements("task"):
        lint.found(source, node, "untyped_task", "Plain tasks wait forever; use a userTask or manualTask")
    for source, node in lint.bpmn_elements("userTask"):
        props = task_properties(node)
        for key in EXPRESSION_PROPERTIES:
            lint.expression(source, node, props.get(key), EXPRESSION_PROPERTIES_NAMED[key])
        _check_due(lint, source, node, props)
        if props.get("role") and role_named(props["role"]) is None:
            lint.found(source, node, "role", "Role '%(role)s' is not a known role", role=props["role"])
        form = props.get(FORM_PROPERTY)
        if not form:
            lint.found(source, node, "form", "The user task has no %(property)s property", property=FORM_PROPERTY)
        else:
            _check_form(lint, source, node, form)
        if props.get(UI_FORM_PROPERTY):
            _check_form(lint, source, node, props[UI_FORM_PROPERTY], schema=False)


def _check_due(lint: Linter, source: Source, node: Any, props: dict[str, str]) -> None:
    due_in = props.get("dueIn")
    if due_in:
        try:
            TimerEventDefinition.parse_iso_duration(due_in.strip())
            if not due_in.strip().upper().startswith("P"):
                raise ValueError
        except Exception:  # noqa: BLE001 - the library raises bare Exception for bad ISO values
            lint.found(source, node, "due", "The dueIn '%(value)s' is not an ISO-8601 duration such as P10D",
                       value=due_in)
    workdays = props.get("dueWorkdays")
    if workdays and not workdays.strip().isdigit():
        lint.found(source, node, "due", "The dueWorkdays '%(value)s' is not a whole number", value=workdays)


def _check_form(lint: Linter, source: Source, node: Any, name: str, schema: bool = True) -> None:
    text = lint.resolve_form(name, source.name)
    if text is None:
        lint.found(source, node, "form", "Form file '%(name)s' was not found", name=name)
        return
    if schema:
        try:
            parse_form(text)
        except FormSchemaError as error:
            lint.found(source, node, "form", "Form file '%(name)s': %(error)s", name=name, error=error)
            return
    lint.report.forms[name] = text


def check_lanes(lint: Linter) -> None:
    lanes_seen = set()
    for source, lane in lint.bpmn_elements("lane"):
        lanes_seen.add(id(lane))
        if role_named(lane.get("name")) is None:
            lint.found(source, lane, "role", "Lane '%(lane)s' does not name a known role",
                       lane=lane.get("name") or "")
    for source, node in lint.bpmn_elements("userTask"):
        props = task_properties(node)
        if props.get("role") or props.get("assignee") or lane_of(node) is not None:
            continue
        if node.find("bpmn:multiInstanceLoopCharacteristics", NS) is not None:
            continue  # per-member tasks are assigned by their element variable
        lint.found(source, node, "role", "The user task has no lane, role or assignee: nobody could do it")


def check_references(lint: Linter) -> None:
    for source, node in lint.bpmn_elements("callActivity"):
        target = node.get("calledElement")
        if not target or target not in lint.process_ids:
            lint.found(source, node, "call_activity", "Called process '%(process)s' does not exist",
                       process=target or "")
    for source, node in lint.bpmn_elements("businessRuleTask"):
        decision = text_of(node, "bpmn:extensionElements/spiffworkflow:calledDecisionId")
        if decision is None and any(split_tag(key)[1] == "decisionRef" for key in node.attrib):
            continue  # named by check_vendor, with what to write instead
        if not decision or decision.strip() not in lint.decision_ids:
            lint.found(source, node, "dmn", "Decision '%(decision)s' does not exist",
                       decision=(decision or "").strip())


def check_messages(lint: Linter) -> None:
    """A message catch event or receive task waits for ever when nothing in these files sends
    its message (nothing else in the platform sends messages)."""
    names = {(source.name, node.get("id")): node.get("name") or node.get("id")
             for source, node in lint.bpmn_elements("message")}

    def message_of(source: Source, node: Any) -> str | None:
        ref = node.get("messageRef")
        return names.get((source.name, ref), ref) if ref else None

    thrown, waiting = set(), []
    for source, definition in lint.bpmn_elements("messageEventDefinition"):
        kind = local_name(definition.getparent().tag)
        if kind in ("intermediateThrowEvent", "endEvent"):
            thrown.add(message_of(source, definition))
        elif kind == "intermediateCatchEvent":
            waiting.append((source, definition.getparent(), message_of(source, definition)))
    thrown.update(message_of(source, task) for source, task in lint.bpmn_elements("sendTask"))
    waiting += [(source, task, message_of(source, task)) for source, task in lint.bpmn_elements("receiveTask")]
    for source, node, message in waiting:
        if message not in thrown:
            lint.found(source, node, "message", "It waits for the message %(message)s, which nothing in these "
                       "files sends: it would wait for ever. Send it from a message throw or end event, or "
                       "wait for a user task or a timer instead", message=message or "-")


def check_calls_to_itself(lint: Linter) -> None:
    """A call activity that leads back to its own process would call it again for ever."""
    calls: dict[str, set[str]] = {}
    for _source, node in lint.bpmn_elements("callActivity"):
        owner = process_of(node)
        if owner is not None and node.get("calledElement"):
            calls.setdefault(owner.get("id"), set()).add(node.get("calledElement"))
    for source, node in lint.bpmn_elements("callActivity"):
        owner, target = process_of(node), node.get("calledElement")
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
            lint.found(source, node, "call_activity", "It calls its own process %(process)s: it would start it "
                       "again and again and never end", process=target)
        elif owner.get("id") in seen:
            lint.found(source, node, "call_activity", "It calls %(target)s, which calls back %(process)s: it "
                       "would start it again and again and never end", target=target, process=owner.get("id"))
