"""Configuration: every key with its default and a one-line help; nothing else reads os.environ."""

from __future__ import annotations

import os
import secrets
from typing import Any

from engine.settings import DEFAULT_DATABASE_URL

# key: (default, help)
SETTINGS: dict[str, tuple[Any, str]] = {
    "DATABASE_URL": (DEFAULT_DATABASE_URL, "SQLAlchemy URL of the database (SQLite file or PostgreSQL)."),
    "SECRET_KEY": (None, "Signs session cookies and CSRF tokens; generated per start when unset."),
    "SESSION_COOKIE_SECURE": (False, "Send the session cookie over HTTPS only (set true behind TLS)."),
    "MAX_CONTENT_LENGTH": (60 * 1024 * 1024, "Largest accepted request body in bytes (all uploads of one form)."),
    "MAX_UPLOAD_BYTES": (20 * 1024 * 1024, "Largest single uploaded file in bytes."),
    "WORKER_INTERVAL": (30, "Seconds between passes of the timer worker started with the app."),
    "DANGJIAN_CLOCK": ("", "Start the application clock at this ISO time and let it tick (the 2008 demo); "
                           "empty: the real time."),
}


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then environment variables of the same name, then ``overrides`` (tests)."""
    config = {key: default for key, (default, _help) in SETTINGS.items()}
    for key in SETTINGS:
        if key in os.environ:
            config[key] = _coerce(os.environ[key], SETTINGS[key][0])
    config.update(overrides or {})
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = secrets.token_hex(32)
    return config


def _coerce(value: str, default: Any) -> Any:
    if isinstance(default, bool):
        return value.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(value)
    return value
