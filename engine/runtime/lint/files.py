"""Reading the files: XML that parses, BPMN that follows the schema, and sources from disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from SpiffWorkflow.spiff.parser.process import VALIDATOR

from engine.errors import NotFound
from engine.runtime.lint.linter import Linter
from engine.runtime.lint.nodes import element_at
from engine.runtime.lint.report import Source
from engine.runtime.xmlsafe import XmlError
from engine.runtime.xmlsafe import parse_xml
from forms import find_form

MODEL_SUFFIXES = {".bpmn": "bpmn", ".dmn": "dmn"}


def sources_in(paths: list[Path]) -> tuple[list[Source], dict[str, Path]]:
    """BPMN and DMN sources under ``paths`` (files or folders), named relative to their folder.

    :raises NotFound: when a path does not exist.
    """
    sources: list[Source] = []
    locations: dict[str, Path] = {}
    for path in paths:
        if not path.exists():
            raise NotFound(what="Path", key=str(path))
        files = sorted(p for p in path.rglob("*") if p.suffix in MODEL_SUFFIXES) if path.is_dir() else [path]
        base = path if path.is_dir() else path.parent
        for file in files:
            if file.suffix not in MODEL_SUFFIXES:
                continue
            name = str(file.relative_to(base))
            sources.append(Source(name, MODEL_SUFFIXES[file.suffix], file.read_bytes()))
            locations[name] = file
    return sources, locations


def form_resolver(locations: dict[str, Path], forms_dir: Path | None) -> Callable[[str, str], str | None]:
    """Forms are looked up beside the diagram first, then in ``forms_dir``."""

    def resolve(name: str, diagram: str) -> str | None:
        beside = locations[diagram].parent if diagram in locations else None
        found = find_form(name, [d for d in (beside, forms_dir) if d is not None])
        return found.read_text(encoding="utf-8") if found else None

    return resolve


def parse_files(lint: Linter) -> None:
    for source in lint.sources:
        try:
            source.tree = parse_xml(source.content)
        except XmlError as error:
            lint.invalid.add(source.name)
            lint.report.found(source.name, error.line, None, "xml", error.template, **error.params)


def check_xsd(lint: Linter) -> None:
    for source in lint.sources:
        if source.kind != "bpmn" or source.tree is None:
            continue
        VALIDATOR.preprocess(source.tree)
        schema = VALIDATOR.validator
        if not schema.validate(source.tree):
            lint.invalid.add(source.name)
            for entry in schema.error_log:
                lint.report.found(source.name, entry.line or None, element_at(source.tree, entry.line), "schema",
                                  "The file does not follow the BPMN schema: %(error)s", error=entry.message)
