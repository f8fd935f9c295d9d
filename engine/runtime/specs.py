"""Turn a model bundle (BPMN, DMN and form files) into SpiffWorkflow specs plus a task index.

A *bundle* is everything one process version needs, as text: ``{"bpmn": {name: xml},
"dmn": {name: xml}, "forms": {name: json}}``. It is what the registry stores per version, so a
pinned instance can always be rebuilt exactly as it started.
"""

from __future__ import annotations

import ast
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMA_FILES
from SpiffWorkflow.spiff.parser.process import VALIDATOR
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.roles import role_named
from engine.runtime.xmlsafe import parse_xml

Bundle = dict[str, dict[str, str]]

_ISO_DURATION = re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_ISO_CYCLE = re.compile(r"^R\d*/[^\s]+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")

FORM_PROPERTY = "formJsonSchemaFilename"
UI_FORM_PROPERTY = "formUiSchemaFilename"


def quote_bare_iso(expression: str) -> str:
    """Quote a bare ISO-8601 literal (``P7D``, ``R4/P3M``, ``2008-06-30``) as other modelers write it.

    SpiffWorkflow evaluates timer expressions as Python, where ``P7D`` is an unknown name and
    ``R4/P3M`` a division; anything else is returned unchanged.
    """
    text = expression.strip()
    if _ISO_DURATION.match(text) or _ISO_CYCLE.match(text) or _ISO_DATE.match(text):
        return repr(text)
    return expression


def timer_literal(expression: str) -> str | None:
    """The string value of a timer expression when it is a literal, else None (it reads data)."""
    try:
        value = ast.literal_eval(quote_bare_iso(expression).strip())
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class TaskMeta:
    """What the engine needs to know about one manual task spec, read once per model version."""

    process: str
    spec_name: str
    bpmn_id: str
    name: str
    lane: str | None
    role: str | None
    properties: dict[str, str]
    documentation: str
    form: str | None
    element_variable: str | None = None

    def prop(self, key: str) -> str | None:
        value = self.properties.get(key)
        return value.strip() if isinstance(value, str) and value.strip() else None


@dataclass
class ParsedModel:
    """The specs of one process version, ready to instantiate, with its task index and forms."""

    process_id: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    tasks: dict[tuple[str, str], TaskMeta]
    forms: dict[str, dict[str, Any]]
    element_names: dict[str, str] = field(default_factory=dict)
    starter_roles: frozenset[str] = frozenset()
    # Properties of the start event: ``startRefusal`` (an expression giving why the actor may not
    # start the process now, or nothing) and ``withdrawableWhile`` (the steps, by BPMN id, while
    # one of which is open the one who started it may withdraw it).
    start_properties: dict[str, str] = field(default_factory=dict)
    milestones: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    source: str = ""  # the BPMN file that defines the process, for viewers
    # Process id -> the BPMN file that defines it, for the process and every one it calls.
    sources: dict[str, str] = field(default_factory=dict)
    # Process id -> {BPMN id of a call activity or sub-process: the process it runs}.
    calls: dict[str, dict[str, str]] = field(default_factory=dict)

    def within(self, process: str) -> set[str]:
        """``process`` and every process it calls, directly or through others."""
        found, todo = set(), [process]
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(self.calls.get(current, {}).values())
        return found

    def process_of(self, bpmn_id: str) -> str | None:
        """The id of the process that holds the element ``bpmn_id``, if any does."""
        for process in all_specs(self.spec, self.subprocess_specs):
            if any(getattr(task_spec, "bpmn_id", None) == bpmn_id for task_spec in process.task_specs.values()):
                return str(process.name)
        return None

    def task_meta(self, process: str, spec_name: str) -> TaskMeta | None:
        return self.tasks.get((process, spec_name))

    def meta_for(self, process: str, bpmn_id: str) -> TaskMeta | None:
        """The manual task with this BPMN id in ``process`` (a multi-instance child included)."""
        for meta in self.tasks.values():
            if meta.process == process and meta.bpmn_id == bpmn_id:
                return meta
        return None


# SpiffWorkflow 3.2 ships a DMN 1.2 schema whose import of DMNDI 1.2 does not resolve, so loading it
# fails for every DMN 1.2 file: those are read without schema validation (the lint checks their tables).
DMN_SCHEMAS = {namespace: path for namespace, path in DMN_SCHEMA_FILES.items() if "20180521" not in namespace}


def new_parser() -> SpiffBpmnParser:
    """A Spiff parser with XSD validation on."""
    return SpiffBpmnParser(validator=VALIDATOR, dmn_schemas=DMN_SCHEMAS)


def load_bundle_into(parser: SpiffBpmnParser, bundle: Bundle) -> None:
    """Add every BPMN and DMN file of ``bundle`` to ``parser``, parsed safely."""
    for name, text in sorted(bundle.get("bpmn", {}).items()):
        parser.add_bpmn_xml(parse_xml(text), filename=name)
    for name, text in sorted(bundle.get("dmn", {}).items()):
        parser.add_dmn_xml(parse_xml(text).getroot(), filename=name)


def all_specs(spec: Any, subprocess_specs: dict[str, Any]) -> Iterator[Any]:
    """The process spec followed by every subprocess and call-activity spec."""
    yield spec
    yield from subprocess_specs.values()


def normalize_timers(spec: Any, subprocess_specs: dict[str, Any]) -> None:
    """Quote bare ISO literals in every timer expression of the specs, in place."""
    for process in all_specs(spec, subprocess_specs):
        for task_spec in process.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if isinstance(definition, TimerEventDefinition):
                definition.expression = quote_bare_iso(definition.expression)


def wire_spec_events(spec: Any, subprocess_specs: dict[str, Any]) -> None:
    """Make the spec connections that SpiffWorkflow's own spec deserializer makes, once per spec object.

    A loop or multi-instance task merges each finished child through a ``completed_event``
    connection on the child's *spec*. The library makes it lazily, when a process creates the
    children; its spec deserializer makes it up front. Our states are restored onto specs parsed
    from BPMN, so without this a child created in one server process and finished in another is
    never merged and the instance stalls. (Sub-workflow completion is wired per workflow when the
    state is restored; ad-hoc sub-process paths are wired by the parser.)
    """
    for process in all_specs(spec, subprocess_specs):
        for task_spec in process.task_specs.values():
            if not isinstance(task_spec, LoopTask):
                continue
            child_spec = process.task_specs[task_spec.task_spec]
            if not child_spec.completed_event.is_connected(task_spec.merge_child):
                child_spec.completed_event.connect(task_spec.merge_child)


def _element_variables(process: Any) -> dict[str, str]:
    """Child spec name -> MI input item name, for per-member tasks."""
    out = {}
    for task_spec in process.task_specs.values():
        if isinstance(task_spec, MultiInstanceTask) and task_spec.input_item is not None:
            out[task_spec.task_spec] = task_spec.input_item.bpmn_id
    return out


def build_task_index(spec: Any, subprocess_specs: dict[str, Any]) -> dict[tuple[str, str], TaskMeta]:
    """Index every manual task spec by (process name, spec name)."""
    index: dict[tuple[str, str], TaskMeta] = {}
    for process in all_specs(spec, subprocess_specs):
        variables = _element_variables(process)
        for task_spec in process.task_specs.values():
            if not getattr(task_spec, "manual", False) or getattr(task_spec, "bpmn_id", None) is None:
                continue
            properties = dict((task_spec.extensions or {}).get("properties", {}))
            role = role_named(properties.get("role")) or role_named(task_spec.lane)
            index[(process.name, task_spec.name)] = TaskMeta(
                process=process.name,
                spec_name=task_spec.name,
                bpmn_id=task_spec.bpmn_id,
                name=task_spec.bpmn_name or task_spec.bpmn_id,
                lane=task_spec.lane,
                role=role.code if role else None,
                properties=properties,
                documentation=task_spec.documentation or "",
                form=properties.get(FORM_PROPERTY),
                element_variable=variables.get(task_spec.name),
            )
    return index


def milestone_elements(spec: Any, subprocess_specs: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str]]:
    """(process, BPMN id) -> (milestone key, element name) of every element with a ``milestone`` property."""
    found = {}
    for process in all_specs(spec, subprocess_specs):
        for task_spec in process.task_specs.values():
            key = ((getattr(task_spec, "extensions", None) or {}).get("properties") or {}).get("milestone")
            if key and getattr(task_spec, "bpmn_id", None):
                found[(process.name, task_spec.bpmn_id)] = (key.strip(), task_spec.bpmn_name or task_spec.bpmn_id)
    return found


def element_names(spec: Any, subprocess_specs: dict[str, Any]) -> dict[str, str]:
    """BPMN id -> display name of every named element, for status lines and errors."""
    names = {}
    for process in all_specs(spec, subprocess_specs):
        for task_spec in process.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            if bpmn_id:
                names[bpmn_id] = task_spec.bpmn_name or bpmn_id
    return names


def called_processes(spec: Any, subprocess_specs: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Process id -> {BPMN id of each call activity or sub-process in it: the process it runs}."""
    return {process.name: {task_spec.bpmn_id: task_spec.spec for task_spec in process.task_specs.values()
                           if isinstance(task_spec, SubWorkflowTask) and task_spec.bpmn_id}
            for process in all_specs(spec, subprocess_specs)}


def process_sources(bundle: Bundle, spec: Any, subprocess_specs: dict[str, Any]) -> dict[str, str]:
    """Process id -> the text of the BPMN file that defines it."""
    files = bundle.get("bpmn", {})
    return {process.name: files.get(process.file, "") for process in all_specs(spec, subprocess_specs)}


def starter_roles(spec: Any) -> frozenset[str]:
    """Roles of the lanes holding the process's start events; empty when anyone may start it."""
    roles = set()
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, StartEvent) and task_spec.lane:
            role = role_named(task_spec.lane)
            if role is not None:
                roles.add(role.code)
    return frozenset(roles)


def start_properties(spec: Any) -> dict[str, str]:
    """The ``spiffworkflow:properties`` of the process's start event."""
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, StartEvent):
            return dict((getattr(task_spec, "extensions", None) or {}).get("properties") or {})
    return {}


def parse_model(bundle: Bundle, process_id: str) -> ParsedModel:
    """Build the specs of ``process_id`` from ``bundle``.

    :raises ValidationException, XmlError: when the bundle does not parse (the lint reports these
        with locations before anything is deployed, so here they mean a corrupted store).
    """
    parser = new_parser()
    load_bundle_into(parser, bundle)
    spec = parser.get_spec(process_id)
    subprocess_specs = parser.get_subprocess_specs(process_id)
    normalize_timers(spec, subprocess_specs)
    wire_spec_events(spec, subprocess_specs)
    forms = {name: json.loads(text) for name, text in bundle.get("forms", {}).items()}
    return ParsedModel(
        process_id=process_id,
        name=spec.description or process_id,
        spec=spec,
        subprocess_specs=subprocess_specs,
        tasks=build_task_index(spec, subprocess_specs),
        forms=forms,
        element_names=element_names(spec, subprocess_specs),
        starter_roles=starter_roles(spec),
        start_properties=start_properties(spec),
        milestones=milestone_elements(spec, subprocess_specs),
        source=bundle.get("bpmn", {}).get(spec.file, ""),
        sources=process_sources(bundle, spec, subprocess_specs),
        calls=called_processes(spec, subprocess_specs),
    )


class ModelCache:
    """Parsed models by version id. Parsing costs ~10 ms, so every worker keeps its own LRU."""

    def __init__(self, capacity: int = 64) -> None:
        self._items: OrderedDict[int, ParsedModel] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def cached(self, version_id: int) -> ParsedModel | None:
        """The parsed model if it is in the cache (a dict read: safe without the lock)."""
        return self._items.get(version_id)

    def get(self, version_id: int, process_id: str, load_bundle: Any) -> ParsedModel:
        """The parsed model of a version; ``load_bundle()`` is called only on a miss."""
        with self._lock:
            model = self._items.get(version_id)
            if model is not None:
                self._items.move_to_end(version_id)
                return model
        model = parse_model(load_bundle(), process_id)
        with self._lock:
            self._items[version_id] = model
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return model
