"""The supervisors' pages: the project ledger (项目台账)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine import EngineError
from engine import clock
from engine.service import SORTS
from engine.service import STATES
from engine.service import LedgerQuery
from web.auth import login_required
from web.dossier_docx import dossier_docx
from web.errors import message_of
from web.exports import ledger_csv
from web.exports import ledger_workbook
from web.input_guard import page_number
from web.names import names
from web.names import unit_name
from web.processes import DRAWING_CSP
from web.progress_diagram import progress_json
from web.services import engine

bp = Blueprint("projects", __name__, url_prefix="/projects")


def organisation_name() -> str:
    """The organisation's name on exports and printed documents."""
    return str(current_app.config["ORGANISATION_NAME"])


def ledger_query() -> LedgerQuery:
    """The ledger's filters from the query string; unknown values fall back to the defaults.

    :raises BadRequest: for a page number out of range.
    """
    args = request.args
    year = args.get("year", "")
    return LedgerQuery(
        year=int(year) if year.isdigit() and len(year) == 4 else None,
        sector=args.get("sector", "")[:64], catalogue=args.get("catalogue", "")[:64],
        kind=args.get("kind", "")[:128], unit=args.get("unit", "")[:32],
        step=args.get("step", "")[:200], overdue=args.get("overdue") == "1",
        state=args.get("state", "open") if args.get("state") in STATES else "open",
        search=args.get("q", "").strip()[:100],
        sort=args.get("sort", "due") if args.get("sort") in SORTS else "due", descending=args.get("dir") == "desc",
        page=page_number(args.get("page")))


def ledger_url(filters: dict[str, str]) -> str:
    """The ledger's address with ``filters`` in its query string."""
    values: dict[str, Any] = dict(filters)  # url_for's keywords also take its own options (_external…)
    return url_for("projects.ledger", **values)


def kept_filters() -> dict[str, str]:
    """The filters of the query string, for links (sort, pager, bottlenecks) to keep them."""
    return {key: value for key, value in request.args.items() if key not in ("page", "sort", "dir") and value}


@bp.get("/")
@login_required
def ledger() -> ResponseReturnValue:
    query = ledger_query()
    result = engine().ledger(g.actor.username, query)
    kept = kept_filters()
    return render_template("projects/ledger.html", page=result, query=query, kept=kept, names=names())


@bp.get("/bottlenecks")
@login_required
def bottlenecks() -> ResponseReturnValue:
    """卡点分析: where the projects the filters select are waiting, per step and per unit."""
    query = ledger_query()
    found = engine().bottlenecks(g.actor.username, query)
    kept = kept_filters()
    directory = names()
    chart = {"steps": [[s.key, s.projects, s.overdue] for s in found.by_step],
             "units": [[unit_name(directory, s.key), s.projects, s.overdue] for s in found.by_unit],
             "labels": {"waiting": _("Projects waiting"), "overdue": _("Overdue")}}
    links = {"step": {s.key: ledger_url({**kept, "step": s.key}) for s in found.by_step},
             "unit": {s.key: ledger_url({**kept, "unit": s.key}) for s in found.by_unit}}
    response = Response(render_template("projects/bottlenecks.html", found=found, kept=kept, chart=chart,
                                        links=links, names=directory))
    response.headers["Content-Security-Policy"] = DRAWING_CSP
    return response


@bp.get("/matrix")
@login_required
def matrix() -> ResponseReturnValue:
    """矩阵管理图: the projects the ledger's filters select × the year's milestone nodes."""
    return render_template("projects/matrix.html", page=engine().matrix(g.actor.username, ledger_query()),
                           kept=kept_filters(), names=names())


@bp.get("/supervision")
@login_required
def supervision() -> ResponseReturnValue:
    """督查督办: urged steps still open after the escalation time; units that have not applied."""
    year = request.args.get("year", "")
    found = engine().supervision(g.actor.username, int(year) if year.isdigit() and len(year) == 4 else None)
    return render_template("projects/supervision.html", found=found, names=names())


@bp.get("/<int:instance_id>")
@login_required
def project(instance_id: int) -> ResponseReturnValue:
    """项目档案: where the project stands, who holds it, and its history as the viewer may read it."""
    response = Response(render_template("projects/project.html",
                                        view=engine().project(g.actor.username, instance_id), names=names()))
    response.headers["Content-Security-Policy"] = DRAWING_CSP
    return response


@bp.get("/<int:instance_id>/application")
@login_required
def application(instance_id: int) -> ResponseReturnValue:
    """The application (申报书) as filed, laid out to print on A4, for anyone who may see the project."""
    return render_template("projects/application.html", doc=engine().application_document(g.actor.username,
                                                                                             instance_id),
                           organisation=organisation_name(), names=names())


@bp.get("/<int:instance_id>/dossier")
@login_required
def dossier(instance_id: int) -> ResponseReturnValue:
    """The project dossier laid out for printing on A4: documents filed, matrix, timeline."""
    return render_template("projects/dossier.html", dossier=engine().dossier(g.actor.username, instance_id),
                           organisation=organisation_name(), today=clock.now(), names=names())


@bp.get("/<int:instance_id>/dossier.docx")
@login_required
def dossier_docx_file(instance_id: int) -> Response:
    """The project dossier as a Word document."""
    found = engine().dossier(g.actor.username, instance_id)
    content = dossier_docx(found, names(), organisation_name(), g.actor.display_name or g.actor.username,
                           clock.now())
    title = found.project.instance.title or found.project.instance.process_name
    return download(content, f"{_('Project dossier')}-{title}.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@bp.get("/<int:instance_id>/progress_diagram.json")
@login_required
def progress(instance_id: int) -> Response:
    """The project's diagram (or one of the processes it calls) with its steps marked, for bpmn-js."""
    found = engine().progress_diagram(g.actor.username, instance_id, request.args.get("process") or None)
    return jsonify(progress_json(found))


# The engine methods a repair form may name.
REPAIRS = ("suspend", "resume", "terminate", "retry")


@bp.post("/<int:instance_id>/repair")
@login_required
def repair(instance_id: int) -> ResponseReturnValue:
    """Suspend, resume, terminate or retry a project, with the reason (city_org and administrators)."""
    action = request.form.get("action", "")
    if action not in REPAIRS:
        abort(400)
    try:
        getattr(engine(), action)(g.actor.username, instance_id, reason=request.form.get("reason", ""))
    except EngineError as error:
        flash(message_of(error), "error")
    else:
        flash(_("Done; the action and its reason are in the project's history."), "success")
    return redirect(url_for("projects.project", instance_id=instance_id))


@bp.post("/<int:instance_id>/tasks/<int:task_id>/reassign")
@login_required
def reassign(instance_id: int, task_id: int) -> ResponseReturnValue:
    """Hand an open step to another holder of its role, with the reason (city_org and administrators)."""
    try:
        engine().reassign(g.actor.username, task_id, request.form.get("to", "")[:64], request.form.get("reason", ""))
    except EngineError as error:
        flash(message_of(error), "error")
    else:
        flash(_("Done; the action and its reason are in the project's history."), "success")
    return redirect(url_for("projects.project", instance_id=instance_id) + "#waiting")


def download(content: bytes, filename: str, mimetype: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@bp.get("/ledger.xlsx")
@login_required
def ledger_xlsx() -> Response:
    """Every project the filters select, as the Excel 台账."""
    page = engine().ledger(g.actor.username, ledger_query(), everything=True)
    directory = names()
    content = ledger_workbook(page, directory, organisation_name(), unit_name(directory, g.actor.unit_code))
    return download(content, _("Project ledger") + ".xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/ledger.csv")
@login_required
def ledger_csv_file() -> Response:
    """Every project the filters select, as CSV."""
    page = engine().ledger(g.actor.username, ledger_query(), everything=True)
    return download(ledger_csv(page, names()), _("Project ledger") + ".csv", "text/csv")
