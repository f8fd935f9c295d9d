"""Every step an instance has finished, from its live state and from the archive of finished parts.

The audit events already say who did what; this is the workflow's own account (script tasks,
gateways and timers included), for an administrator who needs all of it. It reads task names
from the model and never restores archived parts into a running workflow.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState

from engine.runtime.depth_safe import DepthSafeWorkflow
from engine.runtime.specs import ParsedModel


@dataclass(frozen=True)
class FinishedStep:
    process: str
    bpmn_id: str
    name: str
    state: str  # 'completed' or 'cancelled'
    at: datetime  # the server's real time (the library's own stamp, not the engine clock)
    archived: bool


def _step(model: ParsedModel, process: str, spec_name: str, state: int, changed: float,
          archived: bool) -> FinishedStep | None:
    spec = model.spec if process == model.spec.name else model.subprocess_specs.get(process)
    task_spec = spec.task_specs.get(spec_name) if spec is not None else None
    bpmn_id = getattr(task_spec, "bpmn_id", None)
    if not bpmn_id or not state & TaskState.FINISHED_MASK:
        return None  # the library's own bookkeeping tasks (Root, Start, End, joins of boundaries)
    return FinishedStep(process, bpmn_id, getattr(task_spec, "bpmn_name", None) or bpmn_id,
                        TaskState.get_name(state).lower(), datetime.fromtimestamp(changed, UTC), archived)


def finished_steps(model: ParsedModel, workflow: DepthSafeWorkflow,
                   archived: Iterable[tuple[str, str]]) -> list[FinishedStep]:
    """Finished steps in time order: the live ones of ``workflow`` and those of the archived parts.

    ``archived`` gives (process, content) of each ``instance_archive`` row.
    """
    steps = []
    for process, content in archived:
        part: dict[str, Any] = json.loads(content)
        process = part.get("spec", process)
        for task in part["tasks"].values():
            steps.append(_step(model, process, task["task_spec"], task["state"], task["last_state_change"], True))
    for owner in (workflow, *workflow.subprocesses.values()):
        for task in owner.tasks.values():
            steps.append(_step(model, owner.spec.name, task.task_spec.name, task.state, task.last_state_change,
                               False))
    return sorted((step for step in steps if step is not None), key=lambda step: step.at)
