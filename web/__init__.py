"""The Flask application: a thin inbox over the engine."""

from __future__ import annotations

from typing import Any

from flask import Flask

from engine import Engine
from engine import EngineSettings
from web.config import load_config


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides defaults and environment (tests pass a dict)."""
    app = Flask(__name__)
    app.config.update(load_config(config))
    app.extensions["engine"] = config.get("ENGINE") if config and config.get("ENGINE") else Engine(
        EngineSettings(database_url=app.config["DATABASE_URL"]))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def engine_of(app: Flask) -> Engine:
    return app.extensions["engine"]
