"""State-only serialization of workflows: the spec lives once per model version, not per instance.

SpiffWorkflow 3.2 embeds the whole spec in every serialization and offers no public switch to
leave it out. This module (pinned to ``spiffworkflow==3.2.0``) registers a converter for our
workflow class that writes the task tree, subprocesses and events only, and restores them onto
spec objects taken from the in-memory model cache. A test round-trips every shipped diagram
through it, so a library upgrade that changes the internals fails loudly.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnSubWorkflowConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.runtime.depth_safe import DepthSafeSubWorkflow
from engine.runtime.depth_safe import DepthSafeWorkflow


class StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    """Writes a workflow without its spec; restores it onto given spec objects."""

    def to_dict(self, workflow: DepthSafeWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> DepthSafeWorkflow:
        workflow: DepthSafeWorkflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _build_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[DepthSafeWorkflow] = StateOnlyWorkflowConverter
    config[DepthSafeSubWorkflow] = BpmnSubWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"]),
                      typename="date")
    return BpmnWorkflowSerializer(registry)


_SERIALIZER = _build_serializer()
# The converter instance behind DepthSafeWorkflow (constructing it registers it again, unchanged).
_WORKFLOWS = StateOnlyWorkflowConverter(DepthSafeWorkflow, _SERIALIZER.registry)


def serializer_version() -> str:
    version: str = _SERIALIZER.VERSION
    return version


def dumps(value: Any) -> str:
    """``value`` (a workflow, a sub-workflow, tasks, plain data) as compact JSON text.

    Non-ASCII text is kept as it is: escaping every Chinese character would double the state.
    """
    registry = _SERIALIZER.registry
    registry._encoder_mode = True  # private: without it, deltas keep raw Decimal and date values
    try:
        dct = registry.convert(value)
    finally:
        registry._encoder_mode = False
    if isinstance(value, DepthSafeWorkflow):
        dct[_SERIALIZER.VERSION_KEY] = _SERIALIZER.VERSION
    return json.dumps(dct, cls=_SERIALIZER._encoder_cls, ensure_ascii=False, separators=(",", ":"))


def dump_state(workflow: DepthSafeWorkflow) -> str:
    """The workflow's state as JSON text, without the spec."""
    return dumps(workflow)


def load_archived_subprocess(content: str, subprocess_specs: dict[str, Any]) -> DepthSafeWorkflow:
    """An archived sub-workflow (see ``engine.runtime.compaction``) as a workflow of its own, to read.

    :raises KeyError: when its process is not among ``subprocess_specs``.
    """
    dct = json.loads(content)
    workflow = DepthSafeWorkflow(subprocess_specs[dct["spec"]], subprocess_specs, deserializing=True)
    workflow.tasks = _WORKFLOWS.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
    workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
    _WORKFLOWS.set_default_attributes(workflow, dct)
    return workflow


def load_state(state: str, spec: Any, subprocess_specs: dict[str, Any]) -> DepthSafeWorkflow:
    """Rebuild a workflow from :func:`dump_state` output on the given (cached) spec objects."""
    dct = json.loads(state)
    _SERIALIZER.migrate(dct)
    workflow: DepthSafeWorkflow = _SERIALIZER.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
    return workflow


def spec_registry() -> Any:
    """The serializer's registry, which SpiffWorkflow's spec diff uses to compare task specs."""
    return _SERIALIZER.registry
