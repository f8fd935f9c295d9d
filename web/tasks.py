"""One task: its page, and every action on it (submit, save draft, claim, comment, extension, files).

Submitting follows Post/Redirect/Get and works without JavaScript. Submitting or saving a draft is
one engine call with the form post and the chosen files, which are kept only when it is accepted.
When it is not, the page comes back with the messages next to the fields, everything typed kept and
the names of the files to choose again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import quote

from flask import Blueprint
from flask import Response
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine import EngineError
from engine.errors import InvalidSubmission
from engine.service import ChosenFile
from engine.service import TaskDetail
from forms import FieldError
from forms.coercion import FormPost
from forms.fields import build_fields
from forms.fields import form_errors
from web.auth import login_required
from web.errors import message_of
from web.errors import status_of
from web.input_guard import safe_next
from web.names import names
from web.services import engine

bp = Blueprint("tasks", __name__)
UPLOAD_SUFFIX = "__upload"


def render_task(detail: TaskDetail, values: dict[str, Any] | None = None, errors: list[FieldError] | None = None,
                status: int = 200) -> tuple[str, int]:
    errors = errors or []
    form = detail.form or {"type": "object", "properties": {}}
    shown = values if values is not None else (detail.draft or detail.values)
    fields = build_fields(form, shown, errors)
    return render_template("tasks/task.html", detail=detail, fields=fields, form=form,
                           top_errors=form_errors(errors, fields), error_count=len(errors),
                           upload_suffix=UPLOAD_SUFFIX, names=names()), status


@bp.get("/tasks/<int:task_id>")
@login_required
def show(task_id: int) -> tuple[str, int]:
    return render_task(engine().task(g.actor.username, task_id))


def _posted() -> FormPost:
    """The form post as it came; the engine types it by the task's form."""
    return FormPost({name: request.form.getlist(name) for name in request.form})


def _chosen_files() -> list[ChosenFile]:
    """The files chosen in the form's file fields (``<field>__upload``), in the order chosen."""
    return [ChosenFile(name[:-len(UPLOAD_SUFFIX)], upload.filename, upload.read())
            for name in request.files if name.endswith(UPLOAD_SUFFIX)
            for upload in request.files.getlist(name) if upload and upload.filename]


@bp.post("/tasks/<int:task_id>")
@login_required
def act(task_id: int) -> ResponseReturnValue:
    action = request.form.get("action", "submit")
    handler = ACTIONS.get(action)
    if handler is None:
        flash(_("Unknown action."), "error")
        return redirect(url_for("tasks.show", task_id=task_id))
    return handler(task_id)


def submit(task_id: int) -> ResponseReturnValue:
    """Complete the task with the form and its files: one engine call; on a refusal the page
    comes back with everything typed and the names of the files to choose again."""
    files = _chosen_files()
    try:
        done = engine().complete(g.actor.username, task_id, _posted(), comment=request.form.get("comment") or None,
                                 files=files)
    except InvalidSubmission as invalid:
        return _refused(task_id, files, _("Please correct the marked fields."), invalid.errors, 422)
    except EngineError as error:  # already done, claimed by another, not allowed, refused by the diagram
        return _refused(task_id, files, message_of(error), [], status_of(error))
    flash(_("Submitted: %(step)s.", step=done.step_name), "success")
    return redirect(url_for("inbox.index"))


def save(task_id: int) -> ResponseReturnValue:
    """Keep the form and its files as a draft: one engine call."""
    files = _chosen_files()
    try:
        engine().save_draft(g.actor.username, task_id, _posted(), files=files)
    except InvalidSubmission as invalid:  # a file refused
        return _refused(task_id, files, _("Please correct the marked fields."), invalid.errors, 422)
    except EngineError as error:  # too large, no longer yours: the page comes back with everything typed
        return _refused(task_id, files, message_of(error), [], status_of(error))
    flash(_("Draft saved. It has not been submitted yet."), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


def _refused(task_id: int, files: list[ChosenFile], message: str, errors: list[FieldError],
             status: int) -> tuple[str, int]:
    """The task's page again with what was posted, the message, and the files that were not kept.

    :raises EngineError: when the task may not be read either (the error page answers).
    """
    detail = engine().task(g.actor.username, task_id)
    flash(message, "error")
    names = "、".join(chosen.name for chosen in files)
    if files and detail.row.status == "open":
        flash(_("These files were not kept: %(names)s. Choose them again before you submit.", names=names), "error")
    elif files:  # the step was handled meanwhile: nothing is left to submit them with
        flash(_("These files were not kept: %(names)s, since this step has already been handled.", names=names),
              "error")
    return render_task(detail, _posted().data(detail.form or {"type": "object", "properties": {}}), errors, status)


def claim(task_id: int) -> ResponseReturnValue:
    engine().claim(g.actor.username, task_id)
    flash(_("You have claimed this task; only you can handle it now."), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


def unclaim(task_id: int) -> ResponseReturnValue:
    engine().unclaim(g.actor.username, task_id)
    flash(_("The task is back with your colleagues."), "success")
    return redirect(url_for("inbox.index"))


def comment(task_id: int) -> ResponseReturnValue:
    try:
        engine().comment(g.actor.username, task_id, request.form.get("body", ""))
    except EngineError as error:
        flash(message_of(error), "error")
    else:
        flash(_("Comment added."), "success")
    return redirect(url_for("tasks.show", task_id=task_id) + "#comments")


def extension(task_id: int) -> ResponseReturnValue:
    try:
        new_due = date.fromisoformat(request.form.get("new_due", ""))
    except ValueError:
        flash(_("Enter the new due date as a date."), "error")
        return redirect(url_for("tasks.show", task_id=task_id) + "#extension")
    try:
        engine().request_extension(g.actor.username, task_id, new_due, request.form.get("reason", ""))
    except EngineError as error:
        flash(message_of(error), "error")
    else:
        flash(_("Your extension request has been sent to the city organisation department."), "success")
    return redirect(url_for("tasks.show", task_id=task_id) + "#extension")


def remind(task_id: int) -> ResponseReturnValue:
    try:
        count = engine().send_reminder(g.actor.username, task_id, request.form.get("message", ""))
    except EngineError as error:
        flash(message_of(error), "error")
    else:
        flash(_("Reminder sent to %(count)s person(s).", count=count), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


ACTIONS: dict[str, Callable[[int], ResponseReturnValue]] = {
    "submit": submit,
    "save": save,
    "claim": claim,
    "unclaim": unclaim,
    "comment": comment,
    "extension": extension,
    "remind": remind,
}


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> Response:
    info, data = engine().download(g.actor.username, attachment_id)
    response = Response(data, mimetype=info.content_type.split(";")[0])
    response.headers["Content-Disposition"] = "attachment; filename*=UTF-8''" + _quote(info.name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/instances/<int:instance_id>/withdraw")
@login_required
def withdraw(instance_id: int) -> ResponseReturnValue:
    engine().withdraw(g.actor.username, instance_id)
    flash(_("The application has been withdrawn."), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/attachments/<int:attachment_id>/delete")
@login_required
def delete_attachment(attachment_id: int) -> ResponseReturnValue:
    engine().delete_attachment(g.actor.username, attachment_id)
    flash(_("The file has been deleted."), "success")
    return redirect(safe_next(request.form.get("next"), url_for("inbox.index")))


def _quote(name: str) -> str:
    return quote(name, safe="")
