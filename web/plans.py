"""The year plan (年度计划) pages for city_org and administrators: list, edit, copy a year."""

from __future__ import annotations

from typing import Any

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
from engine.errors import InvalidSubmission
from forms.coercion import coerce_form
from forms.fields import build_fields
from forms.fields import form_errors
from web.auth import restrict
from web.errors import message_of
from web.names import names
from web.services import engine

bp = Blueprint("plans", __name__, url_prefix="/plans")


restrict(bp, "city_org", "admin")


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("plans/index.html", years=engine().plan_years(g.actor.username))


def render_plan(year: int, form: dict[str, Any], values: dict[str, Any], errors: list | None = None,
                status: int = 200) -> ResponseReturnValue:
    fields = build_fields(form, values, errors or [])
    return render_template("plans/edit.html", year=year, fields=fields, top_errors=form_errors(errors or [], fields),
                           error_count=len(errors or []), names=names()), status


@bp.get("/<int:year>")
def edit(year: int) -> ResponseReturnValue:
    form, values = engine().plan_form(g.actor.username, year)
    return render_plan(year, form, values)


@bp.post("/<int:year>")
def save(year: int) -> ResponseReturnValue:
    """Save the plan; with problems, the form comes back with everything typed in and the messages."""
    form, _values = engine().plan_form(g.actor.username, year)
    values = coerce_form(form, request.form.getlist, request.form.keys())
    try:
        engine().save_year_plan(g.actor.username, year, values)
    except InvalidSubmission as invalid:
        return render_plan(year, form, values, invalid.errors, 422)
    flash(_("The plan of %(year)s is saved. Projects already started keep the rules they started with.",
            year=year), "success")
    return redirect(url_for("plans.edit", year=year))


@bp.post("/<int:year>/copy")
def copy(year: int) -> ResponseReturnValue:
    """Set up another year as a copy of this one, dates moved to that year."""
    target = request.form.get("target", "")
    try:
        engine().copy_year_plan(g.actor.username, year, int(target) if target.isdigit() else 0)
    except EngineError as error:
        flash(message_of(error), "error")
        return redirect(url_for("plans.index"))
    flash(_("The plan of %(year)s is set up from %(source)s; check its dates.", year=target, source=year), "success")
    return redirect(url_for("plans.edit", year=int(target)))
