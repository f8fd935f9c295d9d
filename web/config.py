"""Configuration of the web application: every key with its default and a one-line help.

The worker's options (WORKER_INTERVAL, WORKER_LEASE_SECONDS, ...) are read by `dangjian worker` itself and
gunicorn's by deploy/gunicorn.conf.py; docs/operations.md lists them all."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from engine.settings import DEFAULT_DATABASE_URL
from engine.settings import ROOT
from engine.settings import EngineSettings

if TYPE_CHECKING:
    from engine import Engine

# key: (default, help)
SETTINGS: dict[str, tuple[Any, str]] = {
    "DATABASE_URL": (DEFAULT_DATABASE_URL, "SQLAlchemy URL of the database (SQLite file or PostgreSQL)."),
    "SECRET_KEY": (None, "Signs session cookies and CSRF tokens; when unset, generated once and kept in "
                         "INSTANCE_PATH/secret_key (readable by the server's user only)."),
    "INSTANCE_PATH": (str(ROOT / "instance"), "Folder for what the server keeps between starts (the secret key)."),
    "SESSION_COOKIE_SECURE": (False, "Send the session cookie over HTTPS only (set true behind TLS)."),
    "MAX_CONTENT_LENGTH": (60 * 1024 * 1024, "Largest accepted request body in bytes (all uploads of one form)."),
    "MAX_UPLOAD_BYTES": (20 * 1024 * 1024, "Largest single uploaded file in bytes."),
    "UPLOAD_QUOTA_BYTES": (200 * 1024 * 1024, "All files of one project together, in bytes."),
    "MAX_STARTS_PER_DAY": (20, "Processes one user may start in one day."),
    "LOG_FORMAT": ("text", "text: readable log lines; json: one JSON object per line (time, level, logger, "
                           "message, request_id) for a log collector."),
    "PROXY_HOPS": (0, "Reverse proxies in front of the application (1 behind deploy/dangjian.nginx.conf): their "
                      "X-Forwarded-For gives the client address that sign-in throttling counts per."),
    "ORGANISATION_NAME": ("中共雅安市委组织部", "The organisation's full name, on every page's footer, exports and "
                                                "printed documents."),
    "DANGJIAN_CLOCK": ("", "Start the application clock at this ISO time and let it tick (the 2008 demo); "
                           "ISO-TIME@EPOCH: it read ISO-TIME at that Unix time (all processes agree); "
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
        config["SECRET_KEY"] = kept_secret(Path(config["INSTANCE_PATH"]) / "secret_key")
    return config


ENGINE_KEYS = ("DATABASE_URL", "MAX_UPLOAD_BYTES", "UPLOAD_QUOTA_BYTES", "MAX_STARTS_PER_DAY")


def engine_settings(config: dict[str, Any] | None = None) -> EngineSettings:
    """The engine's settings from the application's ``config``, or from the environment as
    :func:`load_config` reads it: the one place the web application and the command line build them."""
    if config is None:
        config = {key: _coerce(os.environ[key], SETTINGS[key][0]) if key in os.environ else SETTINGS[key][0]
                  for key in ENGINE_KEYS}
    return EngineSettings(database_url=config["DATABASE_URL"], max_upload_bytes=config["MAX_UPLOAD_BYTES"],
                          upload_quota_bytes=config["UPLOAD_QUOTA_BYTES"],
                          max_starts_per_day=config["MAX_STARTS_PER_DAY"])


def build_engine(config: dict[str, Any] | None = None) -> Engine:
    """The engine of the web application and the command line: the party-building process on the
    settings of ``config`` (see :func:`engine_settings`); the one place either builds one."""
    from engine import Engine  # here: ``dangjian --help`` reads this module and must not load the engine
    from party import PARTY

    return Engine(engine_settings(config), domain=PARTY)


def kept_secret(path: Path) -> str:
    """The secret in ``path``, created (mode 0600) on first use, so restarts keep people signed in.

    Several server processes may start at once: exactly one creates the file, the others read it.
    """
    for _ in range(50):
        try:
            secret = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            secret = ""
        else:
            if secret:
                return secret
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            time.sleep(0.02)  # another process is writing it: read it on the next round
            continue
        secret = secrets.token_hex(32)
        with os.fdopen(handle, "w", encoding="ascii") as file:
            file.write(secret)
        return secret
    raise RuntimeError(f"{path} exists but stays empty; remove it and start again")


def _coerce(value: str, default: Any) -> Any:
    if isinstance(default, bool):
        return value.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(value)
    return value
