"""Workflow classes that lift SpiffWorkflow's 1000-level depth limit, which silently "completes"
long loops (their task queries and completion check stop at depth 1000)."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskState

MAX_DEPTH = 1_000_000


class DepthSafeSubWorkflow(BpmnSubWorkflow):
    """A subprocess whose task queries are not cut at depth 1000."""

    def get_tasks_iterator(self, first_task: Any = None, **kwargs: Any) -> BpmnTaskIterator:
        kwargs.setdefault("max_depth", MAX_DEPTH)
        return super().get_tasks_iterator(first_task, **kwargs)

    def is_completed(self) -> bool:
        return _is_completed(self)


class DepthSafeWorkflow(BpmnWorkflow):
    """A top workflow whose task queries, completion check and subprocesses ignore the depth cap."""

    def get_tasks_iterator(self, first_task: Any = None, **kwargs: Any) -> BpmnTaskIterator:
        kwargs.setdefault("max_depth", MAX_DEPTH)
        return super().get_tasks_iterator(first_task, **kwargs)

    def is_completed(self) -> bool:
        return _is_completed(self)

    def create_subprocess(self, my_task: Any, spec_name: str) -> DepthSafeSubWorkflow:
        subprocess = DepthSafeSubWorkflow(self.subprocess_specs[spec_name], parent_task_id=my_task.id,
                                          top_workflow=self)
        self.subprocesses[my_task.id] = subprocess
        return subprocess


def _is_completed(workflow: Any) -> bool:
    if not workflow.completed:
        unfinished = BpmnTaskIterator(workflow.task_tree, state=TaskState.NOT_FINISHED_MASK, max_depth=MAX_DEPTH)
        if next(unfinished, None) is None:
            workflow.completed = True
    return bool(workflow.completed)
