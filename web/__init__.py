"""The Flask application: a thin inbox over the engine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask

from engine import Engine
from engine import EngineSettings
from engine import clock
from web.config import load_config


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides defaults and environment (tests pass a dict)."""
    app = Flask(__name__)
    app.config.update(load_config(config))
    if app.config["DANGJIAN_CLOCK"]:
        clock.travel_to(datetime.fromisoformat(app.config["DANGJIAN_CLOCK"]), frozen=False)
    app.extensions["engine"] = config.get("ENGINE") if config and config.get("ENGINE") else Engine(
        EngineSettings(database_url=app.config["DATABASE_URL"]))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def engine_of(app: Flask) -> Engine:
    return app.extensions["engine"]
