"""Compare two versions of a BPMN file element by element: what was added, removed or changed, and
which of its properties (name, lane, form, scripts, conditions, timers, called process, the
``spiffworkflow:properties``) changed. Layout (diagram interchange) is not compared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.runtime.xmlsafe import parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
# Child elements whose text is part of the element's behaviour.
TEXT_CHILDREN = ("conditionExpression", "script", "timeDate", "timeDuration", "timeCycle", "documentation",
                 "loopCardinality", "completionCondition", "preScript", "postScript", "calledDecisionId",
                 "instructionsForEndUser")


@dataclass(frozen=True)
class ElementChange:
    """One element that differs: ``change`` is added, removed or changed; ``properties`` lists
    (property, before, after) for a changed one."""

    element_id: str
    change: str
    type: str
    name: str
    properties: tuple[tuple[str, str, str], ...] = ()


def _local(tag: Any) -> str:
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def _lanes(root: Any) -> dict[str, str]:
    """Flow node id -> the name of the lane holding it."""
    found = {}
    for lane in root.iter(f"{{{BPMN}}}lane"):
        for ref in lane.iter(f"{{{BPMN}}}flowNodeRef"):
            found[(ref.text or "").strip()] = lane.get("name") or lane.get("id") or ""
    return found


def _describe(node: Any, lanes: dict[str, str]) -> dict[str, str]:
    """The comparable properties of one element."""
    props = {f"@{key}": value for key, value in node.attrib.items() if key not in ("id",)}
    element_id = node.get("id")
    if element_id in lanes:
        props["lane"] = lanes[element_id]
    for child in node.iter():
        if child is node:
            continue
        name = _local(child.tag)
        if name in TEXT_CHILDREN and (child.text or "").strip():
            props[name] = child.text.strip()
        elif name == "property" and child.tag == f"{{{SPIFF}}}property":
            props[f"property:{child.get('name')}"] = child.get("value") or (child.text or "").strip()
        elif name == "incoming" or name == "outgoing":
            continue
    return props


def _elements(xml: str) -> dict[str, tuple[str, str, dict[str, str]]]:
    """Element id -> (type, name, properties) for every BPMN model element with an id."""
    root = parse_xml(xml).getroot()
    lanes = _lanes(root)
    found: dict[str, tuple[str, str, dict[str, str]]] = {}
    for node in root.iter():
        if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN}}}") or node.get("id") is None:
            continue
        if _local(node.tag) in ("definitions", "laneSet", "lane", "collaboration"):
            continue
        found[str(node.get("id"))] = (_local(node.tag), node.get("name") or "", _describe(node, lanes))
    return found


def diff_diagrams(before: str, after: str) -> list[ElementChange]:
    """The element changes from ``before`` to ``after`` (BPMN XML), removed first, then changed,
    then added, each in document order.

    :raises XmlError: when either text is not well-formed XML.
    """
    old, new = _elements(before), _elements(after)
    changes = [ElementChange(key, "removed", *old[key][:2]) for key in old if key not in new]
    for key in new:
        if key not in old:
            continue
        (_t, _n, a), (kind, name, b) = old[key], new[key]
        properties = tuple((prop, a.get(prop, ""), b.get(prop, "")) for prop in sorted(set(a) | set(b))
                           if a.get(prop, "") != b.get(prop, ""))
        if properties or old[key][0] != kind:
            changes.append(ElementChange(key, "changed", kind, name, properties))
    changes += [ElementChange(key, "added", *new[key][:2]) for key in new if key not in old]
    return changes
