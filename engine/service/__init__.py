"""The engine's use cases, one transaction each, behind one facade."""

from engine.service.facade import Engine

__all__ = ["Engine"]
