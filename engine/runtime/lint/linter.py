"""The state one lint pass shares between its rules, and the check every piece of code goes through."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from engine.runtime.lint.code import in_python
from engine.runtime.lint.code import language_of
from engine.runtime.lint.nodes import BPMN
from engine.runtime.lint.nodes import identified
from engine.runtime.lint.nodes import short
from engine.runtime.lint.report import FormResolver
from engine.runtime.lint.report import LintReport
from engine.runtime.lint.report import Source
from engine.runtime.sandbox import check_syntax

# ${...} and #{...}: the expression language of Camunda and Activiti (JUEL).
JUEL = re.compile(r"^\s*[$#]\{.*\}\s*$", re.DOTALL)
# What an expression in another language would be in Python, by what it is.
PYTHON_EXAMPLES = {"script": "total = price * quantity", "pre-script": "total = price * quantity",
                   "post-script": "total = price * quantity", "DMN output entry": '"合格"'}
PYTHON_CONDITION = "amount > 10000 and approved == True"


class Linter:
    """One pass over ``sources``: what the rules found so far, and what they share."""

    def __init__(self, sources: list[Source], resolve_form: FormResolver) -> None:
        self.sources = sources
        self.resolve_form = resolve_form
        self.report = LintReport()
        self.invalid: set[str] = set()  # files that failed to parse or broke the BPMN schema
        self.process_ids: set[str] = set()
        self.decision_ids: set[str] = set()
        # Code that compiled, (source, element, text, what it is, mode), for the check of its names.
        self.code: list[tuple[Source, Any, str, str, str]] = []
        # (file, element id) inside processes that only document (isExecutable false, never called).
        self.muted: set[tuple[str, str]] = set()

    def found(self, source: Source, node: Any, code: str, template: str, /, **params: Any) -> None:
        element = identified(node)  # an element without an id: the nearest one around it that has one
        line = node.sourceline if node is not None else None
        self.report.found(source.name, line, element, code, template, **params)

    def expression(self, source: Source, node: Any, text: str | None, what: str, mode: str = "eval",
                   language: str | None = None) -> None:
        """Check the syntax of a script or expression (``language``: what the file declares it is in)."""
        if text is None or not text.strip():
            return
        if JUEL.match(text):
            self.found(source, node, "foreign", "The %(what)s '%(text)s' is a JUEL expression (Camunda, Activiti); "
                       "write it in Python on the process data, e.g. approved == True", what=what, text=text.strip())
            return
        code = text if mode == "exec" else text.strip()
        error = check_syntax(code, mode)
        written_in = language_of(code, language, compiles=error is None) if mode == "eval" else None
        if written_in:
            self.found(source, node, "foreign", "The %(what)s '%(text)s' is written in %(language)s; here it is "
                       "Python on the process data, e.g. %(example)s", what=what, text=short(code),
                       language=written_in,
                       example=in_python(code, written_in) or PYTHON_EXAMPLES.get(what, PYTHON_CONDITION))
        elif error:
            self.found(source, node, "syntax", "Error in the %(what)s: %(error)s", what=what, error=error)
        else:
            self.code.append((source, node, code, what, mode))

    def bpmn_elements(self, local: str) -> Iterator[tuple[Source, Any]]:
        for source in self.sources:
            if source.kind == "bpmn" and source.tree is not None:
                for node in source.tree.iter(f"{{{BPMN}}}{local}"):
                    yield source, node

    def locate(self, element_id: str | None, file_name: str | None) -> tuple[str, Any]:
        for source in self.sources:
            if source.tree is not None and element_id:
                node = source.tree.find(f".//*[@id='{element_id}']")
                if node is not None:
                    return source.name, node
        return file_name or "", None
