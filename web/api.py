"""The JSON API (``/api/v1``) for the inbox operations, authenticated with a bearer token.

Every POST takes an optional ``Idempotency-Key`` header: the engine does the write at most once per
user and key and answers a repeat with the first outcome (``engine.service.idempotency``).
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from flask import Blueprint
from flask import g
from flask import jsonify
from flask import request
from flask.typing import ResponseReturnValue

from engine.errors import InvalidSubmission
from engine.errors import NotAuthenticated
from engine.service import TABS
from engine.service import TaskRow
from web.input_guard import page_number
from web.openapi import OPENAPI
from web.services import engine

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


_ROW_FIELDS = tuple(field.name for field in fields(TaskRow))


def _row(row: TaskRow) -> dict[str, Any]:
    return {name: _plain(getattr(row, name)) for name in _ROW_FIELDS}


@bp.before_request
def authenticate() -> None:
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise NotAuthenticated()
    g.api_actor = engine().actor_by_token(header[len("Bearer "):].strip())
    return None


def idempotency_key() -> str | None:
    """The request's ``Idempotency-Key`` (a structured-field string: the quotes are optional), or None."""
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(OPENAPI)


@bp.get("/tasks")
def list_tasks() -> ResponseReturnValue:
    tab = request.args.get("tab", "mine")
    if tab not in TABS:
        tab = "mine"
    page = engine().inbox(g.api_actor.username, tab=tab, search=request.args.get("q", ""),
                          page=page_number(request.args.get("page")),
                          page_size=min(max(request.args.get("page_size", 20, type=int) or 20, 1), 100))
    return jsonify({"tab": page.tab, "page": page.page, "page_size": page.page_size, "total": page.total,
                    "counts": page.counts, "tasks": [_row(row) for row in page.rows]})


@bp.get("/tasks/<int:task_id>")
def get_task(task_id: int) -> ResponseReturnValue:
    detail = engine().task(g.api_actor.username, task_id)
    return jsonify({"task": _row(detail.row), "process_name": detail.process_name,
                    "instructions": detail.documentation, "form": detail.form, "values": _plain(detail.values),
                    "draft": _plain(detail.draft), "may_act": detail.may_act, "may_claim": detail.may_claim,
                    "history": [{"step": h.step_name, "actor": h.actor, "at": h.at.isoformat(), "data": _plain(h.data)}
                                for h in detail.history]})


@bp.post("/tasks/<int:task_id>/complete")
def complete(task_id: int) -> ResponseReturnValue:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise InvalidSubmission([])
    done = engine().complete(g.api_actor.username, task_id, body["data"], comment=body.get("comment"),
                             next_task=True, idempotency_key=idempotency_key())
    return jsonify({"instance_id": done.instance_id, "next_task_id": done.next_task_id})


@bp.post("/tasks/<int:task_id>/claim")
def claim(task_id: int) -> ResponseReturnValue:
    engine().claim(g.api_actor.username, task_id, idempotency_key=idempotency_key())
    return "", 204


@bp.post("/tasks/<int:task_id>/unclaim")
def unclaim(task_id: int) -> ResponseReturnValue:
    engine().unclaim(g.api_actor.username, task_id, idempotency_key=idempotency_key())
    return "", 204


@bp.post("/processes/<process_id>/start")
def start(process_id: str) -> ResponseReturnValue:
    started = engine().launch(process_id, g.api_actor.username, {}, idempotency_key=idempotency_key())
    return jsonify({"instance_id": started.instance_id, "task_id": started.task_id}), 201
