"""Use cases that hand in a user's work on a task: save a draft, complete the task.

Each is one transaction with the files chosen in the form: the files are stored in it, so they are
kept only when the submission is accepted (a refusal of any kind rolls them back with the rest).
Data comes either as JSON (the API, tests) or as the HTML form post, typed here by the task's form,
so that the web layer needs no read of its own before it submits.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from engine import clock
from engine import metrics
from engine.errors import InvalidInput
from engine.errors import InvalidState
from engine.errors import InvalidSubmission
from engine.errors import TaskAlreadyHandled
from engine.persistence import records
from engine.persistence.models import Attachment
from engine.persistence.models import TaskDraft
from engine.persistence.queries import inbox as queries
from engine.runtime.workflow import ProcessRun
from engine.service.access import check_actionable
from engine.service.access import check_visible
from engine.service.access import locked_task
from engine.service.access import stamp
from engine.service.access import visible_task
from engine.service.base import Service
from engine.service.files import ChosenFile
from engine.service.files import store_chosen
from engine.service.idempotency import Keyed
from engine.service.idempotency import keyed
from engine.service.idempotency import once
from engine.service.idempotency import record
from engine.service.runs import Change
from forms import FieldError
from forms import fill_fixed_rows
from forms import needs_options
from forms import validate_submission
from forms import with_options
from forms.coercion import FormPost
from forms.validation import strip_readonly

log = logging.getLogger(__name__)

Answer = dict[str, Any] | FormPost  # what a user hands in for a task: JSON data, or the HTML form post


@dataclass(frozen=True)
class Completion:
    """What completing a task led to: its instance, the next task the same user may act on, and the
    name of the step completed."""

    instance_id: int
    next_task_id: int | None
    step_name: str = ""


def _typed(answer: Answer, form: dict[str, Any] | None) -> dict[str, Any]:
    """The answer as data (a form post typed by ``form``); a copy, so that stored files can be added."""
    return answer.data(form) if isinstance(answer, FormPost) else dict(answer)


def _request(key: str | None, task_id: int, answer: Answer, comment: str | None,
             files: Sequence[ChosenFile]) -> Keyed | None:
    """The idempotency fingerprint of a completion (without files: as it was before files came along)."""
    data = answer.values if isinstance(answer, FormPost) else answer
    chosen = [[[f.field, f.name, sha256(f.content).hexdigest()] for f in files]] if files else []
    return keyed(key, "complete", task_id, data, comment, *chosen)


class CompletionService(Service):
    def save_draft(self, actor: str, task_id: int, data: Answer, files: Sequence[ChosenFile] = ()) -> None:
        """Keep unfinished form data on the task (not validated, not applied to the process), with
        the files chosen (stored, and named in the draft).

        :raises InvalidInput: when the draft is larger than ``max_draft_bytes`` as JSON.
        :raises InvalidSubmission: for a refused file (its field, the file's name); nothing is kept.
        :raises NotFound, NotAllowed, TaskAlreadyHandled, TaskClaimedByOther:
        """
        if not isinstance(data, dict | FormPost):
            raise InvalidSubmission([])
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            task, instance = visible_task(session, user, task_id)
            check_actionable(user, task)
            form = self.runs.model(session, instance.version_id).forms.get(task.form) if task.form else None
            draft = _typed(data, form)
            refused = store_chosen(session, self.settings, task, user.username, files, form, draft)
            if refused:
                raise InvalidSubmission(refused)
            size = len(json.dumps(draft, ensure_ascii=False, default=str).encode("utf-8"))
            if size > self.settings.max_draft_bytes:
                raise InvalidInput("The draft is too large to keep (%(size)s KB; at most %(limit)s KB).",
                                   size=size // 1024, limit=self.settings.max_draft_bytes // 1024)
            kept = session.get(TaskDraft, task.id)
            if kept is None:
                session.add(TaskDraft(human_task_id=task.id, data=draft, saved_by=user.username, saved_at=clock.now()))
            else:
                kept.data, kept.saved_by, kept.saved_at = draft, user.username, clock.now()

    def complete(self, actor: str, task_id: int, data: Answer, comment: str | None = None,
                 next_task: bool = False, idempotency_key: str | None = None,
                 files: Sequence[ChosenFile] = ()) -> Completion:
        """Store the chosen ``files`` into their fields, validate ``data`` against the task's form,
        complete the task and run the process on: one transaction, one load of the workflow.

        Returns the instance and, when ``next_task`` is asked for, the next open task of it the
        actor holds or may claim (None when there is none), found in the same transaction.
        Exactly one of two simultaneous completions succeeds; the other gets
        :class:`TaskAlreadyHandled`. Whatever is raised, nothing changes and no file is stored.

        :raises NotFound, NotAllowed, TaskAlreadyHandled, TaskClaimedByOther:
        :raises InvalidSubmission: with the problems per field (a refused file: on its field, with its name).
        :raises InvalidState: when the instance is suspended or finished.
        :raises Refused: when the diagram refuses the submission.
        :raises IdempotencyKeyReused, RequestInProgress: with ``idempotency_key`` (see
            ``engine.service.idempotency``): the key was used for another request, or is in use.
            A key used for this same request returns that request's completion; nothing is done again.
        """
        if not isinstance(data, dict | FormPost):
            raise InvalidSubmission([])
        request = _request(idempotency_key, task_id, data, comment, files)
        return once(self.db, actor, request,
                    lambda: self._complete(actor, task_id, data, comment, next_task, request, files),
                    lambda outcome: Completion(outcome["instance_id"], outcome["next_task_id"],
                                               outcome.get("step_name", "")))

    def _complete(self, actor: str, task_id: int, answer: Answer, comment: str | None, next_task: bool,
                  request: Keyed | None, files: Sequence[ChosenFile]) -> Completion:
        with self.db.write() as session:
            user = self.actor_in(session, actor)
            task, instance = locked_task(session, task_id)
            check_visible(user, task)
            check_actionable(user, task)
            if instance.status not in ("waiting", "error"):
                raise InvalidState(status=instance.status)
            run = self.runs.load(session, instance)
            form = run.model.forms.get(task.form) if task.form else None
            data = _typed(answer, form)
            refused = store_chosen(session, self.settings, task, user.username, files, form, data)
            data = _validated(session, run, task, form, data, refused)
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
            record(session, user.username, request, {"instance_id": instance.id, "next_task_id": following,
                                                     "step_name": task.name})
        metrics.COMPLETIONS.inc()  # committed
        return Completion(instance.id, following, task.name)


def _validated(session: Session, run: ProcessRun, task: records.TaskRecord, form: dict[str, Any] | None,
               data: dict[str, Any], refused: list[FieldError]) -> dict[str, Any]:
    """``data`` checked against the task's ``form`` (choices resolved from the process data).

    :raises InvalidSubmission: with the problems per field, ``refused`` files first.
    """
    if form is None:
        if data or refused:
            raise InvalidSubmission(refused)
        return data
    if needs_options(form):
        form = with_options(form, lambda expression: run.evaluate(task.task_guid, expression))
        data = fill_fixed_rows(form, data)
    errors = refused + (validate_submission(form, data) or _foreign_attachments(session, form, data, task.instance_id))
    if errors:
        raise InvalidSubmission(errors)
    return strip_readonly(form, data)


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
