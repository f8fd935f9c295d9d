"""The deployed processes and their diagrams, drawn by bpmn-js served from the application."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import g
from flask import render_template
from flask.typing import ResponseReturnValue

from web.auth import login_required
from web.services import engine

bp = Blueprint("processes", __name__, url_prefix="/processes")

# bpmn-js and ECharts set style attributes on what they draw: their pages allow inline styles, nothing more.
DRAWING_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
               "font-src 'self'")


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    return render_template("processes/index.html", processes=engine().processes(g.actor.username))


@bp.get("/<process_id>/diagram")
@login_required
def diagram(process_id: str) -> ResponseReturnValue:
    name, version, _xml = engine().diagram(g.actor.username, process_id)
    response = Response(render_template("processes/diagram.html", process_id=process_id, name=name,
                                        version=version))
    response.headers["Content-Security-Policy"] = DRAWING_CSP
    return response


@bp.get("/<process_id>/diagram.bpmn")
@login_required
def diagram_xml(process_id: str) -> Response:
    _name, _version, xml = engine().diagram(g.actor.username, process_id)
    return Response(xml, mimetype="application/xml")
