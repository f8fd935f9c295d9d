"""Administrators' process pages: the versions of each process (comment, who, when, projects on each),
download, compare, roll back, and the modeler that checks and deploys an edited diagram."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
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
from engine.errors import DeploymentRefused
from engine.errors import FileConflict
from engine.errors import LintProblem
from forms import with_options
from forms.fields import build_fields
from web.auth import restrict
from web.errors import message_of
from web.errors import status_of
from web.formatting import error_message
from web.names import names
from web.processes import DRAWING_CSP
from web.services import engine

bp = Blueprint("modeler", __name__, url_prefix="/admin/processes")

# A new diagram: one process with a start event, ready to be drawn on.
NEW_DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="definitions_new"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="new_process" name="新流程" isExecutable="true">
    <bpmn:startEvent id="start" name="开始"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_new">
    <bpmndi:BPMNPlane id="plane_new" bpmnElement="new_process">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="160" width="36" height="36"/>
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


restrict(bp, "admin")


def drawing(html: str) -> Response:
    response = Response(html)
    response.headers["Content-Security-Policy"] = DRAWING_CSP
    return response


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("admin/processes.html", processes=engine().processes(g.actor.username))


@bp.get("/<process_id>/versions")
def versions(process_id: str) -> ResponseReturnValue:
    """Every version of a process: who deployed it, when, why, and the projects running on it."""
    return render_template("admin/versions.html", process_id=process_id,
                           versions=engine().process_versions(g.actor.username, process_id), names=names())


@bp.get("/<process_id>/versions/<int:version>.bpmn")
def download(process_id: str, version: int) -> Response:
    file = engine().model_file(g.actor.username, process_id, version)
    response = Response(file.xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{process_id}-v{version}.bpmn"'
    return response


@bp.post("/<process_id>/versions/<int:version>/current")
def make_current(process_id: str, version: int) -> ResponseReturnValue:
    """Roll back (or forward): new projects start on this version; running ones stay on theirs."""
    try:
        engine().make_version_current(g.actor.username, process_id, version)
    except EngineError as error:
        flash(message_of(error), "error")
    else:
        flash(_("Version %(version)s is current: new projects start on it; running projects stay on theirs.",
                version=version), "success")
    return redirect(url_for("modeler.versions", process_id=process_id))


def refusal_text(reason: str, subject: str) -> str:
    """Why a project cannot move to another version, in the reader's language."""
    texts = {"removed": _("its current step %(step)s was removed", step=subject),
             "changed_kind": _("its current step %(step)s became another kind of element", step=subject),
             "process_gone": _("the new version no longer has the process %(step)s", step=subject),
             "would_fail": _("it would fail on the new version: %(step)s", step=subject)}
    return texts.get(reason, subject)


@bp.get("/<process_id>/versions/<int:version>/move")
def version_change_preview(process_id: str, version: int) -> ResponseReturnValue:
    """The open projects on other versions: where each stands and what it will do next on ``version``."""
    plans = engine().version_change_preview(g.actor.username, process_id, version)
    return render_template("admin/version_change.html", process_id=process_id, version=version, plans=plans,
                           refusal_text=refusal_text, names=names())


@bp.post("/<process_id>/versions/<int:version>/move")
def migrate(process_id: str, version: int) -> ResponseReturnValue:
    """Move the selected projects onto ``version``; those that cannot move are listed with the reason."""
    ids = [int(value) for value in request.form.getlist("instance") if value.isdigit()][:1000]
    try:
        results = engine().change_version(g.actor.username, process_id, version, ids, request.form.get("reason"))
    except EngineError as error:
        flash(message_of(error), "error")
        return redirect(url_for("modeler.version_change_preview", process_id=process_id, version=version))
    moved = [r for r in results if r.moved]
    flash(_("%(count)s project(s) moved to version %(version)s.", count=len(moved), version=version), "success")
    for refused in (r for r in results if not r.moved):
        flash(_("%(title)s was not moved: %(reason)s", title=refused.title,
                reason="；".join(refusal_text(reason, subject) for reason, subject in refused.refusals)), "error")
    return redirect(url_for("modeler.version_change_preview", process_id=process_id, version=version))


@bp.post("/instances/<int:instance_id>/revert-version-change")
def revert_version_change(instance_id: int) -> ResponseReturnValue:
    """Put a migrated project back on its previous version while nothing has run on the new one."""
    try:
        engine().revert_version_change(g.actor.username, instance_id, request.form.get("reason"))
    except EngineError as error:
        flash(message_of(error), "error")
    else:
        flash(_("The project is back on its previous version."), "success")
    return redirect(url_for("projects.project", instance_id=instance_id))


@bp.get("/<process_id>/diff")
def diff(process_id: str) -> ResponseReturnValue:
    """What changed between two versions, as a list and on the two diagrams in colour."""
    old, new = request.args.get("old", type=int), request.args.get("new", type=int)
    if old is None or new is None:
        abort(400)
    changes = engine().compare_versions(g.actor.username, process_id, old, new)
    marks = {"old": {c.element_id: c.change for c in changes if c.change in ("removed", "changed")},
             "new": {c.element_id: c.change for c in changes if c.change in ("added", "changed")}}
    return drawing(render_template("admin/diff.html", process_id=process_id, old=old, new=new, changes=changes,
                                   marks=marks))


@bp.get("/<process_id>/modeler")
def edit(process_id: str) -> ResponseReturnValue:
    """The modeler on a version of a process (default: the current one)."""
    file = engine().model_file(g.actor.username, process_id, request.args.get("version", type=int))
    return drawing(render_template("admin/modeler.html", file=file, xml=file.xml))


@bp.get("/new")
def new() -> ResponseReturnValue:
    return drawing(render_template("admin/modeler.html", file=None, xml=NEW_DIAGRAM))


def lint_kinds() -> dict[str, str]:
    """What each kind of lint problem is about, in the reader's language."""
    return {"xml": _("XML"), "schema": _("BPMN schema"), "spiff": _("BPMN structure"), "syntax": _("Expression"),
            "timer": _("Timer"), "multi_instance": _("Multi-instance"), "untyped_task": _("Task type"),
            "role": _("Role"), "form": _("Form"), "due": _("Due date"), "call_activity": _("Called process"),
            "dmn": _("DMN decision"), "di": _("Layout"), "duplicate_process": _("Process id"),
            "foreign": _("Construct of another tool"), "reserved_id": _("Reserved id"),
            "not_executable": _("Not executable"), "name": _("Name in a script"), "message": _("Message event")}


@bp.get("/forms/")
def forms_index() -> ResponseReturnValue:
    """The forms the current versions use, and which processes use each."""
    return render_template("admin/forms.html", forms=engine().form_files(g.actor.username))


@bp.get("/forms/<name>")
def form_editor(name: str) -> ResponseReturnValue:
    """The form editor: the JSON Schema with highlighting and checks, and a live preview."""
    return drawing(render_template("admin/form_editor.html", name=name,
                                   text=engine().form_text(g.actor.username, name)))


@bp.post("/forms/preview")
def form_preview() -> Response:
    """The posted form as the inbox draws it, or what is wrong with it."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        abort(400)
    schema, problem = engine().check_form(g.actor.username, body["text"])
    if schema is None:
        return jsonify({"problem": error_message(names(), problem), "html": ""})
    fields = build_fields(with_options(schema, lambda _expression: []), {}, [])
    html = render_template("admin/_form_preview.html", fields=fields, names=names())
    return jsonify({"problem": None, "html": html})


def problem_json(problem: LintProblem, kinds: dict[str, str]) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "element": problem.element, "code": problem.code,
            "kind": kinds.get(problem.code, problem.code), "message": error_message(names(), problem)}


def edited() -> tuple[str, str]:
    """The file name and XML the modeler posted. :raises BadRequest: when they are missing."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str) or not isinstance(body.get("name"), str):
        abort(400)
    return body["name"].strip(), body["xml"]


@bp.post("/check")
def check() -> tuple[Response, int] | Response:
    """The lint's problems with the posted diagram among the current files; nothing is stored."""
    name, xml = edited()
    try:
        problems = engine().check_model(g.actor.username, name, xml)
    except EngineError as error:
        return jsonify({"message": message_of(error)}), status_of(error)
    kinds = lint_kinds()
    return jsonify({"problems": [problem_json(p, kinds) for p in problems]})


@bp.post("/deploy")
def deploy() -> tuple[Response, int] | Response:
    """Deploy the posted diagram with its comment; the lint's problems when it is refused."""
    name, xml = edited()
    body = request.get_json(silent=True) or {}
    comment = body.get("comment")
    try:
        deployed = engine().deploy_model(g.actor.username, name, xml, comment if isinstance(comment, str) else "",
                                         replace_file=body.get("replace_file") is True)
    except FileConflict as conflict:  # the page asks the administrator, then posts again with replace_file
        return jsonify({"message": message_of(conflict), "confirm": "replace_file"}), status_of(conflict)
    except DeploymentRefused as refused:
        kinds = lint_kinds()
        return jsonify({"message": message_of(refused),
                        "problems": [problem_json(p, kinds) for p in refused.problems]}), 422
    except EngineError as error:
        return jsonify({"message": message_of(error)}), status_of(error)
    if not deployed:
        return jsonify({"message": _("Nothing changed: every process is already deployed as it is."), "deployed": []})
    return jsonify({"message": _("Deployed: %(versions)s. New projects start on these versions.",
                                 versions="、".join(f"{d.name} v{d.version}" for d in deployed)),
                    "deployed": [{"process_id": d.process_id, "name": d.name, "version": d.version,
                                  "versions": url_for("modeler.versions", process_id=d.process_id)}
                                 for d in deployed]})
