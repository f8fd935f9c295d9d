"""Access to the engine the application factory built."""

from __future__ import annotations

from flask import current_app

from engine import Engine


def engine() -> Engine:
    return current_app.extensions["engine"]
