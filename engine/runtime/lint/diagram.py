"""Diagram interchange (DI): every element drawn, and no shape on top of another."""

from __future__ import annotations

from engine.runtime.lint.linter import Linter
from engine.runtime.lint.nodes import BPMN
from engine.runtime.lint.nodes import BPMNDI
from engine.runtime.lint.nodes import FLOW_NODES
from engine.runtime.lint.nodes import NS
from engine.runtime.lint.nodes import local_name
from engine.runtime.lint.nodes import nested
from engine.runtime.lint.nodes import number
from engine.runtime.lint.report import Source


def check_di(lint: Linter) -> None:
    for source in lint.sources:
        if source.kind != "bpmn" or source.tree is None:
            continue
        shapes = {node.get("bpmnElement"): node for node in source.tree.iter(f"{{{BPMNDI}}}BPMNShape")}
        edges = {node.get("bpmnElement") for node in source.tree.iter(f"{{{BPMNDI}}}BPMNEdge")}
        for local in FLOW_NODES:
            for node in source.tree.iter(f"{{{BPMN}}}{local}"):
                if node.get("id") not in shapes:
                    lint.found(source, node, "di", "The element has no shape in the diagram (DI)")
        for node in source.tree.iter(f"{{{BPMN}}}sequenceFlow"):
            if node.get("id") not in edges:
                lint.found(source, node, "di", "The sequence flow has no edge in the diagram (DI)")
        _check_overlaps(lint, source)


def _check_overlaps(lint: Linter, source: Source) -> None:
    """Shapes of flow nodes drawn on top of each other, plane by plane (a collapsed sub-process
    is drawn on a plane of its own). A shape inside the sub-process, transaction or ad-hoc
    sub-process that contains it is where it belongs, not an overlap; boundary events sit on
    their host's border."""
    elements = {node.get("id"): node for node in source.tree.iter() if isinstance(node.tag, str) and node.get("id")}
    for plane in source.tree.iter(f"{{{BPMNDI}}}BPMNPlane"):
        boxes = []
        for shape in plane.iter(f"{{{BPMNDI}}}BPMNShape"):
            node, bounds = elements.get(shape.get("bpmnElement")), shape.find("dc:Bounds", NS)
            if node is None or bounds is None or local_name(node.tag) not in FLOW_NODES \
                    or local_name(node.tag) == "boundaryEvent":
                continue
            boxes.append((node, tuple(number(bounds.get(k)) for k in ("x", "y", "width", "height"))))
        for index, (first, (x1, y1, w1, h1)) in enumerate(boxes):
            for node, (x2, y2, w2, h2) in boxes[index + 1:]:
                if x1 < x2 + w2 and x2 < x1 + w1 and y1 < y2 + h2 and y2 < y1 + h1 and not nested(first, node):
                    lint.found(source, node, "di", "The shape overlaps the shape of %(other)s",
                               other=first.get("id"))
