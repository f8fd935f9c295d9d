"""What every group of use cases shares: settings, the database, the model cache, the run store."""

from __future__ import annotations

from engine.persistence.db import Database
from engine.runtime.specs import ModelCache
from engine.service.runs import RunStore
from engine.settings import EngineSettings


class ServiceBase:
    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.db = Database(settings.database_url)
        self.models = ModelCache()
        self.runs = RunStore(settings, self.models)
