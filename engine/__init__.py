"""The workflow engine: SpiffWorkflow runtime, SQL persistence and the use cases over them."""

from engine.errors import EngineError
from engine.service import Engine
from engine.settings import EngineSettings

__all__ = ["Engine", "EngineError", "EngineSettings", "build_engine"]


def build_engine(settings: EngineSettings | None = None) -> Engine:
    """An engine for ``settings`` (defaults: the SQLite file under instance/)."""
    return Engine(settings or EngineSettings())
