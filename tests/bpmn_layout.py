"""Where the shapes of a test diagram go: columns by longest path from the start (back edges
ignored), one band per lane, rows inside a lane, orthogonal edges."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.bpmn_builder import Flow
    from tests.bpmn_builder import Node

SIZES = {"task": (100, 80), "event": (36, 36), "gateway": (50, 50)}
COLUMN_WIDTH = 170
ROW_HEIGHT = 130
LANE_LABEL = 30
POOL_LABEL = 30
LEFT = 160
TOP = 40


class Layout:
    """The boxes of ``nodes`` (x, y, width, height), the lanes' bands (top, height) and the width."""

    def __init__(self, nodes: dict[str, Node], flows: list[Flow], lanes: list[tuple[str, str]]) -> None:
        self.nodes = nodes
        self.flows = flows
        self.lanes = lanes
        self.lane_bounds: dict[str | None, tuple[float, float]] = {}
        self.width = 0.0
        self.boxes = self._place()

    def _outgoing(self) -> dict[str, list[str]]:
        """Successors per node; a boundary event's flows count as its host's."""
        outgoing: dict[str, list[str]] = {node_id: [] for node_id in self.nodes}
        for flow in self.flows:
            source = self.nodes[flow.source]
            outgoing[source.attached_to or flow.source].append(flow.target)
        return outgoing

    def _back_edges(self, outgoing: dict[str, list[str]]) -> set[tuple[str, str]]:
        back: set[tuple[str, str]] = set()
        state: dict[str, int] = {}

        def visit(node_id: str) -> None:
            state[node_id] = 1
            for target in outgoing[node_id]:
                if state.get(target) == 1:
                    back.add((node_id, target))
                elif target not in state:
                    visit(target)
            state[node_id] = 2

        roots = [n.id for n in self.nodes.values() if n.kind == "start"]
        for root in roots + list(self.nodes):
            if root not in state and not self.nodes[root].attached_to:
                visit(root)
        return back

    def _columns(self) -> dict[str, int]:
        """Longest-path column of every node, back edges ignored."""
        outgoing = self._outgoing()
        back = self._back_edges(outgoing)
        column = dict.fromkeys(self.nodes, 0)
        changed = True
        while changed:
            changed = False
            for source, targets in outgoing.items():
                for target in targets:
                    if (source, target) not in back and column[target] < column[source] + 1:
                        column[target] = column[source] + 1
                        changed = True
        for node in self.nodes.values():
            if node.attached_to:
                column[node.id] = column[node.attached_to]
        return column

    def _place(self) -> dict[str, tuple[float, float, float, float]]:
        column = self._columns()
        lane_ids = [lane_id for lane_id, _ in self.lanes] or [None]
        rows: dict[str, int] = {}
        lane_rows: dict[str | None, int] = {}
        for lane_id in lane_ids:
            used: dict[int, int] = {}
            members = [n for n in self.nodes.values() if (n.lane if self.lanes else None) == lane_id
                       and not n.attached_to]
            for node in sorted(members, key=lambda n: (column[n.id], list(self.nodes).index(n.id))):
                row = used.get(column[node.id], 0)
                used[column[node.id]] = row + 1
                rows[node.id] = row
            lane_rows[lane_id] = max(used.values(), default=1)
        boxes: dict[str, tuple[float, float, float, float]] = {}
        lane_top = TOP
        for lane_id in lane_ids:
            height = lane_rows[lane_id] * ROW_HEIGHT
            self.lane_bounds[lane_id] = (lane_top, height)
            for node in self.nodes.values():
                if (node.lane if self.lanes else None) != lane_id or node.attached_to:
                    continue
                width, box_height = SIZES[node.shape]
                center_x = LEFT + column[node.id] * COLUMN_WIDTH + 50
                center_y = lane_top + rows[node.id] * ROW_HEIGHT + ROW_HEIGHT / 2
                boxes[node.id] = (center_x - width / 2, center_y - box_height / 2, width, box_height)
            lane_top += height
        attached_count: dict[str, int] = {}
        for node in self.nodes.values():
            if node.attached_to:
                hx, hy, hw, hh = boxes[node.attached_to]
                index = attached_count.get(node.attached_to, 0)
                attached_count[node.attached_to] = index + 1
                boxes[node.id] = (hx + hw - 28 - index * 40, hy + hh - 18, 36, 36)
        self.width = LEFT + (max(column.values(), default=0) + 1) * COLUMN_WIDTH + 40
        return boxes

    def waypoints(self, flow: Flow) -> list[tuple[float, float]]:
        """The bends of ``flow``'s edge: forward, back below both ends, or down from a boundary event."""
        boxes = self.boxes
        sx, sy, sw, sh = boxes[flow.source]
        tx, ty, tw, th = boxes[flow.target]
        source = self.nodes[flow.source]
        if source.attached_to:
            start = (sx + sw / 2, sy + sh)
            end = (tx + tw / 2, ty + th) if ty + th / 2 < sy else (tx, ty + th / 2)
            if end[0] == tx:
                return [start, (start[0], end[1]), end]
            return [start, (start[0], sy + sh + 30), (end[0], sy + sh + 30), end]
        if tx > sx + sw:  # forward
            start, end = (sx + sw, sy + sh / 2), (tx, ty + th / 2)
            if abs(start[1] - end[1]) < 1:
                return [start, end]
            middle = start[0] + (end[0] - start[0]) / 2
            return [start, (middle, start[1]), (middle, end[1]), end]
        # backward: leave below the source, come back below the target
        below = max(sy + sh, ty + th) + 25
        start, end = (sx + sw / 2, sy + sh), (tx + tw / 2, ty + th)
        return [start, (start[0], below), (end[0], below), end]
