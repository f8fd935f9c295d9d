"""The Flask application: a thin inbox over the engine.

``flask --app web run`` and ``gunicorn 'web:create_app()'`` find :func:`create_app`; the database
comes from ``DATABASE_URL``. The application is built in :mod:`web.app` and imported on first use,
so that the ``dangjian`` command line (``web.cli``) starts without loading Flask and the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides defaults and environment (tests pass a dict)."""
    from web.app import create_app as build

    return build(config)
