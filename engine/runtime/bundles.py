"""Split linted files into one bundle per executable process: its file, the processes it calls,
the DMN files it uses and the forms its user tasks name, each as text."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from engine.runtime.lint import BPMN
from engine.runtime.lint import NS
from engine.runtime.lint import Source
from engine.runtime.lint import local_name
from engine.runtime.lint import task_properties
from engine.runtime.specs import FORM_PROPERTY
from engine.runtime.specs import UI_FORM_PROPERTY
from engine.runtime.specs import Bundle
from engine.runtime.xmlsafe import XmlError
from engine.runtime.xmlsafe import parse_xml


@dataclass(frozen=True)
class ProcessBundle:
    process_id: str
    name: str
    bundle: Bundle
    sha256: str
    startable: bool  # False for processes that other processes call: they are parts, not cases


def bundle_digest(bundle: Bundle) -> str:
    """sha256 over the canonical JSON of the bundle: equal content, equal digest."""
    canonical = json.dumps(bundle, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _text(source: Source) -> str:
    return source.content.decode("utf-8") if isinstance(source.content, bytes) else source.content


def _index(sources: list[Source]) -> tuple[dict[str, Source], dict[str, str], list[str], dict[str, Source]]:
    """Which file defines each process and each decision; which processes are executable."""
    process_file: dict[str, Source] = {}
    names: dict[str, str] = {}
    executable: list[str] = []
    decision_file: dict[str, Source] = {}
    for source in sources:
        root = source.tree.getroot()
        if source.kind == "dmn":
            decision_file.update({node.get("id"): source for node in root.iter()
                                  if local_name(node.tag) == "decision" and node.get("id")})
            continue
        for process in root.iter(f"{{{BPMN}}}process"):
            process_file[process.get("id")] = source
            names[process.get("id")] = process.get("name") or process.get("id")
            if process.get("isExecutable") == "true":
                executable.append(process.get("id"))
    return process_file, names, executable, decision_file


def _add_references(bundle: Bundle, source: Source, decision_file: dict[str, Source],
                    resolve_form: Callable[[str, str], str | None]) -> None:
    """Add the DMN files and forms ``source``'s tasks refer to."""
    root = source.tree.getroot()
    for task in root.iter(f"{{{BPMN}}}businessRuleTask"):
        node = task.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
        dmn = decision_file.get((node.text or "").strip()) if node is not None else None
        if dmn is not None:
            bundle["dmn"][dmn.name] = _text(dmn)
    for task in root.iter(f"{{{BPMN}}}userTask"):
        props = task_properties(task)
        for name in (props.get(FORM_PROPERTY), props.get(UI_FORM_PROPERTY)):
            text = resolve_form(name, source.name) if name else None
            if name and text is not None:
                bundle["forms"][name] = text


def split_bundles(sources: list[Source], resolve_form: Callable[[str, str], str | None]) -> list[ProcessBundle]:
    """One bundle per executable process in ``sources`` (which the lint has passed)."""
    for source in sources:
        if source.tree is None:
            source.tree = parse_xml(source.content)
    process_file, names, executable, decision_file = _index(sources)
    called = {call.get("calledElement") for source in sources if source.kind == "bpmn"
              for call in source.tree.getroot().iter(f"{{{BPMN}}}callActivity")}
    result = []
    for process_id in executable:
        bundle: Bundle = {"bpmn": {}, "dmn": {}, "forms": {}}
        for source in _closure(process_id, process_file):
            bundle["bpmn"][source.name] = _text(source)
            _add_references(bundle, source, decision_file, resolve_form)
        result.append(ProcessBundle(process_id, names[process_id], bundle, bundle_digest(bundle),
                                    process_id not in called))
    return result


def process_ids_in(text: str) -> set[str]:
    """The ids of the processes a BPMN document defines (none when it is not well-formed)."""
    try:
        root = parse_xml(text).getroot()
    except XmlError:
        return set()
    return {str(node.get("id")) for node in root.iter(f"{{{BPMN}}}process") if node.get("id")}


def defining_file(bundle: Bundle, process_id: str) -> str | None:
    """The name of the BPMN file of ``bundle`` that defines ``process_id``, if any."""
    return next((name for name, text in sorted(bundle.get("bpmn", {}).items())
                 if process_id in text and process_id in process_ids_in(text)), None)


def _closure(process_id: str, process_file: dict[str, Source]) -> list[Source]:
    """The files defining ``process_id`` and, transitively, every process it calls."""
    seen_files: dict[str, Source] = {}
    pending = [process_id]
    seen_processes = set()
    while pending:
        current = pending.pop()
        if current in seen_processes or current not in process_file:
            continue
        seen_processes.add(current)
        source = process_file[current]
        seen_files[source.name] = source
        for call in source.tree.getroot().iter(f"{{{BPMN}}}callActivity"):
            pending.append(call.get("calledElement"))
    return list(seen_files.values())
