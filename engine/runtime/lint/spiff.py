"""The last word: SpiffWorkflow builds every process and decision table, and what it refuses is
reported where it says."""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.errors import phrase
from engine.runtime.lint.linter import Linter
from engine.runtime.lint.nodes import clean
from engine.runtime.lint.nodes import element_at
from engine.runtime.lint.nodes import identified
from engine.runtime.lint.nodes import local_name
from engine.runtime.lint.report import Source
from engine.runtime.specs import new_parser

SPIFF_REFUSES = phrase("SpiffWorkflow refuses it: %(error)s")


def check_with_spiff(lint: Linter) -> None:
    """Let SpiffWorkflow build every process and decision table of the files that parsed and
    met the schema; report what it refuses (with the element and line where it says), except
    on elements the checks above already reported (theirs say more)."""
    reported = {(p.file, p.element) for p in lint.report.problems if p.element}
    before = len(lint.report.problems)
    parser = new_parser()
    for source in lint.sources:
        if source.tree is None or source.name in lint.invalid:
            continue
        try:
            if source.kind == "bpmn":
                parser.add_bpmn_xml(source.tree, filename=source.name)
            else:
                parser.add_dmn_xml(source.tree.getroot(), filename=source.name)
        except ValidationException as error:
            line = int(error.line_number or 0) or source.tree.getroot().sourceline  # the file, at least
            element = error.id or element_at(source.tree, line) or identified(source.tree.getroot())
            lint.report.found(source.name, line, element, "spiff", SPIFF_REFUSES, error=clean(error))
        except Exception as error:  # noqa: BLE001 - the library fails in many ways on foreign files
            lint.report.found(source.name, source.tree.getroot().sourceline, identified(source.tree.getroot()), "spiff",
                              "The file could not be read (%(decisions)s): "
                              "%(error)s", decisions=_decisions_in(source) or "-",
                              error=clean(error) or type(error).__name__)
    for decision_id, dmn in list(parser.dmn_parsers.items()):
        try:
            dmn.parse()
        except Exception as error:  # noqa: BLE001 - e.g. IndexError on a rule without its input column
            file, node = lint.locate(decision_id, dmn.filename)
            lint.report.found(file, node.sourceline if node is not None else None, decision_id, "dmn",
                              "The decision table could not be read: %(error)s",
                              error=clean(error) or type(error).__name__)
    for process_id in parser.get_process_ids():
        try:
            parser.get_spec(process_id)
            parser.get_subprocess_specs(process_id)
        except ValidationException as error:
            file, node = lint.locate(error.id or process_id, error.file_name)  # the process, at least
            lint.report.found(file, node.sourceline if node is not None else None,
                              node.get("id") if node is not None else error.id or None,
                              "spiff", SPIFF_REFUSES, error=clean(error))
        except Exception as error:  # noqa: BLE001 - a foreign construct the library cannot build
            file, node = lint.locate(process_id, None)
            lint.report.found(file, node.sourceline if node is not None else None, process_id, "spiff",
                              "The process could not be built: %(error)s",
                              error=clean(error) or type(error).__name__)
    lint.report.problems[before:] = [p for p in lint.report.problems[before:]
                                     if (p.file, p.element) not in reported]


def _decisions_in(source: Source) -> str:
    """The ids of the decisions a DMN file holds, for messages about the file as a whole."""
    if source.kind != "dmn":
        return ""
    return "、".join(node.get("id") or "?" for node in source.tree.getroot().iter()
                    if local_name(node.tag) == "decision")
