"""Throwaway BPMN diagrams for tests, with diagram interchange (DI), from a compact description.

Tests that need a small, deliberately broken or hostile diagram build it here instead of keeping
one more file: columns by longest path from the start (back edges ignored), one band per lane,
rows inside a lane, orthogonal edges. The shipped diagrams in ``workflows/`` and the test
diagrams in ``tests/diagrams/`` are source files edited by hand or in a modeler; nothing here
writes them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from dataclasses import field
from xml.sax.saxutils import escape
from xml.sax.saxutils import quoteattr

from tests.bpmn_layout import LANE_LABEL
from tests.bpmn_layout import LEFT
from tests.bpmn_layout import POOL_LABEL
from tests.bpmn_layout import TOP
from tests.bpmn_layout import Layout

TASK_TAGS = {"user": "userTask", "manual": "manualTask", "script": "scriptTask", "rule": "businessRuleTask",
             "call": "callActivity", "task": "task"}
EVENT_TAGS = {"start": "startEvent", "end": "endEvent", "catch": "intermediateCatchEvent", "boundary": "boundaryEvent"}
GATEWAY_TAGS = {"xor": "exclusiveGateway", "and": "parallelGateway", "or": "inclusiveGateway"}


@dataclass
class Node:
    id: str
    kind: str
    name: str = ""
    lane: str | None = None
    props: dict[str, str] = field(default_factory=dict)
    documentation: str = ""
    script: str | None = None
    pre_script: str | None = None
    post_script: str | None = None
    decision: str | None = None
    called: str | None = None
    timer: tuple[str, str] | None = None  # (timeDate|timeDuration|timeCycle, expression)
    attached_to: str | None = None
    interrupting: bool = True
    terminate: bool = False
    multi: dict[str, str] | None = None
    loop: dict[str, str] | None = None
    default: str | None = None
    error_code: str | None = None

    @property
    def shape(self) -> str:
        if self.kind in GATEWAY_TAGS:
            return "gateway"
        if self.kind in EVENT_TAGS:
            return "event"
        return "task"

    @property
    def tag(self) -> str:
        return {**TASK_TAGS, **EVENT_TAGS, **GATEWAY_TAGS}[self.kind]


@dataclass
class Flow:
    id: str
    source: str
    target: str
    condition: str | None = None
    name: str = ""


class Process:
    """A process being described; call the element methods in flow order, then :meth:`to_xml`."""

    def __init__(self, process_id: str, name: str, lanes: list[tuple[str, str]] | None = None,
                 documentation: str = "") -> None:
        self.id = process_id
        self.name = name
        self.documentation = documentation
        self.lanes = list(lanes or [])  # (lane id, lane name shown, normally a role title)
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []

    # -- elements ----------------------------------------------------------------------------

    def _add(self, node: Node) -> Node:
        if node.id in self.nodes:
            raise ValueError(f"duplicate id {node.id}")
        self.nodes[node.id] = node
        return node

    def start(self, node_id: str = "start", name: str = "", lane: str | None = None) -> Node:
        return self._add(Node(node_id, "start", name, lane))

    def end(self, node_id: str, name: str = "", lane: str | None = None, terminate: bool = False,
            **props: str) -> Node:
        return self._add(Node(node_id, "end", name, lane, dict(props), terminate=terminate))

    def user(self, node_id: str, name: str, lane: str | None = None, form: str | None = None,
             documentation: str = "", multi: dict[str, str] | None = None, post_script: str | None = None,
             **props: str) -> Node:
        properties = dict(props)
        if form:
            properties["formJsonSchemaFilename"] = form
        return self._add(Node(node_id, "user", name, lane, properties, documentation, multi=multi,
                              post_script=post_script))

    def manual(self, node_id: str, name: str, lane: str | None = None, **props: str) -> Node:
        return self._add(Node(node_id, "manual", name, lane, dict(props)))

    def untyped(self, node_id: str, name: str, lane: str | None = None) -> Node:
        return self._add(Node(node_id, "task", name, lane))

    def script(self, node_id: str, name: str, script: str, lane: str | None = None) -> Node:
        return self._add(Node(node_id, "script", name, lane, script=script))

    def rule(self, node_id: str, name: str, decision: str, lane: str | None = None) -> Node:
        return self._add(Node(node_id, "rule", name, lane, decision=decision))

    def call(self, node_id: str, name: str, called: str, lane: str | None = None,
             loop: dict[str, str] | None = None) -> Node:
        return self._add(Node(node_id, "call", name, lane, called=called, loop=loop))

    def xor(self, node_id: str, name: str = "", lane: str | None = None) -> Node:
        return self._add(Node(node_id, "xor", name, lane))

    def parallel(self, node_id: str, name: str = "", lane: str | None = None) -> Node:
        return self._add(Node(node_id, "and", name, lane))

    def timer(self, node_id: str, name: str, kind: str, expression: str, lane: str | None = None) -> Node:
        return self._add(Node(node_id, "catch", name, lane, timer=(kind, expression)))

    def boundary_timer(self, node_id: str, name: str, attached_to: str, kind: str, expression: str,
                       interrupting: bool = True) -> Node:
        host = self.nodes[attached_to]
        return self._add(Node(node_id, "boundary", name, host.lane, timer=(kind, expression),
                              attached_to=attached_to, interrupting=interrupting))

    def flow(self, source: str, target: str, condition: str | None = None, name: str = "",
             default: bool = False) -> Flow:
        flow = Flow(f"flow_{source}_{target}", source, target, condition, name)
        if any(existing.id == flow.id for existing in self.flows):
            flow.id += f"_{len(self.flows)}"
        self.flows.append(flow)
        if default:
            self.nodes[source].default = flow.id
        return flow

    def chain(self, *node_ids: str) -> None:
        for source, target in itertools.pairwise(node_ids):
            self.flow(source, target)

    # -- XML ---------------------------------------------------------------------------------

    @staticmethod
    def _attributes(node: Node) -> str:
        attrs = f" id={quoteattr(node.id)}"
        if node.name:
            attrs += f" name={quoteattr(node.name)}"
        if node.kind == "call":
            attrs += f" calledElement={quoteattr(node.called or '')}"
        if node.attached_to:
            attrs += f" attachedToRef={quoteattr(node.attached_to)}"
            if not node.interrupting:
                attrs += ' cancelActivity="false"'
        if node.default:
            attrs += f" default={quoteattr(node.default)}"
        return attrs

    @staticmethod
    def _extensions(node: Node) -> str:
        extensions = []
        if node.props:
            props = "".join(f"<spiffworkflow:property name={quoteattr(k)} value={quoteattr(v)} />"
                            for k, v in node.props.items())
            extensions.append(f"<spiffworkflow:properties>{props}</spiffworkflow:properties>")
        for tag, value in (("calledDecisionId", node.decision), ("preScript", node.pre_script),
                           ("postScript", node.post_script)):
            if value:
                extensions.append(f"<spiffworkflow:{tag}>{escape(value)}</spiffworkflow:{tag}>")
        return f"<bpmn:extensionElements>{''.join(extensions)}</bpmn:extensionElements>" if extensions else ""

    @staticmethod
    def _characteristics(node: Node) -> str:
        parts = []
        if node.multi:
            parts.append(_multi_xml(node.multi))
        if node.loop:
            maximum = node.loop.get("maximum")
            loop_attrs = f' loopMaximum="{maximum}"' if maximum else ""
            parts.append(f"<bpmn:standardLoopCharacteristics{loop_attrs}><bpmn:loopCondition>"
                         f"{escape(node.loop.get('condition', ''))}</bpmn:loopCondition>"
                         "</bpmn:standardLoopCharacteristics>")
        if node.script is not None:
            parts.append(f"<bpmn:script>{escape(node.script)}</bpmn:script>")
        if node.timer:
            kind, expression = node.timer
            parts.append(f'<bpmn:timerEventDefinition id="{node.id}_timer"><bpmn:{kind}>{escape(expression)}'
                         f"</bpmn:{kind}></bpmn:timerEventDefinition>")
        if node.terminate:
            parts.append(f'<bpmn:terminateEventDefinition id="{node.id}_terminate" />')
        return "".join(parts)

    def _node_xml(self, node: Node, incoming: list[str], outgoing: list[str]) -> str:
        body = [f"<bpmn:documentation>{escape(node.documentation)}</bpmn:documentation>"] if node.documentation else []
        body.append(self._extensions(node))
        body += [f"<bpmn:incoming>{flow}</bpmn:incoming>" for flow in incoming]
        body += [f"<bpmn:outgoing>{flow}</bpmn:outgoing>" for flow in outgoing]
        body.append(self._characteristics(node))
        return f"<bpmn:{node.tag}{self._attributes(node)}>{''.join(body)}</bpmn:{node.tag}>"

    def _flow_xml(self, flow: Flow) -> str:
        attrs = f"id={quoteattr(flow.id)} sourceRef={quoteattr(flow.source)} targetRef={quoteattr(flow.target)}"
        if flow.name:
            attrs += f" name={quoteattr(flow.name)}"
        if flow.condition:
            return (f"<bpmn:sequenceFlow {attrs}><bpmn:conditionExpression>{escape(flow.condition)}"
                    f"</bpmn:conditionExpression></bpmn:sequenceFlow>")
        return f"<bpmn:sequenceFlow {attrs} />"

    def process_xml(self) -> str:
        incoming: dict[str, list[str]] = {n: [] for n in self.nodes}
        outgoing: dict[str, list[str]] = {n: [] for n in self.nodes}
        for flow in self.flows:
            outgoing[flow.source].append(flow.id)
            incoming[flow.target].append(flow.id)
        parts = [f'<bpmn:process id={quoteattr(self.id)} name={quoteattr(self.name)} isExecutable="true">']
        if self.documentation:
            parts.append(f"<bpmn:documentation>{escape(self.documentation)}</bpmn:documentation>")
        # Collections that multi-instance tasks read and write are declared as process properties, so
        # that loopDataInputRef/loopDataOutputRef resolve in BPMN tools (bpmn-js warns otherwise).
        for name in self._collections():
            parts.append(f'<bpmn:property id={quoteattr(name)} name={quoteattr(name)} />')
        if self.lanes:
            parts.append(f'<bpmn:laneSet id="{self.id}_lanes">')
            for lane_id, lane_name in self.lanes:
                refs = "".join(f"<bpmn:flowNodeRef>{n.id}</bpmn:flowNodeRef>"
                               for n in self.nodes.values() if n.lane == lane_id)
                parts.append(f"<bpmn:lane id={quoteattr(lane_id)} name={quoteattr(lane_name)}>{refs}</bpmn:lane>")
            parts.append("</bpmn:laneSet>")
        parts += [self._node_xml(node, incoming[node.id], outgoing[node.id]) for node in self.nodes.values()]
        parts += [self._flow_xml(flow) for flow in self.flows]
        parts.append("</bpmn:process>")
        return "".join(parts)

    def _collections(self) -> list[str]:
        names = []
        for node in self.nodes.values():
            for key in ("input", "output"):
                value = (node.multi or {}).get(key)
                if value and value not in names:
                    names.append(value)
        return names

    def di_xml(self) -> tuple[str, str]:
        """(collaboration XML or '', plane contents)."""
        layout = Layout(self.nodes, self.flows, self.lanes)
        boxes = layout.boxes
        shapes = []
        collaboration = ""
        plane_element = self.id
        if self.lanes:
            participant = f"{self.id}_participant"
            plane_element = f"{self.id}_collaboration"
            collaboration = (f'<bpmn:collaboration id="{plane_element}"><bpmn:participant id="{participant}" '
                             f"name={quoteattr(self.name)} processRef={quoteattr(self.id)} /></bpmn:collaboration>")
            total = sum(height for _, height in layout.lane_bounds.values())
            left = LEFT - LANE_LABEL - POOL_LABEL - 20
            shapes.append(_shape(participant, (left, TOP, layout.width - left, total), horizontal=True))
            for lane_id, _ in self.lanes:
                top, height = layout.lane_bounds[lane_id]
                shapes.append(_shape(lane_id, (left + POOL_LABEL, top, layout.width - left - POOL_LABEL, height),
                                     horizontal=True))
        for node in self.nodes.values():
            shapes.append(_shape(node.id, boxes[node.id], marker=node.kind == "xor", expanded=False))
        for flow in self.flows:
            points = "".join(f'<di:waypoint x="{x:.0f}" y="{y:.0f}" />' for x, y in layout.waypoints(flow))
            shapes.append(f'<bpmndi:BPMNEdge id="{flow.id}_di" bpmnElement="{flow.id}">{points}</bpmndi:BPMNEdge>')
        plane = (f'<bpmndi:BPMNDiagram id="{self.id}_diagram"><bpmndi:BPMNPlane id="{self.id}_plane" '
                 f'bpmnElement="{plane_element}">{"".join(shapes)}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>')
        return collaboration, plane

    def to_xml(self) -> str:
        """The whole BPMN document, process and DI."""
        return document([self])


def _multi_xml(multi: dict[str, str]) -> str:
    attrs = ' isSequential="true"' if multi.get("sequential") else ""
    if multi.get("scripts_on_instances"):
        attrs += ' spiffworkflow:scriptsOnInstances="true"'  # pre/post scripts run per instance
    parts = [f"<bpmn:multiInstanceLoopCharacteristics{attrs}>"]
    # The XSD fixes this order.
    if "cardinality" in multi:
        parts.append(f"<bpmn:loopCardinality>{escape(multi['cardinality'])}</bpmn:loopCardinality>")
    if "input" in multi:
        parts.append(f"<bpmn:loopDataInputRef>{escape(multi['input'])}</bpmn:loopDataInputRef>")
    if "output" in multi:
        parts.append(f"<bpmn:loopDataOutputRef>{escape(multi['output'])}</bpmn:loopDataOutputRef>")
    if "item" in multi:
        parts.append(f'<bpmn:inputDataItem id={quoteattr(multi["item"])} name={quoteattr(multi["item"])} />')
    if "output_item" in multi:
        parts.append(f'<bpmn:outputDataItem id={quoteattr(multi["output_item"])} '
                     f'name={quoteattr(multi["output_item"])} />')
    if "completion" in multi:
        parts.append(f"<bpmn:completionCondition>{escape(multi['completion'])}</bpmn:completionCondition>")
    parts.append("</bpmn:multiInstanceLoopCharacteristics>")
    return "".join(parts)


def _shape(element: str, box: tuple[float, float, float, float], horizontal: bool = False,
           marker: bool = False, expanded: bool | None = None) -> str:
    x, y, width, height = box
    attrs = f'id="{element}_di" bpmnElement="{element}"'
    if horizontal:
        attrs += ' isHorizontal="true"'
    if marker:
        attrs += ' isMarkerVisible="true"'
    return (f"<bpmndi:BPMNShape {attrs}><dc:Bounds x=\"{x:.0f}\" y=\"{y:.0f}\" width=\"{width:.0f}\" "
            f"height=\"{height:.0f}\" /></bpmndi:BPMNShape>")


HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n'
          '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
          'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
          'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
          'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
          'id="{id}" targetNamespace="http://bpmn.io/schema/bpmn" exporter="dangjian-builder" '
          'exporterVersion="1">')


def document(processes: list[Process]) -> str:
    """One BPMN document holding ``processes``, each with its own diagram."""
    body = []
    diagrams = []
    for process in processes:
        collaboration, plane = process.di_xml()
        body.append(collaboration)
        body.append(process.process_xml())
        diagrams.append(plane)
    xml = HEADER.replace("{id}", f"{processes[0].id}_definitions") + "".join(body) + "".join(diagrams)
    return pretty(xml + "</bpmn:definitions>")


def pretty(xml: str) -> str:
    from lxml import etree

    root = etree.fromstring(xml.encode("utf-8"))
    etree.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="unicode") + "\n"


def decision_table(decision_id: str, name: str, inputs: list[tuple[str, str]], output: tuple[str, str],
                   rules: list[tuple[list[str], str, str]]) -> str:
    """A DMN 1.3 document with one decision table.

    ``inputs`` are (label, expression); ``output`` is (label, variable name); each rule is
    (input entries, output entry, annotation). Cells are Python expressions, as SpiffWorkflow reads them.
    """
    input_xml = "".join(
        f'<input id="{decision_id}_in{i}" label={quoteattr(label)}><inputExpression id="{decision_id}_ie{i}">'
        f"<text>{escape(expr)}</text></inputExpression></input>" for i, (label, expr) in enumerate(inputs))
    rules_xml = []
    for r, (entries, result, note) in enumerate(rules):
        cells = "".join(f'<inputEntry id="{decision_id}_r{r}_i{i}"><text>{escape(e)}</text></inputEntry>'
                        for i, e in enumerate(entries))
        rules_xml.append(f'<rule id="{decision_id}_r{r}"><description>{escape(note)}</description>{cells}'
                         f'<outputEntry id="{decision_id}_r{r}_o"><text>{escape(result)}</text></outputEntry></rule>')
    xml = ('<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" '
           f'id="{decision_id}_definitions" name={quoteattr(name)} namespace="http://dangjian/dmn">'
           f'<decision id="{decision_id}" name={quoteattr(name)}><decisionTable id="{decision_id}_table">'
           f'{input_xml}<output id="{decision_id}_out" label={quoteattr(output[0])} name="{output[1]}" '
           f'typeRef="string" />{"".join(rules_xml)}</decisionTable></decision></definitions>')
    return pretty(xml)
