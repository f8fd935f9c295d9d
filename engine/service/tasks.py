"""Use cases on user tasks: the inbox, one task, claim and unclaim, save a draft, complete."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine import metrics
from engine.errors import InvalidInput
from engine.errors import InvalidState
from engine.errors import InvalidSubmission
from engine.errors import NotAllowed
from engine.errors import NotFound
from engine.errors import TaskAlreadyHandled
from engine.persistence import records
from engine.persistence.models import Attachment
from engine.persistence.models import Comment
from engine.persistence.models import ExtensionRequest
from engine.persistence.models import HumanTask
from engine.persistence.models import InstanceEvent
from engine.persistence.models import Notification
from engine.persistence.models import TaskDraft
from engine.persistence.queries import inbox as queries
from engine.runtime.sandbox import evaluate_expression
from engine.runtime.workflow import ProcessRun
from engine.service.access import check_actionable
from engine.service.access import check_visible
from engine.service.access import reassign_candidates
from engine.service.access import stamp
from engine.service.access import visible_task
from engine.service.actors import require_role
from engine.service.base import Service
from engine.service.idempotency import Keyed
from engine.service.idempotency import keyed
from engine.service.idempotency import once
from engine.service.idempotency import record
from engine.service.instances import REPAIRERS
from engine.service.instances import may_see_instance
from engine.service.instances import may_withdraw
from engine.service.instances import required_reason
from engine.service.runs import Change
from engine.service.runs import RunStore
from forms import FieldError
from forms import fill_fixed_rows
from forms import needs_options
from forms import readable
from forms import validate_submission
from forms import with_options
from forms.fields import describe
from forms.validation import strip_readonly

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
class Completion:
    """What completing a task led to: its instance, and the next task the same user may act on."""

    instance_id: int
    next_task_id: int | None


@dataclass(frozen=True)
class TaskDetail:
    row: TaskRow
    process_name: str
    documentation: str
    form: dict | None
    values: dict[str, Any]
    draft: dict | None
    may_act: bool
    may_claim: bool
    history: list[Submission]
    instance_status: str
    comments: list[tuple[str, str, datetime]]
    attachments: list[dict]
    extension: dict | None
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
            return TaskPage(tab, [TaskRow(*row, process_name=names.get(row.process_id, "")) for row in rows],
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

    @staticmethod
    def _locked(session: Session, task_id: int) -> tuple[records.TaskRecord, records.InstanceRecord]:
        """A task and its instance, both rows locked. :raises NotFound:"""
        found = records.lock_task(session, task_id)
        if found is None:
            raise NotFound(what="Task", key=task_id)
        return found

    def claim(self, actor: str, task_id: int, idempotency_key: str | None = None) -> None:
        """Take a group task for yourself; with ``idempotency_key``, once (see ``engine.service.idempotency``).

        :raises NotFound, NotAllowed, TaskAlreadyHandled, TaskClaimedByOther:
        :raises IdempotencyKeyReused, RequestInProgress: for a key used otherwise, or in use.
        """
        request = keyed(idempotency_key, "claim", task_id)
        once(self.db, actor, request, lambda: self._claim(actor, task_id, request), lambda _outcome: None)

    def _claim(self, actor: str, task_id: int, request: Keyed | None) -> None:
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            task, instance = self._locked(session, task_id)
            check_visible(user, task)
            check_actionable(user, task)
            if task.assignee:
                raise InvalidState("This task is assigned to %(user)s and cannot be claimed.", user=task.assignee)
            records.update_task(session, task.id, {"claimed_by": user.username, "claimed_at": clock.now(),
                                                   "holder": user.username})
            change = Change(user.username)
            change.add("claimed", task=task)
            change.write(session, instance.id)
            record(session, user.username, request, None)

    def unclaim(self, actor: str, task_id: int, idempotency_key: str | None = None) -> None:
        """Give a claimed task back to the group; with ``idempotency_key``, once.

        :raises NotAllowed: unless you hold it.
        :raises IdempotencyKeyReused, RequestInProgress: for a key used otherwise, or in use.
        """
        request = keyed(idempotency_key, "unclaim", task_id)
        once(self.db, actor, request, lambda: self._unclaim(actor, task_id, request), lambda _outcome: None)

    def _unclaim(self, actor: str, task_id: int, request: Keyed | None) -> None:
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            task, instance = self._locked(session, task_id)
            check_visible(user, task)
            if task.status != "open":
                raise TaskAlreadyHandled(by=task.completed_by or "系统", at=stamp(task.completed_at))
            if task.claimed_by != user.username:
                raise NotAllowed("Only the user who claimed this task can release it.")
            holder = task.assignee or self.runs.sole_holder(session, task.role, task.scope_path)
            records.update_task(session, task.id, {"claimed_by": None, "claimed_at": None, "holder": holder})
            change = Change(user.username)
            change.add("unclaimed", task=task)
            change.write(session, instance.id)
            record(session, user.username, request, None)

    def reassign(self, actor: str, task_id: int, to: str, reason: str | None) -> None:
        """Hand an open task to ``to`` (who must hold the task's role), with the reason: it becomes
        theirs alone, is audited on the project's timeline, and they get a notice.

        :raises InvalidInput: without a reason, or for a user who may not take the task.
        :raises NotAllowed: unless the actor is city_org or an administrator.
        :raises NotFound, TaskAlreadyHandled:
        """
        reason = required_reason(reason)
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            require_role(user, *REPAIRERS)
            task, instance = self._locked(session, task_id)
            if task.status != "open":
                raise TaskAlreadyHandled(by=task.completed_by or "系统", at=stamp(task.completed_at))
            if to not in reassign_candidates(session, task):
                raise InvalidInput("The user %(user)s may not take this task: they do not hold its role.", user=to)
            if to == task.holder:
                raise InvalidInput("The user %(user)s already holds this task.", user=to)
            records.update_task(session, task.id, {"assignee": to, "claimed_by": None, "claimed_at": None,
                                                   "holder": to})
            session.add(Notification(username=to, kind="reassigned", instance_id=instance.id, human_task_id=task.id,
                                     message=reason, sender=user.username, created_at=clock.now()))
            change = Change(user.username)
            change.add("reassigned", task=task, reason=reason, data={"from": task.holder, "to": to})
            change.write(session, instance.id)

    def save_draft(self, actor: str, task_id: int, data: dict[str, Any]) -> None:
        """Keep unfinished form data on the task (not validated, not applied to the process).

        :raises InvalidInput: when the draft is larger than ``max_draft_bytes`` as JSON.
        """
        if not isinstance(data, dict):
            raise InvalidSubmission([])
        size = len(json.dumps(data, ensure_ascii=False, default=str).encode("utf-8"))
        if size > self.settings.max_draft_bytes:
            raise InvalidInput("The draft is too large to keep (%(size)s KB; at most %(limit)s KB).",
                               size=size // 1024, limit=self.settings.max_draft_bytes // 1024)
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            task, _instance = visible_task(session, user, task_id)
            check_actionable(user, task)
            draft = session.get(TaskDraft, task.id)
            if draft is None:
                session.add(TaskDraft(human_task_id=task.id, data=data, saved_by=user.username, saved_at=clock.now()))
            else:
                draft.data, draft.saved_by, draft.saved_at = data, user.username, clock.now()

    @staticmethod
    def _validated(session: Session, run: ProcessRun, task: records.TaskRecord, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` checked against the task's form (choices resolved from the process data).

        :raises InvalidSubmission: with the problems per field.
        """
        form = run.model.forms.get(task.form) if task.form else None
        if form is None:
            if data:
                raise InvalidSubmission([])
            return data
        if needs_options(form):
            form = with_options(form, lambda expression: run.evaluate(task.task_guid, expression))
            data = fill_fixed_rows(form, data)
        errors = validate_submission(form, data) or _foreign_attachments(session, form, data, task.instance_id)
        if errors:
            raise InvalidSubmission(errors)
        return strip_readonly(form, data)

    def complete(self, actor: str, task_id: int, data: dict[str, Any], comment: str | None = None,
                 next_task: bool = False, idempotency_key: str | None = None) -> Completion:
        """Validate ``data`` against the task's form, complete the task and run the process on.

        Returns the instance and, when ``next_task`` is asked for, the next open task of it the
        actor holds or may claim (None when there is none), found in the same transaction.
        Exactly one of two simultaneous completions succeeds; the other gets
        :class:`TaskAlreadyHandled`.

        :raises NotFound, NotAllowed, TaskAlreadyHandled, TaskClaimedByOther:
        :raises InvalidSubmission: with the problems per field; nothing changes.
        :raises InvalidState: when the instance is suspended or finished.
        :raises Refused: when the diagram refuses the submission; nothing changes.
        :raises IdempotencyKeyReused, RequestInProgress: with ``idempotency_key`` (see
            ``engine.service.idempotency``): the key was used for another request, or is in use.
            A key used for this same request returns that request's completion; nothing is done again.
        """
        if not isinstance(data, dict):
            raise InvalidSubmission([])
        request = keyed(idempotency_key, "complete", task_id, data, comment)
        return once(self.db, actor, request,
                    lambda: self._complete(actor, task_id, data, comment, next_task, request),
                    lambda outcome: Completion(outcome["instance_id"], outcome["next_task_id"]))

    def _complete(self, actor: str, task_id: int, data: dict[str, Any], comment: str | None, next_task: bool,
                  request: Keyed | None) -> Completion:
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            task, instance = self._locked(session, task_id)
            check_visible(user, task)
            check_actionable(user, task)
            if instance.status not in ("waiting", "error"):
                raise InvalidState(status=instance.status)
            run = self.runs.load(session, instance)
            data = self._validated(session, run, task, data)
            since = time.time()
            try:
                run.complete(task.task_guid, data)
            except LookupError:
                raise TaskAlreadyHandled(by="系统", at=stamp(clock.now())) from None
            now = clock.now()
            values = {"status": "completed", "completed_at": now, "completed_by": user.username,
                      "claimed_by": task.claimed_by or user.username, "holder": task.claimed_by or user.username}
            if task.due_at is not None and now > task.due_at:
                values["ever_overdue"] = True
            change = Change(user.username)
            change.update_task(task.id, values)
            change.add("task_completed", task=task, data=data, reason=comment)
            if task.has_draft:
                session.execute(delete(TaskDraft).where(TaskDraft.human_task_id == task.id))
            self.runs.save(session, instance, run, change, since=since, handled=task.task_guid)
            log.info("task %s (%s) of instance %s completed by %s", task.id, task.bpmn_id, instance.id, user.username)
            following = queries.first_actionable_task(session, user.viewer, instance.id) if next_task else None
            record(session, user.username, request, {"instance_id": instance.id, "next_task_id": following})
        metrics.COMPLETIONS.inc()  # committed
        return Completion(instance.id, following)


def _foreign_attachments(session: Session, form: dict[str, Any], data: dict[str, Any],
                         instance_id: int) -> list[FieldError]:
    """File fields may only name files uploaded for this instance, with their true digest."""
    errors = []
    for key, field in form.get("properties", {}).items():
        if field.get("x-widget") != "files":
            continue
        for index, ref in enumerate(data.get(key) or []):
            row = session.get(Attachment, ref.get("id"))
            if row is None or row.instance_id != instance_id or row.sha256 != ref.get("sha256"):
                errors.append(FieldError(f"{key}.{index}", "attachment",
                                         "This attachment was not uploaded for this project."))
    return errors


def _form_of(model: Any, bpmn_id: str | None) -> dict | None:
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
    labelled: dict[str, dict | None] = {}
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


def _draft(session: Session, task: HumanTask, may_act: bool) -> dict | None:
    """The saved draft of an open task, for whoever may fill it in (not for others looking on: a
    supervisor or 市委组织部 reading an expert's step does not read the expert's unsent scores)."""
    if task.status != "open" or not may_act:
        return None
    return session.scalar(select(TaskDraft.data).where(TaskDraft.human_task_id == task.id))


def _comments(session: Session, instance_id: int) -> list[tuple[str, str, datetime]]:
    rows = session.execute(select(Comment.author, Comment.body, Comment.created_at)
                           .where(Comment.instance_id == instance_id).order_by(Comment.created_at, Comment.id))
    return [tuple(row) for row in rows]


def _attachments(session: Session, instance_id: int, task: HumanTask, username: str) -> list[dict]:
    """The project's files; the viewer may delete their own of this step while it is open."""
    rows = session.scalars(select(Attachment).where(Attachment.instance_id == instance_id)
                           .order_by(Attachment.uploaded_at, Attachment.id))
    open_step = task.status == "open"
    return [{"id": a.id, "name": a.name, "size": a.size, "uploaded_by": a.uploaded_by, "uploaded_at": a.uploaded_at,
             "deletable": open_step and a.uploaded_by == username and a.human_task_id == task.id}
            for a in rows]


def _pending_extension(session: Session, task_id: int) -> dict | None:
    row = session.scalars(select(ExtensionRequest).where(ExtensionRequest.human_task_id == task_id)
                          .order_by(ExtensionRequest.requested_at.desc()).limit(1)).first()
    if row is None:
        return None
    return {"status": row.status, "requested_due": row.requested_due, "reason": row.reason,
            "decision_note": row.decision_note}
