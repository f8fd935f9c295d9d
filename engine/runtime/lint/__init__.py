"""Check BPMN/DMN files before deployment and report every problem with file, line and element.

The one front door of the lint: :func:`lint` for files in memory (an upload, the editor),
:func:`lint_paths` for files on disk (``dangjian lint``, the deployment of a folder). It goes
further than SpiffWorkflow's parser, which checks no Python, reports node errors without line
numbers and lets raw ``XMLSyntaxError`` escape. Its rules, by concern:

* :mod:`.files`: reading the files (XML, the BPMN schema) and finding them on disk;
* :mod:`.structure`: how a BPMN diagram is put together (ids, user tasks, forms, roles, references,
  messages, calls);
* :mod:`.scripts` (with :mod:`.code`): scripts, conditions, timers and loops, compiled under the
  sandbox policy, and the names they read;
* :mod:`.foreign`: constructs of other tools (Camunda, Signavio…) with what to use instead;
* :mod:`.dmn_structure` and :mod:`.dmn`: what SpiffWorkflow's DMN reader needs, and the code in
  decision tables;
* :mod:`.diagram`: diagram interchange (DI);
* :mod:`.spiff`: SpiffWorkflow's own verdict, last.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from engine.errors import LintProblem
from engine.runtime.lint import diagram
from engine.runtime.lint import dmn
from engine.runtime.lint import files
from engine.runtime.lint import foreign
from engine.runtime.lint import scripts
from engine.runtime.lint import spiff
from engine.runtime.lint import structure
from engine.runtime.lint.files import form_resolver
from engine.runtime.lint.files import sources_in
from engine.runtime.lint.linter import Linter
from engine.runtime.lint.nodes import BPMN
from engine.runtime.lint.nodes import NS
from engine.runtime.lint.nodes import local_name
from engine.runtime.lint.nodes import task_properties
from engine.runtime.lint.report import FormResolver
from engine.runtime.lint.report import LintReport
from engine.runtime.lint.report import Source

__all__ = ["BPMN", "NS", "FormResolver", "LintReport", "Source", "form_resolver", "lint", "lint_paths", "local_name",
           "sources_in", "task_properties"]

# The rules in the order they run: later ones rely on what earlier ones collected (ids, compiled code,
# files that did not parse) and SpiffWorkflow comes last, to skip what the others already reported.
RULES = (files.parse_files, files.check_xsd, structure.collect_ids, structure.check_executable,
         foreign.check_foreign, scripts.check_scripts_and_conditions, scripts.check_timers,
         scripts.check_multi_instance, structure.check_user_tasks, structure.check_lanes, structure.check_references,
         dmn.check_dmn, scripts.check_names, structure.check_messages, diagram.check_di,
         structure.check_calls_to_itself, spiff.check_with_spiff)


def lint(sources: list[Source], resolve_form: FormResolver) -> LintReport:
    """Every problem in ``sources``; ``resolve_form(name, bpmn_file)`` returns a form's text or None."""
    state = Linter(sources, resolve_form)
    for rule in RULES:
        rule(state)
    report = state.report
    report.problems = [p for p in report.problems if (p.file, p.element) not in state.muted]
    return report


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
