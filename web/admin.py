"""User administration: create users, reset passwords, deactivate and reactivate."""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine import EngineError
from engine.roles import ROLES
from web.auth import restrict
from web.errors import message_of
from web.services import engine

bp = Blueprint("admin", __name__, url_prefix="/admin")


restrict(bp, "admin")


@bp.get("/users")
def users() -> ResponseReturnValue:
    return render_template("admin/users.html", users=engine().users(g.actor.username), units=engine().units(),
                           roles=ROLES, form={}, selected_roles=[])


@bp.post("/users")
def create_user() -> ResponseReturnValue:
    form = request.form
    try:
        info, generated = engine().add_user(form.get("username", "").strip(), form.get("unit", ""),
                                            form.getlist("roles"), form.get("password") or None,
                                            form.get("display_name", "").strip())
    except EngineError as error:
        flash(message_of(error), "error")
        return render_template("admin/users.html", users=engine().users(g.actor.username), units=engine().units(),
                               roles=ROLES, form=form, selected_roles=form.getlist("roles")), 422
    flash(_("User %(user)s created.", user=info.username), "success")
    if generated:
        flash(_("Initial password (shown once): %(password)s", password=generated), "info")
    return redirect(url_for("admin.users"))


@bp.get("/users/<username>")
def edit_user(username: str) -> ResponseReturnValue:
    return render_template("admin/user.html", user=engine().user(username), units=engine().units(), roles=ROLES)


@bp.post("/users/<username>")
def update_user(username: str) -> ResponseReturnValue:
    form = request.form
    try:
        engine().update_user(g.actor.username, username, form.get("display_name", ""), form.get("unit", ""),
                             form.getlist("roles"))
    except EngineError as error:
        flash(message_of(error), "error")
        return redirect(url_for("admin.edit_user", username=username))
    flash(_("User %(user)s updated.", user=username), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<username>/password")
def reset_password(username: str) -> ResponseReturnValue:
    password = engine().reset_password(g.actor.username, username)
    flash(_("New password for %(user)s (shown once): %(password)s", user=username, password=password), "info")
    return redirect(url_for("admin.users"))


@bp.post("/users/<username>/active")
def set_active(username: str) -> ResponseReturnValue:
    active = request.form.get("active") == "1"
    engine().set_active(g.actor.username, username, active)
    flash(_("User %(user)s reactivated.", user=username) if active else
          _("User %(user)s deactivated.", user=username), "success")
    return redirect(url_for("admin.users"))
