"""The progress diagram of a project: its BPMN with every step marked done, active, late or failed.

Read from projections only (the instance row's open steps, its task rows and milestones) and from
the parsed model of its version: drawing the diagram never loads the workflow state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine import clock
from engine.errors import NotFound
from engine.persistence.models import HumanTask
from engine.persistence.models import Milestone
from engine.runtime.specs import ParsedModel
from engine.service.base import Service
from engine.service.instances import visible_instance

# The order in which one mark outranks another when an element holds several steps.
STATES = ("done", "active", "late", "error")


@dataclass(frozen=True)
class StepMark:
    """How one element of the diagram stands: ``state`` is one of STATES; ``since`` and ``due`` are
    those of its longest-waiting open step, when it has one."""

    state: str
    since: datetime | None = None
    due: datetime | None = None


@dataclass(frozen=True)
class ProgressDiagram:
    """One process of a project's version, as bpmn-js draws it, with the marks of its elements."""

    instance_id: int
    process_id: str  # the process drawn: the project's own, or one it calls
    top_process: str
    xml: str
    marks: dict[str, StepMark]
    calls: dict[str, str]  # BPMN id of a call activity or sub-process -> the process it runs
    names: dict[str, str]  # process id -> display name, for the trail back up


@dataclass(frozen=True)
class _Step:
    process: str
    bpmn_id: str
    state: str
    since: datetime | None
    due: datetime | None


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.now().tzinfo)


def merge(marks: dict[str, StepMark], bpmn_id: str, step: _Step) -> None:
    """Mark ``bpmn_id`` with ``step`` unless it already holds a stronger mark; among open steps, the
    one waiting longest gives the time."""
    current = marks.get(bpmn_id)
    if current is None or STATES.index(step.state) > STATES.index(current.state):
        since = step.since
        if current is not None and current.since is not None and (since is None or current.since < since):
            since = current.since
        marks[bpmn_id] = StepMark(step.state, since, step.due)
    elif current.since is not None and step.since is not None and step.since < current.since:
        marks[bpmn_id] = StepMark(current.state, step.since, current.due)


def mark_elements(model: ParsedModel, process: str, steps: list[_Step]) -> dict[str, StepMark]:
    """The marks of the elements of ``process``: a step's own element, and every call activity or
    sub-process of ``process`` that runs the step's process, directly or further down."""
    reaches = {element: model.within(called) for element, called in model.calls.get(process, {}).items()}
    marks: dict[str, StepMark] = {}
    for step in steps:
        if step.process == process:
            merge(marks, step.bpmn_id, step)
        for element, processes in reaches.items():
            if step.process in processes:
                merge(marks, element, step)
    return marks


class ProgressDiagramService(Service):
    def progress_diagram(self, actor: str, instance_id: int, process: str | None = None) -> ProgressDiagram:
        """The diagram of ``process`` (default: the project's own) in the version ``instance_id`` runs,
        with its elements marked: done (a step completed or a milestone reached there), active (a
        step open), late (an open step past its due date) or error (the step that failed).

        :raises NotFound: when the instance does not exist or its version has no such process.
        :raises NotAllowed: for those who may not read the ledger or this project.
        """
        with self.db.read() as session:
            viewer = self.actor_in(session, actor)
            instance = visible_instance(session, viewer, instance_id)
            model = self.runs.model(session, instance.version_id)
            process = process or model.process_id
            if process not in model.sources:
                raise NotFound(what="Process", key=process)
            now = clock.now()
            steps = [_Step(p, bpmn_id, "done" if status == "completed" else "late" if due and due < now else "active",
                           None if status == "completed" else since, due)
                     for p, bpmn_id, status, since, due in session.execute(
                         select(HumanTask.process, HumanTask.bpmn_id, HumanTask.status, HumanTask.created_at,
                                HumanTask.due_at)
                         .where(HumanTask.instance_id == instance_id, HumanTask.status.in_(("completed", "open"))))]
            by_id = {bpmn_id: p for p, bpmn_id in model.milestones}
            steps += [_Step(by_id[bpmn_id], bpmn_id, "done", None, None) for bpmn_id in session.scalars(
                select(Milestone.bpmn_id).where(Milestone.instance_id == instance_id)) if bpmn_id in by_id]
            for step in instance.current_steps or []:  # the user steps are the open task rows above
                if step.get("kind") != "user":
                    steps.append(_Step(step.get("process") or model.process_id, step.get("id") or "",
                                       "error" if step.get("kind") == "error" else "active",
                                       _parse_time(step.get("since")), _parse_time(step.get("due"))))
            if instance.status == "error" and instance.error_element:
                owner = model.process_of(instance.error_element) or model.process_id
                steps.append(_Step(owner, instance.error_element, "error", None, None))
            names = {p: (self.runs.process_names(session).get(p) or p) for p in model.sources}
            names[model.process_id] = model.name
            return ProgressDiagram(instance_id, process, model.process_id, model.sources[process],
                                    mark_elements(model, process, steps), dict(model.calls.get(process, {})), names)
