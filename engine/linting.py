"""Linting diagram files from disk, without a database: what ``dangjian lint`` and the deployment
of a folder share. Kept apart from the use cases so that the command line loads only the lint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from engine.errors import LintProblem
from engine.errors import NotFound
from engine.runtime.lint import Source
from engine.runtime.lint import lint
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


def lint_paths(paths: list[Path], forms_dir: Path | None) -> list[LintProblem]:
    """Every problem in the BPMN/DMN files under ``paths``; empty when they may be deployed.

    Each path (a file, or a folder of files that belong together) is checked on its own, so
    unrelated files do not report each other's process ids; problems name the file by its path.

    :raises NotFound: when a path does not exist.
    """
    problems = []
    for path in paths:
        sources, locations = sources_in([path])
        for problem in lint(sources, form_resolver(locations, forms_dir)).problems:
            located = locations.get(problem.file)
            problems.append(replace(problem, file=str(located)) if located is not None else problem)
    return problems
