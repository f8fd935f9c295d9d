"""Reading user tasks: the inbox, one task's page (its form, values, earlier steps, files), and the
earlier submissions as each reader may see them. Claims are in ``claims``, drafts and completion in
``completion``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.persistence.models import Attachment
from engine.persistence.models import Comment
from engine.persistence.models import ExtensionRequest
from engine.persistence.models import HumanTask
from engine.persistence.models import InstanceEvent
from engine.persistence.models import TaskDraft
from engine.persistence.queries import inbox as queries
from engine.runtime.sandbox import evaluate_expression
from engine.service.access import visible_task
from engine.service.base import Service
from engine.service.instances import may_see_instance
from engine.service.instances import may_withdraw
from engine.service.runs import RunStore
from forms import fill_fixed_rows
from forms import needs_options
from forms import readable
from forms import with_options
from forms.fields import describe

log = logging.getLogger(__name__)

TABS = ("mine", "claimable", "done")
PAGE_SIZE = 20


@dataclass(frozen=True)
class TaskRow:
    id: int
    name: str
    bpmn_id: str
    instance_id: int
    process_id: str
    title: str
    unit_code: str | None
    role: str | None
    assignee: str | None
    claimed_by: str | None
    status: str
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    ever_overdue: bool
    return_note: str | None = None  # not None: a reviewer returned the step (their reason, or '')
    process_name: str = ""  # what people call the process (shown when a project has no title yet)


@dataclass(frozen=True)
class TaskPage:
    tab: str
    rows: list[TaskRow]
    total: int
    page: int
    page_size: int
    counts: dict[str, int]


@dataclass(frozen=True)
class Submission:
    """An earlier completed step of the same instance, with what was submitted."""

    step_name: str | None
    actor: str
    at: datetime
    data: Any
    shown: list[tuple[str, Any]]  # (field label, value as shown), from the step's form
    bpmn_id: str | None = None


@dataclass(frozen=True)
class TaskDetail:
    row: TaskRow
    process_name: str
    documentation: str
    form: dict[str, Any] | None
    values: dict[str, Any]
    draft: dict[str, Any] | None
    may_act: bool
    may_claim: bool
    history: list[Submission]
    instance_status: str
    comments: list[tuple[str, str, datetime]]
    attachments: list[dict[str, Any]]
    extension: dict[str, Any] | None
    may_withdraw: bool = False  # the one who started the project may still take it back
    may_view_project: bool = False  # the project's pages open for this reader (a collaborator's may not)


def _row(task: HumanTask, process_id: str, title: str, unit_code: str | None) -> TaskRow:
    return TaskRow(task.id, task.name, task.bpmn_id, task.instance_id, process_id, title, unit_code, task.role,
                   task.assignee, task.claimed_by, task.status, task.created_at, task.due_at, task.completed_at,
                   task.completed_by, task.ever_overdue, task.return_note)


class TaskService(Service):
    def inbox(self, actor: str, tab: str = "mine", search: str = "", page: int = 1,
              page_size: int = PAGE_SIZE, sort: str = "due") -> TaskPage:
        """One page of the actor's tasks in ``tab`` with counts for every tab.

        ``search`` matches the project title or the step name; ``sort`` is 'due' or 'created'.
        """
        tab = tab if tab in TABS else "mine"
        page = max(1, int(page))
        with self.db.read() as session:
            viewer = self.actor_in(session, actor).viewer
            search = search.strip()
            counts = {name: queries.inbox_count(session, viewer, name, search) for name in TABS}
            order = "completed" if tab == "done" else "created" if sort == "created" else "due"
            rows = queries.inbox_page(session, viewer, tab, order, search, page_size, (page - 1) * page_size)
            names = self.runs.process_names(session)
            return TaskPage(tab, [TaskRow(**row._mapping, process_name=names.get(row.process_id, "")) for row in rows],
                            counts[tab], page, page_size, counts)

    def task(self, actor: str, task_id: int) -> TaskDetail:
        """One task with its form, instructions, prefilled values and the earlier steps' data.

        :raises NotFound, NotAllowed:
        """
        with self.db.read() as session:
            user = self.actor_in(session, actor)
            task, instance = visible_task(session, user, task_id)
            model = self.runs.model(session, instance.version_id)
            meta = model.meta_for(task.process, task.bpmn_id)
            form = model.forms.get(task.form) if task.form else None
            values: dict[str, Any] = {}
            events = list(session.scalars(select(InstanceEvent).where(
                InstanceEvent.instance_id == instance.id, InstanceEvent.kind == "task_completed")
                .order_by(InstanceEvent.at, InstanceEvent.id)))
            if task.status == "open" and form is not None:
                run = self.runs.load(session, instance)
                ready = run.ready_task(task.task_guid)
                if ready is not None:
                    form = with_options(form, lambda expression: run.evaluate(task.task_guid, expression))
                    per_person = bool(meta and meta.element_variable)
                    values = step_values(form, ready.data, task.bpmn_id, events, user.username if per_person else None,
                                         returned=task.return_note is not None)
            history = submissions(model, events, user.roles, user.username,
                                  choices_of(session, instance, self.runs))
            may_act = task.status == "open" and (user.may_act_on(task) or task.claimed_by == user.username) \
                and task.claimed_by in (None, user.username)
            may_claim = may_act and task.holder is None
            process_name = self.runs.version_info(session, instance.version_id)[1]
            row = _row(task, instance.process_id, instance.title, instance.unit_code)
            return TaskDetail(row, process_name, meta.documentation if meta else "",
                              form, values, _draft(session, task, may_act),
                              may_act, may_claim, history, instance.status, _comments(session, instance.id),
                              _attachments(session, instance.id, task, user.username),
                              _pending_extension(session, task.id), may_withdraw(model, instance, user.username),
                              may_see_instance(session, user, instance))

    def my_task_in(self, actor: str, instance_id: int) -> int | None:
        """The id of an open task of ``instance_id`` the actor may act on (the first one), or None."""
        with self.db.read() as session:
            return queries.first_actionable_task(session, self.actor_in(session, actor).viewer, instance_id)


def _form_of(model: Any, bpmn_id: str | None) -> dict[str, Any] | None:
    meta = next((m for m in model.tasks.values() if m.bpmn_id == bpmn_id), None)
    return model.forms.get(meta.form) if meta and meta.form else None


def choices_of(session: Session, instance: Any, runs: RunStore) -> Callable[[str], Any]:
    """Evaluates a form's ``x-enum-from`` expression against the reference data and the project
    (its year and unit) without loading its workflow, so that stored codes (catalogue, sector,
    brand) are shown with their names. Each expression is evaluated once.

    :raises SandboxViolation: (from the returned function) for an expression that needs the workflow.
    """
    helpers = runs.functions(session, instance.id)
    context = runs.domain.process_data(year=instance.year, unit_code=instance.unit_code)
    cpu_seconds = runs.settings.script_cpu_seconds
    found: dict[str, Any] = {}

    def resolve(expression: str) -> Any:
        if expression not in found:
            found[expression] = evaluate_expression(expression, context, helpers, cpu_seconds)
        return found[expression]
    return resolve


def submissions(model: Any, events: list[InstanceEvent], roles: frozenset[str], username: str,
                choices: Callable[[str], Any] | None = None) -> list[Submission]:
    """The earlier steps as ``username`` may read them: fields their form marks ``x-visible-to``
    other roles are left out, and a step with nothing left to read is not listed at all (an
    applicant does not see that each expert scored, let alone the scores). ``choices`` (see
    :func:`choices_of`) names the values of computed-choice fields."""
    shown = []
    labelled: dict[str, dict[str, Any] | None] = {}
    for event in events:
        form = _form_of(model, event.bpmn_id)
        if form is not None and choices is not None and needs_options(form):
            key = event.bpmn_id or ""
            if key not in labelled:
                labelled[key] = with_options(form, choices)
            form = labelled[key]
        data = readable(form, event.data, roles, own=event.actor == username)
        if isinstance(event.data, dict) and event.data and not data:
            continue
        view = describe(form, data) if form is not None and isinstance(data, dict) else \
            list(data.items()) if isinstance(data, dict) else []
        shown.append(Submission(event.step_name, event.actor, event.at, data, view, event.bpmn_id))
    return shown


def step_values(form: dict[str, Any], data: dict[str, Any], bpmn_id: str, events: list[InstanceEvent],
                only_by: str | None, returned: bool = True) -> dict[str, Any]:
    """What a step's form shows before anyone types: its own values only.

    Editable fields come from this step's own earlier submission when it was ``returned`` (a step
    sent back comes back filled in), never from another step that used the same field name, nor
    from an earlier run of the step (the next quarter's report, the next stage's score sheet start
    clean); for a step done by each panel member (``only_by``), only that member's. Read-only
    fields show what the process computed for the step (an average score, say).
    """
    fields = form.get("properties", {})
    earlier = next((e.data for e in reversed(events) if e.bpmn_id == bpmn_id and isinstance(e.data, dict)
                    and (only_by is None or e.actor == only_by)), {}) if returned else {}
    values = {key: value for key, value in earlier.items() if key in fields and not fields[key].get("readOnly")}
    values.update({key: data[key] for key, field in fields.items() if field.get("readOnly") and key in data})
    # A table whose rows the process gives (a score sheet): its rows now, with what was typed in them.
    return fill_fixed_rows(form, values)


def _draft(session: Session, task: HumanTask, may_act: bool) -> dict[str, Any] | None:
    """The saved draft of an open task, for whoever may fill it in (not for others looking on: a
    supervisor or 市委组织部 reading an expert's step does not read the expert's unsent scores)."""
    if task.status != "open" or not may_act:
        return None
    return session.scalar(select(TaskDraft.data).where(TaskDraft.human_task_id == task.id))


def _comments(session: Session, instance_id: int) -> list[tuple[str, str, datetime]]:
    rows = session.execute(select(Comment.author, Comment.body, Comment.created_at)
                           .where(Comment.instance_id == instance_id).order_by(Comment.created_at, Comment.id))
    return [(author, body, at) for author, body, at in rows]


def _attachments(session: Session, instance_id: int, task: HumanTask, username: str) -> list[dict[str, Any]]:
    """The project's files; the viewer may delete their own of this step while it is open."""
    rows = session.scalars(select(Attachment).where(Attachment.instance_id == instance_id)
                           .order_by(Attachment.uploaded_at, Attachment.id))
    open_step = task.status == "open"
    return [{"id": a.id, "name": a.name, "size": a.size, "uploaded_by": a.uploaded_by, "uploaded_at": a.uploaded_at,
             "deletable": open_step and a.uploaded_by == username and a.human_task_id == task.id}
            for a in rows]


def _pending_extension(session: Session, task_id: int) -> dict[str, Any] | None:
    row = session.scalars(select(ExtensionRequest).where(ExtensionRequest.human_task_id == task_id)
                          .order_by(ExtensionRequest.requested_at.desc()).limit(1)).first()
    if row is None:
        return None
    return {"status": row.status, "requested_due": row.requested_due, "reason": row.reason,
            "decision_note": row.decision_note}
