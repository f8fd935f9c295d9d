"""What every service shares: settings, the domain, the database, the model cache, the run store, the actors."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine.domain import Domain
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


class ActorCache:
    """Active users as Actors, remembered for ``actor_cache_seconds``.

    Changes made through this engine take effect at once (``forget`` also runs every callback that
    other services registered for what they derive from users: API tokens, the directory, sole
    holders of tasks); changes made by another process within the cache time.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        self._actors: dict[str, tuple[Actor, float]] = {}
        self._on_forget: list[Callable[[], None]] = []

    def actor_in(self, session: Session, username: str) -> Actor:
        """The active user as an Actor. :raises NotAllowed: for an unknown or inactive user."""
        actor = self.cached(username)
        if actor is not None:
            return actor
        now = time.monotonic()
        actor = load_actor(session, username)
        with self.lock:
            self._actors[username] = (actor, now + self.seconds)
        return actor

    def cached(self, username: str) -> Actor | None:
        """The user's Actor if it is cached and fresh, else None (no database access)."""
        cached = self._actors.get(username)
        return cached[0] if cached is not None and cached[1] > time.monotonic() else None

    def when_forgotten(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` whenever the cached actors are dropped."""
        self._on_forget.append(callback)

    def forget(self) -> None:
        """Drop cached actors and everything registered as derived from them, after a change to
        users, roles, units or tokens."""
        with self.lock:
            self._actors.clear()
        for callback in self._on_forget:
            callback()


@dataclass(frozen=True)
class Core:
    """The parts every service is built on; one per engine."""

    settings: EngineSettings
    domain: Domain
    db: Database
    models: ModelCache
    runs: RunStore
    actors: ActorCache

    @classmethod
    def open(cls, settings: EngineSettings, domain: Domain, database: Database | None = None) -> Core:
        """A core for ``domain`` on ``database`` (another engine's connection pools, for tests that
        play a second server process) or, by default, on pools of its own."""
        models = ModelCache()
        runs = RunStore(settings, models, domain)
        actors = ActorCache(settings.actor_cache_seconds)
        actors.when_forgotten(runs.forget_holders)
        return cls(settings, domain, database or Database(settings.database_url), models, runs, actors)


class Service:
    """A group of use cases, one transaction each, on the shared core."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.settings = core.settings
        self.domain = core.domain
        self.db = core.db
        self.models = core.models
        self.runs = core.runs

    def actor_in(self, session: Session, username: str) -> Actor:
        """The active user as an Actor (cached). :raises NotAllowed: for an unknown or inactive user."""
        return self.core.actors.actor_in(session, username)
