"""Keep a workflow's live state small for its whole life: finished parts move to an archive.

SpiffWorkflow keeps every task it ever created and every sub-workflow it ever ran, and each load
rebuilds all of them (every task's data is merged from its parent's), so a project's last step
would cost many times its first. Two moves bound the live state by what is still running, and
both remove only what nothing can return into:

* **Finished sub-workflows.** A called process or embedded sub-process whose task in the parent
  has finished (completed or cancelled) is archived and dropped, with the sub-workflows it ran.
  Its results already live in the parent task's data (the library copies them back on completion).
* **Finished tasks.** In the top workflow and in each running sub-workflow, the finished tasks
  above the point where all unfinished work (and the last completed task) branches off are
  dropped, and that point becomes the root, holding the full data its successors inherit. A
  finished branch hanging from a finished task (a cancelled boundary event, the instances of a
  finished multi-instance task, an earlier pass of a loop) goes too, unless a join still waiting
  needs it to know which branches have arrived. A task is never made the
  root while the boundary-event or event-based construct around it waits for its join, and a
  join is never made the root, because the library's join checks look at these ancestors.
  Completed tasks in the middle of what remains (passes of a loop inside a parallel branch) are
  cut out of their chain where no join or event split depends on them.

What leaves the live state is returned as :class:`ArchivedPart` values for the caller to store;
the audit events and projections already hold everything that pages show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.control import StartEventSplit
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

from engine.runtime import serialization
from engine.runtime.depth_safe import DepthSafeWorkflow

SUBPROCESS = "subprocess"
TASKS = "tasks"
# Tasks are pruned from a workflow once it holds at least this many finished ones: pruning a few
# at every step would cost each step a pass over the tree and an archive row for little gain.
PRUNE_AT = 24


@dataclass(frozen=True)
class ArchivedPart:
    """A finished part of a workflow, as JSON: a whole sub-workflow, or pruned tasks."""

    kind: str  # SUBPROCESS or TASKS
    process: str  # the process (spec) the part belongs to
    key: str  # the sub-workflow's parent task id, or the id of the root the tasks hung from
    content: str


def compact(workflow: DepthSafeWorkflow, prune_at: int = PRUNE_AT) -> list[ArchivedPart]:
    """Move the finished parts of ``workflow`` out of it; return them for the archive.

    Finished sub-workflows always go; tasks once a workflow holds ``prune_at`` finished ones.
    """
    parts = archive_subprocesses(workflow)
    for owner in (workflow, *workflow.subprocesses.values()):
        old_root = str(owner.task_tree.id)
        content = prune_tasks(owner, prune_at)
        if content is not None:
            parts.append(ArchivedPart(TASKS, owner.spec.name, old_root, content))
    return parts


def archive_subprocesses(workflow: DepthSafeWorkflow) -> list[ArchivedPart]:
    """Drop every sub-workflow whose task in the parent has finished (nested ones with it)."""
    parts = []
    for task_id, subprocess in list(workflow.subprocesses.items()):
        parent = _task(workflow, task_id)
        if parent is not None and not parent.has_state(TaskState.FINISHED_MASK):
            continue
        del workflow.subprocesses[task_id]
        parts.append(ArchivedPart(SUBPROCESS, subprocess.spec.name, str(task_id), serialization.dumps(subprocess)))
    return parts


def _task(workflow: DepthSafeWorkflow, task_id: UUID) -> Any:
    """The task with ``task_id`` in the top workflow or a sub-workflow still held, or None."""
    task = workflow.tasks.get(task_id)
    if task is not None:
        return task
    for subprocess in workflow.subprocesses.values():
        task = subprocess.tasks.get(task_id)
        if task is not None:
            return task
    return None


def prune_tasks(workflow: Any, prune_at: int = PRUNE_AT) -> str | None:
    """Remove the finished tasks nothing can come back to; return them as JSON (None: nothing removed).

    Nothing is done while ``workflow`` holds fewer than ``prune_at`` finished tasks.
    """
    if sum(1 for task in workflow.tasks.values() if task.has_state(TaskState.FINISHED_MASK)) < prune_at:
        return None
    anchors = _anchors(workflow)
    needed = _with_ancestors(anchors)
    if not needed:
        return None
    root = _new_root(workflow, needed)
    children_of: dict[UUID, list[UUID]] = {}
    stack = [root]
    while stack:
        task = stack.pop()
        # An unfinished task still decides about its children (a multi-instance task counts its
        # finished instances); below a finished one, only the way to unfinished work matters.
        children = task.children if not task.has_state(TaskState.FINISHED_MASK) else \
            [child for child in task.children if child.id in needed]
        children_of[task.id] = [child.id for child in children]
        stack.extend(children)
    _splice_chains(workflow, root, children_of, {task.id for task in anchors})
    if len(children_of) == len(workflow.tasks):
        return None
    # Serialized before they are cut loose, so that each keeps its data as a delta from its parent.
    pruned = [task for task in workflow.tasks.values() if task.id not in children_of]
    content = serialization.dumps({"root": str(workflow.task_tree.id), "tasks": {str(t.id): t for t in pruned}})
    for task_id, children in children_of.items():
        workflow.tasks[task_id]._children = children
        for child in children:
            workflow.tasks[child]._parent = task_id
    for task in pruned:
        del workflow.tasks[task.id]
    root._parent = None
    workflow.task_tree = root
    return content


def _splice_chains(workflow: Any, root: Any, children_of: dict[UUID, list[UUID]], anchors: set[UUID]) -> None:
    """Cut completed tasks out of the chains that remain (passes of a loop inside a parallel branch).

    A completed task whose parent is finished and which leads to exactly one kept task is skipped
    over: its child hangs from its parent instead, so ancestry is unchanged for what remains. Kept
    in place: anchors, joins and event splits, and the task right before a join (a join decides by
    its parents). Spliced tasks are dropped from ``children_of``.
    """
    tasks = workflow.tasks

    def spliceable(task_id: UUID) -> bool:
        task = tasks[task_id]
        following = children_of[task_id]
        return (task.state == TaskState.COMPLETED and task_id not in anchors and len(following) == 1
                and not isinstance(task.task_spec, Join | BoundaryEventSplit | StartEventSplit)
                and not isinstance(tasks[following[0]].task_spec, Join))

    stack = [root.id]
    while stack:
        task_id = stack.pop()
        if not tasks[task_id].has_state(TaskState.FINISHED_MASK):
            stack.extend(children_of[task_id])
            continue
        kept = []
        for child in children_of[task_id]:
            while spliceable(child):
                child = children_of.pop(child)[0]
            kept.append(child)
        children_of[task_id] = kept
        stack.extend(kept)


def _anchors(workflow: Any) -> list[Any]:
    """Unfinished tasks, the last completed task and the arrivals at a waiting join.

    A parallel or inclusive join remembers which incoming flows have arrived by the tasks it left
    behind (a cancelled join task under each arrived branch) until it fires.
    """
    tasks = workflow.tasks.values()
    waiting_joins = {task.task_spec for task in tasks
                     if isinstance(task.task_spec, Join) and task.state & (TaskState.WAITING | TaskState.READY)}
    anchors = [task for task in tasks
               if not task.has_state(TaskState.FINISHED_MASK) or task.task_spec in waiting_joins]
    if workflow.last_task is not None and workflow.last_task.id in workflow.tasks:
        anchors.append(workflow.last_task)
    return anchors


def _with_ancestors(anchors: list[Any]) -> set[UUID]:
    needed: set[UUID] = set()
    for task in anchors:
        while task is not None and task.id not in needed:
            needed.add(task.id)
            task = task.parent
    return needed


def _new_root(workflow: Any, needed: set[UUID]) -> Any:
    """The deepest task above which everything needed hangs on one path and may safely be cut."""
    root = node = workflow.task_tree
    open_splits: list[str] = []  # event splits on the path whose join has not completed yet
    while node.state == TaskState.COMPLETED:
        spec = node.task_spec
        if isinstance(spec, Join) and open_splits and spec.split_task == open_splits[-1]:
            open_splits.pop()
        if not open_splits and not isinstance(spec, Join):
            root = node
        if isinstance(spec, BoundaryEventSplit | StartEventSplit):
            open_splits.append(spec.name)
        if node is workflow.last_task:
            break
        on_path = [child for child in node.children if child.id in needed]
        if len(on_path) != 1:
            break
        node = on_path[0]
    return root
