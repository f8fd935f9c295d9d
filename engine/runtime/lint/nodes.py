"""Namespaces of BPMN files and small readers of their elements, shared by the lint's rules."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "spiffworkflow": SPIFF}

FLOW_NODES = ("task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
              "receiveTask", "callActivity", "subProcess", "startEvent", "endEvent", "intermediateCatchEvent",
              "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "parallelGateway",
              "inclusiveGateway", "eventBasedGateway", "transaction", "adHocSubProcess", "complexGateway")


def local_name(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def task_properties(node: Any) -> dict[str, str]:
    return {prop.get("name"): prop.get("value", "") for prop in node.iterfind(
        "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)}


def text_of(node: Any, path: str) -> str | None:
    found = node.find(path, NS)
    return found.text if found is not None and found.text is not None else None


def lane_of(node: Any) -> Any:
    process = node.getparent()
    while process is not None and local_name(process.tag) not in ("process", "subProcess"):
        process = process.getparent()
    if process is None:
        return None
    for ref in process.iter(f"{{{BPMN}}}flowNodeRef"):
        if (ref.text or "").strip() == node.get("id"):
            return ref.getparent()
    return None


def split_tag(tag: str) -> tuple[str, str]:
    """(namespace, local name) of a Clark-notation tag or attribute name."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def owner_of(node: Any) -> Any:
    """The BPMN element an extension element belongs to (for locating a problem)."""
    while node is not None and (not isinstance(node.tag, str) or node.get("id") is None
                                or not node.tag.startswith(f"{{{BPMN}}}")):
        node = node.getparent()
    return node


def process_of(node: Any) -> Any:
    while node is not None and local_name(node.tag) != "process":
        node = node.getparent()
    return node


def nested(first: Any, second: Any) -> bool:
    """Whether one element contains the other (a task inside its sub-process)."""
    return any(parent is first for parent in second.iterancestors()) or \
        any(parent is second for parent in first.iterancestors())


def number(text: str | None) -> float:
    try:
        return float(text or 0)
    except ValueError:
        return 0.0


def short(text: str, limit: int = 120) -> str:
    """``text`` on one line, cut at ``limit`` characters."""
    line = re.sub(r"\s+", " ", text).strip()
    return line if len(line) <= limit else line[:limit - 1] + "…"


def clean(error: Exception) -> str:
    return re.sub(r"\s+", " ", str(error)).strip()


def element_at(tree: Any, line: int | None) -> str | None:
    """The id of the element that starts on ``line`` (or, without an id, of the nearest one around
    it that has one), for a message that only knows the line; None when there is none."""
    if tree is None or not line:
        return None
    for node in tree.iter():
        if isinstance(node.tag, str) and node.sourceline == line:
            return identified(node)
    return None


def identified(node: Any) -> str | None:
    """The id of ``node``, or of its nearest ancestor that has one."""
    while node is not None:
        if isinstance(node.tag, str) and node.get("id"):
            return str(node.get("id"))
        node = node.getparent()
    return None
