"""What the lint reads (:class:`Source`) and what it answers (:class:`LintReport`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from engine.errors import LintProblem
from forms.errors import fill

FormResolver = Callable[[str, str], "str | None"]


@dataclass
class Source:
    """One file handed to the lint: its display name, kind ('bpmn' or 'dmn') and content."""

    name: str
    kind: str
    content: bytes | str
    tree: Any = None


@dataclass
class LintReport:
    problems: list[LintProblem] = field(default_factory=list)
    forms: dict[str, str] = field(default_factory=dict)

    def found(self, file: str, line: int | None, element: str | None, code: str, template: str, /,
              **params: Any) -> None:
        """Record a problem: ``template`` is an English message with %(name)s parameters (any name:
        the located arguments are positional-only, so a parameter called ``file`` or ``element`` is
        a parameter like any other)."""
        self.problems.append(LintProblem(file, line, element, code, fill(template, params), template, params))
