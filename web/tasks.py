"""One task: its page, and every action on it (submit, save draft, claim, comment, extension, files).

Submitting follows Post/Redirect/Get and works without JavaScript. When the data does not pass
validation the page comes back with the messages next to the fields and everything typed kept.
"""

from __future__ import annotations

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
from flask_babel import gettext as _

from engine import EngineError
from engine.errors import InvalidSubmission
from engine.errors import Refused
from engine.service.tasks import TaskDetail
from forms import FieldError
from forms.coercion import coerce_form
from forms.fields import build_fields
from forms.fields import form_errors
from web.auth import login_required
from web.errors import message_of
from web.input_guard import safe_next
from web.names import names
from web.services import engine

bp = Blueprint("tasks", __name__)
UPLOAD_SUFFIX = "__upload"


def render_task(detail: TaskDetail, values: dict[str, Any] | None = None, errors: list[FieldError] | None = None,
                status: int = 200):  # type: ignore[no-untyped-def]
    errors = errors or []
    form = detail.form or {"type": "object", "properties": {}}
    shown = values if values is not None else (detail.draft or detail.values)
    fields = build_fields(form, shown, errors)
    return render_template("tasks/task.html", detail=detail, fields=fields, form=form,
                           top_errors=form_errors(errors, fields), error_count=len(errors),
                           upload_suffix=UPLOAD_SUFFIX, names=names()), status


@bp.get("/tasks/<int:task_id>")
@login_required
def show(task_id: int):  # type: ignore[no-untyped-def]
    return render_task(engine().task(g.actor.username, task_id))


def _submitted(form: dict[str, Any]) -> dict[str, Any]:
    return coerce_form(form, request.form.getlist, request.form.keys())


def _upload_files(task_id: int, form: dict[str, Any], data: dict[str, Any]) -> list[FieldError]:
    """Store the files chosen in each file field and add them to its value; report refusals."""
    errors = []
    for key, field in form.get("properties", {}).items():
        if field.get("x-widget") != "files":
            continue
        for upload in request.files.getlist(key + UPLOAD_SUFFIX):
            if not upload or not upload.filename:
                continue
            try:
                info = engine().upload(g.actor.username, task_id, upload.filename, upload.read())
            except EngineError as error:
                errors.append(FieldError(key, error.code, error.template, {**error.params,
                                                                           "name": upload.filename}))
                continue
            data.setdefault(key, []).append(info.reference())
    return errors


@bp.post("/tasks/<int:task_id>")
@login_required
def act(task_id: int):  # type: ignore[no-untyped-def]
    action = request.form.get("action", "submit")
    handler = ACTIONS.get(action)
    if handler is None:
        flash(_("Unknown action."), "error")
        return redirect(url_for("tasks.show", task_id=task_id))
    return handler(task_id)


def submit_or_save(task_id: int, final: bool):  # type: ignore[no-untyped-def]
    detail = engine().task(g.actor.username, task_id)
    form = detail.form or {"type": "object", "properties": {}}
    data = _submitted(form)
    upload_errors = _upload_files(task_id, form, data)
    if upload_errors:
        return render_task(detail, data, upload_errors, 422)
    if not final:
        try:
            engine().save_draft(g.actor.username, task_id, data)
        except EngineError as error:  # too large: the page comes back with everything typed
            flash(message_of(error), "error")
            return render_task(detail, data, [], 422)
        flash(_("Draft saved. It has not been submitted yet."), "success")
        return redirect(url_for("tasks.show", task_id=task_id))
    try:
        engine().complete(g.actor.username, task_id, data, comment=request.form.get("comment") or None)
    except InvalidSubmission as invalid:
        flash(_("Please correct the marked fields."), "error")
        return render_task(detail, data, invalid.errors, 422)
    except Refused as refused:
        flash(message_of(refused), "error")
        return render_task(detail, data, [], 422)
    flash(_("Submitted: %(step)s.", step=detail.row.name), "success")
    return redirect(url_for("inbox.index"))


def claim(task_id: int):  # type: ignore[no-untyped-def]
    engine().claim(g.actor.username, task_id)
    flash(_("You have claimed this task; only you can handle it now."), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


def unclaim(task_id: int):  # type: ignore[no-untyped-def]
    engine().unclaim(g.actor.username, task_id)
    flash(_("The task is back with your colleagues."), "success")
    return redirect(url_for("inbox.index"))


def comment(task_id: int):  # type: ignore[no-untyped-def]
    try:
        engine().comment(g.actor.username, task_id, request.form.get("body", ""))
    except EngineError as error:
        flash(message_of(error), "error")
    else:
        flash(_("Comment added."), "success")
    return redirect(url_for("tasks.show", task_id=task_id) + "#comments")


def extension(task_id: int):  # type: ignore[no-untyped-def]
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


def remind(task_id: int):  # type: ignore[no-untyped-def]
    try:
        count = engine().send_reminder(g.actor.username, task_id, request.form.get("message", ""))
    except EngineError as error:
        flash(message_of(error), "error")
    else:
        flash(_("Reminder sent to %(count)s person(s).", count=count), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


ACTIONS = {
    "submit": lambda task_id: submit_or_save(task_id, True),
    "save": lambda task_id: submit_or_save(task_id, False),
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
def withdraw(instance_id: int):  # type: ignore[no-untyped-def]
    engine().withdraw(g.actor.username, instance_id)
    flash(_("The application has been withdrawn."), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/attachments/<int:attachment_id>/delete")
@login_required
def delete_attachment(attachment_id: int):  # type: ignore[no-untyped-def]
    engine().delete_attachment(g.actor.username, attachment_id)
    flash(_("The file has been deleted."), "success")
    return redirect(safe_next(request.form.get("next"), url_for("inbox.index")))


def _quote(name: str) -> str:
    return quote(name, safe="")
