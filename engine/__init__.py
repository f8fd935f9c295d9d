"""The workflow engine: SpiffWorkflow runtime, SQL persistence and the use cases over them.

``Engine`` and its settings are imported on first use (PEP 562), so that a process that needs
one small part (the evaluator child, a quick CLI command) does not load the whole engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from engine.errors import EngineError
    from engine.service import Engine
    from engine.settings import EngineSettings

__all__ = ["Engine", "EngineError", "EngineSettings"]


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from engine.service import Engine

        return Engine
    if name == "EngineSettings":
        from engine.settings import EngineSettings

        return EngineSettings
    if name == "EngineError":
        from engine.errors import EngineError

        return EngineError
    raise AttributeError(f"module 'engine' has no attribute {name!r}")

