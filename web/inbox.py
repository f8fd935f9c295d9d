"""The inbox: my tasks, tasks to claim, tasks done; reminders; starting a new application."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine import EngineError
from engine.service import TABS
from web.auth import login_required
from web.errors import message_of
from web.input_guard import page_number
from web.input_guard import safe_next
from web.names import names
from web.services import engine

bp = Blueprint("inbox", __name__)


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    tab = request.args.get("tab", "mine")
    if tab not in TABS:
        abort(404)
    search = request.args.get("q", "").strip()[:100]
    sort = "created" if request.args.get("sort") == "created" else "due"
    page = page_number(request.args.get("page"))
    service = engine()
    result = service.inbox(g.actor.username, tab=tab, search=search, page=page, sort=sort)
    return render_template(
        "inbox/index.html", page=result, search=search, sort=sort,
        notices=service.notifications(g.actor.username),
        startable=service.startable_processes(g.actor.username),
        extensions=service.extension_requests(g.actor.username) if g.actor.has("city_org") else [],
        names=names())


@bp.post("/start/<process_id>")
@login_required
def start(process_id: str) -> ResponseReturnValue:
    """Start a new case (an application) and go straight to its first task."""
    try:
        instance_id = engine().start(process_id, g.actor.username, {})
    except EngineError as error:
        flash(message_of(error), "error")
        return redirect(url_for("inbox.index"))
    task_id = engine().my_task_in(g.actor.username, instance_id)
    flash(_("A new application has been started."), "success")
    return redirect(url_for("tasks.show", task_id=task_id) if task_id else url_for("inbox.index"))


@bp.get("/notifications")
@login_required
def notices() -> ResponseReturnValue:
    """Every notice, read and dealt-with ones included, newest first, 50 a page."""
    page = page_number(request.args.get("page"))
    shown = engine().notifications(g.actor.username, unread_only=False, limit=51, offset=(page - 1) * 50)
    return render_template("inbox/notices.html", notices=shown[:50], page=page, more=len(shown) > 50,
                           names=names())


@bp.post("/notifications/read")
@login_required
def read_notifications() -> ResponseReturnValue:
    engine().mark_read(g.actor.username)
    return redirect(safe_next(request.form.get("next"), url_for("inbox.index")))


@bp.post("/extensions/<int:request_id>")
@login_required
def decide_extension(request_id: int) -> ResponseReturnValue:
    approve = request.form.get("decision") == "approve"
    engine().decide_extension(g.actor.username, request_id, approve, request.form.get("note", "")[:2000])
    flash(_("The extension has been granted.") if approve else _("The extension has been refused."), "success")
    return redirect(url_for("inbox.index"))
