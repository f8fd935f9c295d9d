"""A running process instance: SpiffWorkflow behind an API that guards the library's traps.

:class:`ProcessRun` completes only READY manual tasks taken by id, deep-copies submitted data,
turns script failures into an error record (element + message) instead of an exception, and
re-raises business refusals (:class:`engine.errors.Refused`) so the caller can roll back. Its
workflow is a :class:`engine.runtime.depth_safe.DepthSafeWorkflow`; what the projections read of it
comes from :mod:`engine.runtime.snapshot`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from collections.abc import Mapping
from datetime import datetime
from datetime import timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.util.task import TaskState

from engine import clock
from engine.errors import Refused
from engine.runtime import timers
from engine.runtime.depth_safe import DepthSafeWorkflow
from engine.runtime.scripting import make_script_engine
from engine.runtime.snapshot import TIMER_EVENTS
from engine.runtime.snapshot import ReadyTask
from engine.runtime.snapshot import RunError
from engine.runtime.snapshot import Snapshot
from engine.runtime.snapshot import Step
from engine.runtime.snapshot import all_tasks
from engine.runtime.snapshot import describe
from engine.runtime.snapshot import take_snapshot
from engine.runtime.specs import ParsedModel

MAX_TIMER_ROUNDS = 64


def _refusal_in(error: BaseException) -> Refused | None:
    seen = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, Refused):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class ProcessRun:
    """One loaded workflow plus the model it runs on."""

    def __init__(self, model: ParsedModel, workflow: DepthSafeWorkflow,
                 helpers: Mapping[str, Callable[..., Any]] | None = None, cpu_seconds: float = 1.0,
                 isolated: bool = False) -> None:
        self.model = model
        self.workflow = workflow
        # The script engine is not serialized: attach it after every load (pitfall 19).
        self.workflow.script_engine = make_script_engine(helpers, cpu_seconds, isolated)
        self.error: RunError | None = None

    @classmethod
    def start(cls, model: ParsedModel, data: Mapping[str, Any], **options: Any) -> ProcessRun:
        """Create a new workflow, seed it with ``data`` and run to the first wait state.

        :raises Refused: when the diagram refuses to start with this data.
        """
        workflow = DepthSafeWorkflow(model.spec, model.subprocess_specs)
        run = cls(model, workflow, **options)
        start = workflow.get_next_task(state=TaskState.READY)
        start.data.update(copy.deepcopy(dict(data)))
        run.advance()
        return run

    # -- engine steps ------------------------------------------------------------------------

    def advance(self) -> None:
        """Run engine tasks and due timers until only user input or future timers remain.

        A failing script or expression stops the run and is recorded in :attr:`error`.

        :raises Refused: re-raised from a helper so the caller can roll the use case back.
        """
        try:
            self.workflow.do_engine_steps()
            # A timer made READY by the refresh at the end of do_engine_steps only runs on the next
            # call, and each refresh advances a cycle timer by one period: loop until settled.
            for _ in range(MAX_TIMER_ROUNDS):
                due = self.next_timer_due()
                timer_due = due is not None and due <= clock.now()
                if not timer_due and self.workflow.get_next_task(state=TaskState.READY, manual=False) is None:
                    break
                self.workflow.refresh_timers()
                self.workflow.do_engine_steps()
        except Exception as error:  # noqa: BLE001 - any failure of diagram code stops the instance
            self._record(error)

    def _record(self, error: Exception) -> None:
        refusal = _refusal_in(error)
        if refusal is not None:
            raise refusal
        task = getattr(error, "task", None)
        failed = self.workflow.get_next_task(state=TaskState.ERROR)
        spec = (task or failed).task_spec if (task or failed) is not None else None
        bpmn_id = getattr(spec, "bpmn_id", None) or getattr(spec, "name", "") or ""
        name = getattr(spec, "bpmn_name", None) or bpmn_id
        self.error = RunError(bpmn_id, name, str(error).strip(), getattr(error, "line_number", None) or None)

    # -- user tasks --------------------------------------------------------------------------

    def _task(self, task_id: str) -> Any:
        try:
            return self.workflow.get_task_from_id(UUID(task_id))
        except (KeyError, ValueError, TypeError):
            return None

    def ready_task(self, task_id: str) -> ReadyTask | None:
        """The READY manual task with this id, or None when it is not (or no longer) ready."""
        task = self._task(task_id)
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            return None
        return describe(self.model, task)

    def passed_before(self, task_id: str) -> bool:
        """True when an earlier pass of task ``task_id``'s element is among its ancestors: a loop or
        a return decision led back to it within its run. False says only that the live state does
        not show one (finished tasks are pruned from it, see :mod:`engine.runtime.compaction`)."""
        task = self._task(task_id)
        if task is None:
            return False
        node = task.parent
        while node is not None:
            if node.task_spec is task.task_spec:
                return True
            node = node.parent
        return False

    def complete(self, task_id: str, submitted: Mapping[str, Any]) -> None:
        """Complete the READY manual task ``task_id`` with ``submitted`` data, then advance.

        :raises LookupError: when the task is not READY (completed, cancelled, future or unknown).
        :raises Refused: when the diagram refuses the submission; nothing is applied then.
        """
        task = self._task(task_id)
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise LookupError(task_id)
        values = copy.deepcopy(dict(submitted))
        output = self._output_variable(task)
        if output:
            task.data[output] = values
        else:
            task.data.update(values)
        try:
            task.run()
        except Exception as error:  # noqa: BLE001 - a failing post-script stops the instance
            self._record(error)
            return
        self.advance()

    @staticmethod
    def _output_variable(task: Any) -> str | None:
        parent = task.parent.task_spec if task.parent is not None else None
        if isinstance(parent, MultiInstanceTask) and parent.output_item is not None:
            output: str | None = parent.output_item.bpmn_id
            return output
        return None

    def evaluate(self, task_id: str, expression: str) -> Any:
        """Evaluate ``expression`` (sandboxed) against the data of task ``task_id``."""
        task = self._task(task_id)
        return self.workflow.script_engine.evaluate(task, expression)

    # -- errors and control ------------------------------------------------------------------

    def failed_task(self) -> Any:
        return self.workflow.get_next_task(state=TaskState.ERROR)

    def retry(self, corrections: Mapping[str, Any]) -> None:
        """Apply ``corrections`` to the failed task's data and run it again (an instance that had
        stalled on unmerged loop children goes on from them)."""
        self.error = None
        self.merge_finished_loop_children()
        task = self.failed_task()
        if task is not None:
            task.data.update(copy.deepcopy(dict(corrections)))
            task._set_state(TaskState.READY)
            try:
                task.run()
            except Exception as error:  # noqa: BLE001 - still failing: stays in error
                self._record(error)
                return
        self.advance()

    def merge_finished_loop_children(self) -> int:
        """Merge every finished child of a running loop or multi-instance task that its parent has
        not merged yet, in the order they finished; returns how many were merged.

        Such children are what states saved before :func:`engine.runtime.specs.wire_spec_events`
        existed hold when a child was finished in another process: the parent waited for a merge
        that never came. Merging them is what the library would have done; call :meth:`advance`
        afterwards.
        """
        merged = 0
        for task in list(all_tasks(self.workflow)):
            spec = task.task_spec
            if not isinstance(spec, LoopTask) or task.state != TaskState.STARTED:
                continue
            done = set(task.internal_data.get("merged", []))
            finished = [child for child in task.children
                        if child.state == TaskState.COMPLETED and str(child.id) not in done]
            for child in sorted(finished, key=lambda child: child.last_state_change):
                spec.merge_child(task.workflow, child)
                merged += 1
        return merged

    def shift_boundary_timers(self, task_id: str, delta: timedelta) -> list[str]:
        """Move the waiting timers on the boundary of task ``task_id`` by ``delta``; their names.

        A timer on a task's boundary (a grace period, a statement window) is derived from the
        task's due date: when an extension moves the due date, it moves too.
        """
        task = self._task(task_id)
        if task is None or task.parent is None or not isinstance(task.parent.task_spec, BoundaryEventSplit):
            return []
        moved = []
        for sibling in task.parent.children:
            spec = sibling.task_spec
            if sibling is task or sibling.state != TaskState.WAITING or not isinstance(spec, BoundaryEvent) \
                    or not isinstance(spec.event_definition, TimerEventDefinition):
                continue
            value = sibling._get_internal_data("event_value")
            due = timers.pending_due(value)
            if due is None:
                continue
            shifted = (due + delta).isoformat()
            sibling._set_internal_data(event_value={**value, "next": shifted} if isinstance(value, dict) else shifted)
            moved.append(spec.bpmn_name or spec.bpmn_id)
        return moved

    def terminate(self) -> None:
        """Cancel every unfinished task."""
        self.workflow.cancel()
    # -- what the projections read -----------------------------------------------------------

    @property
    def completed(self) -> bool:
        return self.workflow.is_completed()

    def status(self) -> str:
        return self.snapshot().status

    def ready_tasks(self) -> list[ReadyTask]:
        """Every READY manual task, inside subprocesses and call activities too."""
        return self.snapshot().ready

    def steps(self) -> list[Step]:
        return self.snapshot().steps

    def next_timer_due(self) -> datetime | None:
        pending = [timers.pending_due(event.value) for event in self.workflow.waiting_events()
                   if event.event_type in TIMER_EVENTS]
        dues = [due for due in pending if due is not None]
        return min(dues) if dues else None

    def due_timer_names(self, now: datetime) -> list[str]:
        """Names of the timers (boundaries included) that are due at ``now``."""
        names = []
        for event in self.workflow.waiting_events():
            due = timers.pending_due(event.value)
            if event.event_type in TIMER_EVENTS and due is not None and due <= now:
                names.append(event.name or "timer")
        return names

    def snapshot(self, since: float | None = None) -> Snapshot:
        """Everything the projections need, read in one pass over the task tree (see
        :func:`engine.runtime.snapshot.take_snapshot`)."""
        return take_snapshot(self.workflow, self.model, self.error, since)

    def tree_size(self) -> int:
        return len(self.workflow.tasks) + sum(len(sp.tasks) for sp in self.workflow.subprocesses.values())
