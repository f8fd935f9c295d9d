"""What every group of use cases shares: settings, the database, the model cache, the run store."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from typing import Any

from sqlalchemy.orm import Session

from engine.persistence.db import Database
from engine.runtime.specs import ModelCache
from engine.service.actors import Actor
from engine.service.actors import load_actor
from engine.service.runs import RunStore
from engine.settings import EngineSettings

_IDENTITY: tuple[int, str] | None = None


def worker_identity() -> str:
    """This process's name as a lease owner: host, process id and a random tag (a restarted
    process that got the same id is someone else)."""
    global _IDENTITY
    if _IDENTITY is None or _IDENTITY[0] != os.getpid():
        _IDENTITY = (os.getpid(), f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}")
    return _IDENTITY[1]


class ServiceBase:
    def __init__(self, settings: EngineSettings, database: Database | None = None) -> None:
        """``database`` shares another engine's connection pools (tests that play a second server
        process); by default the engine opens its own."""
        self.settings = settings
        self.db = database or Database(settings.database_url)
        self.models = ModelCache()
        self.runs = RunStore(settings, self.models)
        self._actors: dict[str, tuple[Actor, float]] = {}
        # API token digest: (username, remembered until (monotonic), the token's expiry)
        self._tokens: dict[str, tuple[str, float, Any]] = {}
        self._directory: tuple[Any, float] | None = None
        self._actors_lock = threading.Lock()
        # (day, newest event id) at the last scan for late quality nodes: nothing new, no scan.
        self._quality_nodes_checked: tuple[Any, int | None] | None = None

    def actor_in(self, session: Session, username: str) -> Actor:
        """The active user as an Actor, cached for ``actor_cache_seconds``.

        Changes made through this engine take effect at once; changes made by another process
        within the cache time.

        :raises NotAllowed: for an unknown or inactive user.
        """
        actor = self.cached_actor(username)
        if actor is not None:
            return actor
        now = time.monotonic()
        actor = load_actor(session, username)
        with self._actors_lock:
            self._actors[username] = (actor, now + self.settings.actor_cache_seconds)
        return actor

    def cached_actor(self, username: str) -> Actor | None:
        """The user's Actor if it is cached and fresh, else None (no database access)."""
        cached = self._actors.get(username)
        return cached[0] if cached is not None and cached[1] > time.monotonic() else None

    def forget_actors(self) -> None:
        """Drop cached actors, API tokens and sole holders of tasks after a change to users, roles,
        units or tokens."""
        with self._actors_lock:
            self._actors.clear()
            self._tokens.clear()
        self._directory = None
        self.runs.forget_holders()
