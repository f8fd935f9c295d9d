"""Domain errors to HTTP, in one place: a translated page for people, JSON for the API."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import Response
from flask import jsonify
from flask import render_template
from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine import EngineError
from engine.errors import Conflict
from engine.errors import IdempotencyKeyReused
from engine.errors import InvalidState
from engine.errors import InvalidSubmission
from engine.errors import NotAllowed
from engine.errors import NotAuthenticated
from engine.errors import NotFound
from web.formatting import error_message
from web.input_guard import JSONTooLarge
from web.input_guard import RefusedJSON
from web.names import names

STATUS = [(NotFound, 404), (NotAuthenticated, 401), (NotAllowed, 403), (Conflict, 409), (InvalidState, 409),
          (IdempotencyKeyReused, 422)]
def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated where it is shown."""
    return message


TITLES = {
    400: N_("The request is not valid"),
    401: N_("Please sign in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not available"),
    409: N_("Already changed"),
    413: N_("The upload is too large"),
    422: N_("Cannot be accepted"),
    500: N_("Something went wrong"),
}


def status_of(error: EngineError) -> int:
    for cls, status in STATUS:
        if isinstance(error, cls):
            return status
    if error.code in ("login_failed", "account_locked"):
        return 401
    return 422


def message_of(error: EngineError) -> str:
    """``error`` in the reader's language, people in it by name."""
    return error_message(names(), error)


def wants_json() -> bool:
    """The API, and pages' scripts that post JSON (the modeler), get errors as JSON."""
    return request.path.startswith("/api/") or request.is_json


def respond(status: int, message: str, code: str, fields: dict[str, str] | None = None) -> tuple[Response | str, int]:
    """The error as JSON for the API and scripts, else as the error page; with its status."""
    if wants_json():
        body: dict[str, Any] = {"error": code, "message": message}
        if fields is not None:
            body["fields"] = fields
        return jsonify(body), status
    return render_template("errors/error.html", status=status, title=_(TITLES.get(status, TITLES[400])),
                           message=message), status


def refused_json_message(reason: str) -> str:
    """Why a JSON body was refused (see :class:`web.input_guard.RefusedJSON`)."""
    if reason == "surrogate":
        return _("The data contains an invalid character (a lone UTF-16 surrogate such as \\ud800). "
                 "Nothing was changed.")
    if reason == "non_finite":
        return _("The data contains a number that is not finite (NaN or Infinity). Nothing was changed.")
    return _("The data is nested too deeply. Nothing was changed.")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(EngineError)
    def engine_error(error: EngineError) -> ResponseReturnValue:
        fields = None
        if isinstance(error, InvalidSubmission):
            directory = names()
            fields = {err.path: error_message(directory, err) for err in error.errors}
        body, status = respond(status_of(error), message_of(error), error.code, fields)
        if isinstance(error, NotAuthenticated):  # RFC 6750: say how to authenticate
            given = request.headers.get("Authorization", "").startswith("Bearer ")
            challenge = 'Bearer realm="api"' + (', error="invalid_token"' if given else "")
            return body, status, {"WWW-Authenticate": challenge}
        return body, status

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        return respond(400, _("The page has expired or the request did not come from this site. "
                              "Go back, reload the page and try again; what you typed is still in the browser."),
                       "csrf")

    @app.errorhandler(400)
    def bad_request(error: HTTPException) -> ResponseReturnValue:
        if isinstance(error, RefusedJSON):
            return respond(400, refused_json_message(error.reason), error.reason)
        return respond(400, _("The request contains characters or values that are not allowed here. "
                              "Nothing was changed."), "bad_request")

    @app.errorhandler(413)
    def too_large(error: HTTPException) -> ResponseReturnValue:
        if isinstance(error, JSONTooLarge):
            return respond(413, _("The data sent is larger than %(limit)s MB. Nothing was changed.",
                                  limit=error.limit // (1024 * 1024)), "too_large")
        return respond(413, _("The upload is larger than %(limit)s MB.",
                              limit=app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)), "too_large")

    @app.errorhandler(404)
    def not_found(error: HTTPException) -> ResponseReturnValue:
        return respond(404, _("This page does not exist."), "not_found")

    @app.errorhandler(405)
    def not_allowed_method(error: HTTPException) -> ResponseReturnValue:
        return respond(405, _("This action is not available here."), "method_not_allowed")

    @app.errorhandler(500)
    def server_error(error: Exception) -> ResponseReturnValue:
        return respond(500, _("The server could not finish this request. Nothing was changed; please try again."),
                       "server_error")
