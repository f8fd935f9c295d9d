"""The code in DMN decision tables: input expressions, input entries and output entries, once
:mod:`engine.runtime.lint.dmn_structure` found the table readable."""

from __future__ import annotations

from typing import Any

from engine.errors import phrase
from engine.runtime.lint.dmn_structure import dmn_problems
from engine.runtime.lint.linter import Linter
from engine.runtime.lint.nodes import local_name
from engine.runtime.lint.report import Source
from engine.runtime.sandbox import check_syntax

DMN_INPUT_ENTRY = phrase("DMN input entry")


def check_dmn(lint: Linter) -> None:
    for source in lint.sources:
        if source.kind != "dmn" or source.tree is None:
            continue
        structure = dmn_problems(source.tree.getroot())
        for node, template, params in structure:
            lint.found(source, node, "dmn", template, **params)
        if structure:
            lint.invalid.add(source.name)  # SpiffWorkflow would only say "list index out of range"
            continue
        for table in source.tree.getroot().iter():
            if local_name(table.tag) == "decisionTable":
                _check_decision_table(lint, source, table)


def _check_decision_table(lint: Linter, source: Source, table: Any) -> None:
    inputs = [child for child in table if local_name(child.tag) == "input"]
    input_texts = []
    for column in inputs:
        text = next((t.text for t in column.iter() if local_name(t.tag) == "text"), None)
        input_texts.append(text or "")
        lint.expression(source, column, text, phrase("DMN input expression"))
    for rule in (child for child in table if local_name(child.tag) == "rule"):
        entries = [child for child in rule if local_name(child.tag) == "inputEntry"]
        for entry, input_text in zip(entries, input_texts, strict=False):
            text = next((t.text for t in entry.iter() if local_name(t.tag) == "text"), None)
            _check_dmn_entry(lint, source, entry, input_text, text)
        for entry in (child for child in rule if local_name(child.tag) == "outputEntry"):
            text = next((t.text for t in entry.iter() if local_name(t.tag) == "text"), None)
            lint.expression(source, entry, text, phrase("DMN output entry"))


def _check_dmn_entry(lint: Linter, source: Source, entry: Any, input_text: str, text: str | None) -> None:
    if text is None or text.strip() in ("", "-"):
        return
    text = text.strip()
    if "?" in text:
        lint.expression(source, entry, text.replace("?", "dmninputexpr"), DMN_INPUT_ENTRY)
    elif check_syntax(text, "eval") is None:
        lint.expression(source, entry, f"({input_text}) == ({text})", DMN_INPUT_ENTRY)
    else:
        lint.expression(source, entry, f"{input_text} {text}", DMN_INPUT_ENTRY)
