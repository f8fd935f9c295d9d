"""Clauses shared by the pages' queries: unit subtrees and who reads which projects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import literal
from sqlalchemy import or_

from engine.persistence.models import ProcessInstance

# The clause of a city-wide reader: every project.
CITY_WIDE = literal(True)


def like_prefix(path: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching every text that starts with ``path``."""
    return path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def under(column: Any, path: str) -> Any:
    """``column`` (a unit path) lies in the subtree of ``path``."""
    return column.like(like_prefix(path), escape="\\")


@dataclass(frozen=True)
class ProjectScope:
    """Which projects a reader sees: those of the units under ``path`` (every project when None);
    with ``own``, the projects that user started or is responsible for, and those under ``path``
    when one is given."""

    path: str | None = None
    own: str | None = None

    @property
    def city_wide(self) -> bool:
        return self.path is None and self.own is None

    def clause(self) -> Any:
        """The WHERE clause on ``ProcessInstance`` of this scope."""
        mine = None if self.own is None else or_(ProcessInstance.started_by == self.own,
                                                 ProcessInstance.responsible == self.own)
        if self.path is None:
            return CITY_WIDE if mine is None else mine
        subtree = under(ProcessInstance.unit_path, self.path)
        return subtree if mine is None else or_(mine, subtree)
