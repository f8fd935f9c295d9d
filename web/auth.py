"""Sign-in, sign-out, password change, language; the signed-in actor on every request."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint
from flask import abort
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine import EngineError
from engine.errors import NotAllowed
from engine.service import FIRST_WAIT
from engine.service import FREE_FAILURES
from engine.service import LONGEST_WAIT
from web.errors import message_of
from web.i18n import LOCALES
from web.input_guard import safe_next
from web.services import engine

# What the sign-in page promises, from the rule the engine applies (see engine.service.signin).
SIGN_IN_WAITS = {"failures": FREE_FAILURES, "first": int(FIRST_WAIT.total_seconds() // 60),
                 "longest": int(LONGEST_WAIT.total_seconds() // 60)}

bp = Blueprint("auth", __name__)


@bp.before_app_request
def load_actor() -> None:
    """Put the signed-in user (an engine Actor) on ``g.actor``; a session that was ended is forgotten.

    A session ends when its user signs out anywhere, changes or has their password reset, or is
    deactivated: the engine checks the session's version on every request.
    """
    g.actor = None
    username = session.get("user")
    if username:
        try:
            g.actor = engine().session_actor(username, session.get("v"))
        except NotAllowed:
            language = session.get("lang")
            session.clear()
            if language:
                session["lang"] = language


def login_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.actor is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped


def restrict(blueprint: Blueprint, *roles: str) -> None:
    """Every page of ``blueprint`` is for signed-in users holding one of ``roles``; others get 403."""

    @blueprint.before_request
    @login_required
    def only_roles() -> None:
        if not g.actor.has(*roles):
            abort(403)
        return None


def _safe_next(target: str | None) -> str:
    return safe_next(target, url_for("inbox.index"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Sign in; repeated failures lock the account for a while (the engine counts them)."""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        try:
            signed_in = engine().authenticate(username, request.form.get("password", ""), request.remote_addr or "")
        except EngineError as error:
            flash(message_of(error), "error")
            return render_template("auth/login.html", username=username, waits=SIGN_IN_WAITS), 401
        actor = signed_in.actor
        language = engine().user(actor.username).language or session.get("lang")
        session.clear()  # a fresh session: no fixation across the sign-in
        session.permanent = True
        session["user"] = actor.username
        session["v"] = signed_in.session_version
        if language:
            session["lang"] = language
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", username="", waits=SIGN_IN_WAITS)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out: this and every other session of the user end (a copied cookie stops working)."""
    if g.actor is not None:
        engine().end_sessions(g.actor.username)
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    if request.method == "POST":
        new = request.form.get("new", "")
        if new != request.form.get("confirm", ""):
            flash(_("The two new passwords differ."), "error")
            return render_template("auth/password.html"), 422
        try:
            session["v"] = engine().change_password(g.actor.username, request.form.get("old", ""), new)
        except EngineError as error:
            flash(message_of(error), "error")
            return render_template("auth/password.html"), 422
        flash(_("Your password has been changed. Other sessions and your API tokens have ended."), "success")
        return redirect(url_for("inbox.index"))
    return render_template("auth/password.html")


@bp.post("/language")
def language() -> ResponseReturnValue:
    """Switch the interface language; remembered in the session and on the user."""
    chosen = request.form.get("lang", "")
    if chosen in LOCALES:
        session["lang"] = chosen
        if g.actor is not None:
            engine().set_language(g.actor.username, chosen)
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> ResponseReturnValue:
    """The signed-in user's API tokens; a new one is shown once."""
    issued = None
    if request.method == "POST":
        try:
            days = int(request.form.get("days") or 90)
        except ValueError:
            days = 0
        try:
            issued = engine().issue_api_token(g.actor.username, request.form.get("name", ""), days)
        except EngineError as error:
            flash(message_of(error), "error")
            return render_template("auth/tokens.html", tokens=engine().api_tokens(g.actor.username)), 422
    return render_template("auth/tokens.html", tokens=engine().api_tokens(g.actor.username), issued=issued)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    engine().revoke_api_token(g.actor.username, token_id)
    flash(_("The token has been revoked."), "success")
    return redirect(url_for("auth.tokens"))
