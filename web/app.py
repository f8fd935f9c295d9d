"""Building the Flask application: configuration, locale, CSRF, error handlers and the blueprints.

``web.create_app`` (in the package) imports this module on first use.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask import Response
from flask import g
from flask import request
from flask import session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from engine import Engine
from engine import clock
from web import formatting
from web import input_guard
from web import observability
from web.config import build_engine
from web.config import load_config
from web.errors import register_error_handlers
from web.i18n import DEFAULT_LOCALE
from web.i18n import LOCALES
from web.i18n import TRANSLATIONS
from web.i18n import compile_catalogs

csrf = CSRFProtect()


def select_locale() -> str:
    """The session's choice, else the browser's preference among ours, else Chinese."""
    chosen = session.get("lang")
    if chosen in LOCALES:
        return chosen
    return DEFAULT_LOCALE


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides defaults and environment (tests pass a dict)."""
    app = Flask(__name__)
    app.config.update(load_config(config))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        BABEL_DEFAULT_LOCALE=DEFAULT_LOCALE,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    if app.config["DANGJIAN_CLOCK"]:
        clock.start_ticking_from(app.config["DANGJIAN_CLOCK"])
    engine = app.config.get("ENGINE") or build_engine(app.config)
    app.extensions["engine"] = engine

    if app.config["PROXY_HOPS"]:
        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    observability.init_app(app, engine)
    input_guard.init_app(app)  # before the blueprints: their routes use its id converter
    compile_catalogs()
    Babel(app, locale_selector=select_locale)
    csrf.init_app(app)
    formatting.init_app(app)
    register_error_handlers(app)

    from web import admin
    from web import api
    from web import auth
    from web import inbox
    from web import modeler
    from web import plans
    from web import processes
    from web import projects
    from web import tasks

    for blueprint in (auth.bp, inbox.bp, tasks.bp, processes.bp, projects.bp, admin.bp, modeler.bp,
                      plans.bp, api.bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api.bp)  # token-authenticated, no cookies

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'")
        return response

    @app.context_processor
    def common() -> dict[str, Any]:
        return {"actor": g.get("actor"), "locale": select_locale(), "locales": LOCALES, "now": clock.now(),
                "request_path": request.full_path}

    return app


def engine_of(app: Flask) -> Engine:
    return app.extensions["engine"]
