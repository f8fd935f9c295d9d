"""What the projections read of a running workflow, in one pass over its task tree: the READY user
tasks, where the instance stands (:class:`Step`), what completed since a moment, and its status."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

from engine.runtime import timers
from engine.runtime.specs import ParsedModel
from engine.runtime.specs import TaskMeta

TIMER_EVENTS = {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}
STALL_MESSAGE = ("流程无法继续：停在「{name}」，没有待办环节、定时器或等待的消息能推动它。"
                 "请管理员检查流程图或实例后重试。")


@dataclass(frozen=True)
class RunError:
    """Where and why the instance stopped: the failing element and the library's message."""

    element: str
    element_name: str
    message: str
    line: int | None = None


@dataclass(frozen=True)
class ReadyTask:
    """A READY manual task with what assignment and forms need."""

    id: str
    meta: TaskMeta
    data: dict[str, Any]
    item: Any = None
    run: str = ""  # the run of its process: the id of the task that called it, '' in the top process


@dataclass(frozen=True)
class Step:
    """One place the instance is at: a user task, a waiting timer or message, or an error."""

    kind: str
    bpmn_id: str
    name: str
    process: str
    task_id: str
    due: datetime | None = None


@dataclass(frozen=True)
class Snapshot:
    status: str
    ready: list[ReadyTask]
    steps: list[Step]
    completed_since: set[tuple[str, str]]  # (process, BPMN id)
    data: dict[str, Any]
    tree_size: int
    timed: bool = False  # a timer event passed since ``since``: what follows it was scheduled
    stalled: RunError | None = None  # unfinished, yet no user task, timer or message can move it on


def all_tasks(workflow: Any) -> Iterator[Any]:
    """Every task of ``workflow`` and of its subprocesses and call activities."""
    yield from workflow.tasks.values()
    for subprocess in workflow.subprocesses.values():
        yield from subprocess.tasks.values()


def describe(model: ParsedModel, task: Any) -> ReadyTask:
    """The READY manual task ``task`` with what assignment and forms need."""
    meta = model.task_meta(task.workflow.spec.name, task.task_spec.name)
    if meta is None:  # a manual task the index does not know: a plain bpmn:task, say
        meta = TaskMeta(task.workflow.spec.name, task.task_spec.name, task.task_spec.bpmn_id or "",
                        task.task_spec.bpmn_name or "", task.task_spec.lane, None, {}, "", None)
    item = task.data.get(meta.element_variable) if meta.element_variable else None
    return ReadyTask(str(task.id), meta, task.data, item, str(task.workflow.parent_task_id or ""))


def take_snapshot(workflow: Any, model: ParsedModel, error: RunError | None, since: float | None) -> Snapshot:
    """Everything the projections need, read in one pass over the task tree.

    ``error``: what stopped the run, if anything; ``since`` (a ``time.time()`` value) selects the
    elements completed after it.
    """
    ready: list[ReadyTask] = []
    steps: list[Step] = []
    completed_since: set[tuple[str, str]] = set()
    timed = False
    failed = False
    unfinished = False
    latest, latest_change = None, -1.0
    top = workflow
    for task in all_tasks(workflow):
        state, spec = task.state, task.task_spec
        if task.workflow is top and state & TaskState.NOT_FINISHED_MASK:
            unfinished = True
        if task.last_state_change > latest_change and task.data:
            latest, latest_change = task, task.last_state_change
        bpmn_id = getattr(spec, "bpmn_id", None)
        if bpmn_id is None:
            continue
        if state == TaskState.COMPLETED:
            if since is not None and task.last_state_change >= since:
                completed_since.add((task.workflow.spec.name, bpmn_id))
                timed = timed or _is_timer(spec)
        elif state == TaskState.READY and spec.manual:
            ready.append(describe(model, task))
            steps.append(Step("user", bpmn_id, spec.bpmn_name or bpmn_id, task.workflow.spec.name, str(task.id)))
        elif state == TaskState.ERROR:
            failed = True
            steps.append(Step("error", bpmn_id, spec.bpmn_name or bpmn_id, task.workflow.spec.name, str(task.id)))
        elif state == TaskState.WAITING and isinstance(spec, CatchingEvent) and not isinstance(spec, BoundaryEvent):
            details = spec.event_definition.details(task)
            kind = "timer" if details.event_type in TIMER_EVENTS else "event"
            steps.append(Step(kind, bpmn_id, spec.bpmn_name or bpmn_id, task.workflow.spec.name, str(task.id),
                              timers.pending_due(details.value)))
    completed = not unfinished and workflow.is_completed()
    status = "error" if error is not None or failed else "completed" if completed else "waiting"
    stalled = _stall(workflow, model) if status == "waiting" and not steps and not workflow.waiting_events() \
        else None
    if stalled is not None:
        status = "error"
    data = top.data if completed and top.data else (latest.data if latest is not None else {})
    size = len(top.tasks) + sum(len(sp.tasks) for sp in top.subprocesses.values())
    return Snapshot(status, ready, steps, completed_since, data, size, timed, stalled)


def _stall(workflow: Any, model: ParsedModel) -> RunError:
    """Why a run that is neither finished nor waiting for anyone or anything stands still: the
    element it stands in (the latest started or waiting one, a multi-instance task or a join)."""
    held = [task for task in all_tasks(workflow) if task.state & (TaskState.STARTED | TaskState.WAITING)
            and getattr(task.task_spec, "bpmn_id", None) and not isinstance(task.task_spec, BoundaryEvent)]
    task = max(held, key=lambda task: task.last_state_change, default=None)
    bpmn_id = task.task_spec.bpmn_id if task is not None else ""
    name = (task.task_spec.bpmn_name or model.element_names.get(bpmn_id) or bpmn_id) if task else "?"
    return RunError(bpmn_id, name, STALL_MESSAGE.format(name=name))


def _is_timer(spec: Any) -> bool:
    return isinstance(spec, CatchingEvent) and isinstance(spec.event_definition, TimerEventDefinition)
