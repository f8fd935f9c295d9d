"""Change a running workflow's version: move it onto the specs of another version of its process.

(Not a schema migration: those are Alembic's, in :mod:`engine.persistence`.)

SpiffWorkflow aligns the old and the new task specs by BPMN id (``SpecDiff``) and re-points the
workflow's tasks (``migrate_workflow``); READY and WAITING tasks are reset and predicted again on
the new specs, so a step the new version inserts after the current one is taken, and one before
it is not. A workflow is refused when a step that is active now (open, or waiting for a timer or
an event) was removed, became another kind of element, or sits in a process the new version no
longer has: it would not know how to go on.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff
from SpiffWorkflow.bpmn.util.diff import migrate_workflow

from engine.runtime.serialization import spec_registry
from engine.runtime.specs import ParsedModel

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


def _name(task: Any) -> str:
    spec = task.task_spec
    return str(getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name)


def _diffs(workflow: Any, model: ParsedModel) -> list[tuple[Any, Any, SpecDiff | None]]:
    """(workflow or sub-workflow, its new spec, the diff of its spec) for the workflow and every
    live sub-workflow; the spec and diff are None for a process the new version does not have."""
    registry = spec_registry()
    found = [(workflow, model.spec, SpecDiff(registry, workflow.spec, model.spec))]
    for sub in workflow.subprocesses.values():
        new_spec = model.subprocess_specs.get(sub.spec.name)
        found.append((sub, new_spec, SpecDiff(registry, sub.spec, new_spec) if new_spec is not None else None))
    return found


def version_change_refusals(workflow: Any, model: ParsedModel) -> list[tuple[str, str]]:
    """Why ``workflow`` cannot move onto ``model`` (empty when it can): (reason, the step or process
    it concerns), one per active step. Reasons: ``process_gone``, ``removed``, ``changed_kind``."""
    reasons = []
    for flow, _spec, diff in _diffs(workflow, model):
        active = [t for t in flow.get_tasks(state=ACTIVE, skip_subprocesses=True)
                  if getattr(t.task_spec, "bpmn_id", None)]
        if diff is None:
            if active:
                reasons.append(("process_gone", flow.spec.description or flow.spec.name))
            continue
        removed, changed = set(diff.removed), diff.changed
        for task in active:
            if task.task_spec in removed:
                reasons.append(("removed", _name(task)))
            elif "typename" in changed.get(task.task_spec, []):
                reasons.append(("changed_kind", _name(task)))
    return reasons


def change_version(workflow: Any, model: ParsedModel) -> None:
    """Re-point ``workflow`` and its live sub-workflows at ``model``'s specs, in place. Call
    :func:`version_change_refusals` first: this does not check."""
    for flow, spec, diff in _diffs(workflow, model):
        if diff is not None:
            migrate_workflow(WorkflowDiff(flow, diff), flow, spec)
    workflow.subprocess_specs = model.subprocess_specs
