"""Constructs of other tools (Camunda, Activiti, Flowable, Signavio) this platform does not run,
each with what it uses instead."""

from __future__ import annotations

from typing import Any

from engine.errors import phrase
from engine.runtime.lint.linter import Linter
from engine.runtime.lint.nodes import BPMN
from engine.runtime.lint.nodes import owner_of
from engine.runtime.lint.nodes import split_tag
from engine.runtime.lint.report import Source

CAMUNDA = ("http://camunda.org/schema/1.0/bpmn", "http://activiti.org/bpmn", "http://flowable.org/bpmn")
# Vendor attributes and extension elements, with what this platform uses instead.
FOREIGN_EQUIVALENTS = {
    "candidateGroups": phrase("who handles a task comes from its lane, or its role property"),
    "candidateUsers": phrase("who handles a task comes from its lane, or its role or assignee property"),
    "assignee": phrase("name the one person in the task's assignee property (a Python expression)"),
    "formKey": phrase("a user task names a JSON-Schema form in its formJsonSchemaFilename property"),
    "formData": phrase("a user task names a JSON-Schema form in its formJsonSchemaFilename property"),
    "formRef": phrase("a user task names a JSON-Schema form in its formJsonSchemaFilename property"),
    "class": phrase("this platform runs no Java code: use a script task (Python in the sandbox) or a user task"),
    "delegateExpression": phrase("this platform runs no Java code: use a script task (Python in the sandbox)"),
    "expression": phrase("write the expression in Python in a script task"),
    "resource": phrase("external script files are not supported: write the script in the script task itself "
                       "(Python)"),
    "topic": phrase("external workers are not supported here: use a user task or a script task"),
    "collection": phrase("a multi-instance task names the list it runs over in loopDataInputRef (a name in the "
                         "process data)"),
    "elementVariable": phrase("each item's name is the inputDataItem of the multi-instance characteristics"),
    "decisionRef": phrase("a business rule task names its DMN decision in spiffworkflow:calledDecisionId"),
    "resultVariable": phrase("a decision's result goes into the process data under the names of its output "
                             "columns"),
    "executionListener": phrase("listeners are not run here: do the work in a script task, or in the task's "
                                "pre-script or post-script (Python)"),
    "taskListener": phrase("listeners are not run here: do the work in a script task, or in the task's "
                           "pre-script or post-script (Python)"),
    "inputOutput": phrase("input/output mappings are not applied here: the task's pre-script or post-script "
                          "(Python) sets the data it reads and keeps"),
}
CAMUNDA_CONSTRUCT = phrase("Camunda construct %(construct)s: %(equivalent)s")
# Task spec names SpiffWorkflow gives its own start and end: an element with one of these ids
# collides with them (the process starts, and no task ever appears).
RESERVED_IDS = ("Start", "End")


def check_foreign(lint: Linter) -> None:
    """Constructs of other tools this platform does not run, each with what it uses instead."""
    for source in lint.sources:
        if source.kind != "bpmn" or source.tree is None:
            continue
        for node in source.tree.iter():
            if isinstance(node.tag, str):
                namespace, local = split_tag(node.tag)
                _check_vendor(lint, source, node, namespace, local)
                if namespace == BPMN:
                    _check_unsupported(lint, source, node, local)


def _check_vendor(lint: Linter, source: Source, node: Any, namespace: str, local: str) -> None:
    """Camunda, Activiti and Flowable attributes and extension elements."""
    if namespace in CAMUNDA and local in FOREIGN_EQUIVALENTS:
        lint.found(source, owner_of(node), "foreign", CAMUNDA_CONSTRUCT, construct=local,
                   equivalent=FOREIGN_EQUIVALENTS[local])
    for key in node.attrib:
        attribute_namespace, name = split_tag(key)
        if attribute_namespace in CAMUNDA and name in FOREIGN_EQUIVALENTS:
            lint.found(source, owner_of(node), "foreign", CAMUNDA_CONSTRUCT, construct=f"camunda:{name}",
                       equivalent=FOREIGN_EQUIVALENTS[name])


def _check_unsupported(lint: Linter, source: Source, node: Any, local: str) -> None:
    """BPMN elements this platform does not run, and ids the engine keeps for itself."""
    vendor_call = any(k.endswith(("}class", "}delegateExpression", "}expression", "}topic")) for k in node.attrib)
    if local in ("serviceTask", "sendTask") and not vendor_call:
        lint.found(source, node, "foreign", "A %(element)s calls another system, which is not supported here: "
                   "use a script task (Python in the sandbox) or a user task", element=local)
    elif local == "scriptTask" and (node.get("scriptFormat") or "python").lower() not in ("python", ""):
        lint.found(source, node, "foreign", "The script is in %(language)s; scripts here are Python, run in the "
                   "sandbox", language=node.get("scriptFormat"))
    elif local in ("dataStoreReference", "dataStore"):
        lint.found(source, node, "foreign", "Data stores are not supported here: keep the data in the process "
                   "data (what forms and scripts set)")
    if node.get("id") in RESERVED_IDS and local not in ("definitions", "process"):
        lint.found(source, node, "reserved_id", "The id %(id)s is reserved by the engine for a process's own "
                   "start and end: give the element another id", id=node.get("id"))
