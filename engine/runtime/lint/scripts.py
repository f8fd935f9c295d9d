"""The code in BPMN diagrams: scripts, conditions, timers, loops, and the names they read."""

from __future__ import annotations

import json
import re

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.errors import phrase
from engine.runtime.lint.code import NEVER_DEFINED
from engine.runtime.lint.code import names_assigned
from engine.runtime.lint.code import names_read
from engine.runtime.lint.linter import JUEL
from engine.runtime.lint.linter import Linter
from engine.runtime.lint.nodes import NS
from engine.runtime.lint.nodes import SPIFF
from engine.runtime.lint.nodes import split_tag
from engine.runtime.lint.nodes import text_of
from engine.runtime.sandbox import check_syntax
from engine.runtime.specs import quote_bare_iso
from engine.runtime.specs import timer_literal

_LOOKS_ISO = re.compile(r"^(P\d|PT\d|R\d*/|\d{4}-\d{2})")
_LOWERCASE_ISO = re.compile(r"^(p(\d|t\d)|r\d*/p)[0-9a-z./]*$", re.IGNORECASE)
NOT_ISO = phrase("The %(kind)s '%(text)s' is not a valid ISO-8601 value")


def check_scripts_and_conditions(lint: Linter) -> None:
    for source, node in lint.bpmn_elements("script"):
        lint.expression(source, node.getparent(), node.text, phrase("script"), "exec")
    for tag, what in (("preScript", phrase("pre-script")), ("postScript", phrase("post-script"))):
        for source in lint.sources:
            if source.kind == "bpmn" and source.tree is not None:
                for node in source.tree.iter(f"{{{SPIFF}}}{tag}"):
                    owner = node.getparent().getparent()
                    lint.expression(source, owner, node.text, what, "exec")
    for source, node in lint.bpmn_elements("conditionExpression"):
        declared = node.get("language") or source.tree.getroot().get("expressionLanguage")
        lint.expression(source, node.getparent(), node.text, phrase("condition"), language=declared)


def check_timers(lint: Linter) -> None:
    parsers = {"timeDate": TimerEventDefinition.parse_time_or_duration,
               "timeDuration": TimerEventDefinition.parse_iso_duration,
               "timeCycle": TimerEventDefinition.parse_iso_recurring_interval}
    for source, definition in lint.bpmn_elements("timerEventDefinition"):
        event = definition.getparent()
        written = [(kind, text_of(definition, f"bpmn:{kind}")) for kind in parsers]
        expressions = [(kind, text) for kind, text in written if text and text.strip()]
        if len(expressions) != 1:
            lint.found(source, event, "timer", "A timer needs exactly one of timeDate, timeDuration, timeCycle")
            continue
        kind, text = expressions[0]
        if _LOWERCASE_ISO.match(text.strip()) and not _LOOKS_ISO.match(text.strip()):
            lint.found(source, event, "timer", "The %(kind)s '%(text)s' looks like an ISO-8601 value written in "
                       "small letters; write it in capitals: %(capitals)s", kind=kind, text=text.strip(),
                       capitals=text.strip().upper())
            continue
        if JUEL.match(text):
            lint.expression(source, event, text, kind)
            continue
        if _LOOKS_ISO.match(text.strip()) and timer_literal(text) is None:
            lint.found(source, event, "timer", NOT_ISO, kind=kind, text=text.strip())
            continue
        error = check_syntax(quote_bare_iso(text).strip(), "eval")
        if error:
            lint.found(source, event, "timer", "The %(kind)s '%(text)s' is not a valid expression: %(error)s",
                       kind=kind, text=text.strip(), error=error)
            continue
        literal = timer_literal(text)
        if literal is None:
            continue  # reads process data (the year calendar): checked when it runs
        try:
            parsers[kind](literal)
        except Exception:  # noqa: BLE001 - the library raises bare Exception for bad ISO values
            lint.found(source, event, "timer", NOT_ISO, kind=kind, text=literal)


def check_multi_instance(lint: Linter) -> None:
    for source, node in lint.bpmn_elements("multiInstanceLoopCharacteristics"):
        owner = node.getparent()
        lint.expression(source, owner, text_of(node, "bpmn:loopCardinality"), phrase("loop cardinality"))
        lint.expression(source, owner, text_of(node, "bpmn:completionCondition"), phrase("completion condition"))
        vendor = any(split_tag(key)[1] == "collection" for key in node.attrib)  # named by check_vendor
        if node.find("bpmn:loopDataInputRef", NS) is None and node.find("bpmn:loopCardinality", NS) is None \
                and not vendor:
            lint.found(source, owner, "multi_instance", "A multi-instance task needs loopDataInputRef or "
                       "loopCardinality")
    for source, node in lint.bpmn_elements("standardLoopCharacteristics"):
        lint.expression(source, node.getparent(), text_of(node, "bpmn:loopCondition"), phrase("loop condition"))


def check_names(lint: Linter) -> None:
    """Names the scripts and expressions read that can never exist here (see
    :mod:`engine.runtime.lint.code`), unless something in these files assigns them."""
    assigned: set[str] = set()
    for _source, _node, text, _what, mode in lint.code:
        if mode == "exec":
            assigned |= names_assigned(text, mode)
    for local in ("dataObject", "inputDataItem", "outputDataItem", "property", "dataInput", "dataOutput"):
        assigned.update(node.get("name") or node.get("id") for _source, node in lint.bpmn_elements(local))
    for text in lint.report.forms.values():
        assigned.update(_form_fields(text))
    for source, node, text, what, mode in lint.code:
        for name in sorted((names_read(text, mode) & NEVER_DEFINED) - assigned):
            lint.found(source, node, "name", "The %(what)s uses %(name)s, which does not exist for scripts here "
                       "(it would stop with a NameError): use the process data, the helper functions such as "
                       "today() and the allowed built-ins", what=what, name=name)


def _form_fields(text: str) -> set[str]:
    """The top-level field names of a form (what a user task puts in the process data)."""
    try:
        schema = json.loads(text)
    except ValueError:
        return set()
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return set(properties) if isinstance(properties, dict) else set()
