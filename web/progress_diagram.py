"""The progress diagram's JSON for bpmn-js: the XML, the marks with their texts, the drill-down links."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from engine import clock
from engine.service import ProgressDiagram
from engine.service import StepMark
from web.formatting import fmt_date


def state_labels() -> dict[str, str]:
    return {"done": _("Done"), "active": _("In progress"), "late": _("Overdue"), "error": _("In error")}


def mark_json(mark: StepMark, labels: dict[str, str]) -> dict[str, Any]:
    """A mark with the tooltip and, on an open step, the waiting badge (已等待 N 天)."""
    title = [labels[mark.state]]
    badge = None
    if mark.since is not None:
        days = max(0, (clock.now() - mark.since).days)
        badge = _("Waiting %(days)s days", days=days)
        title.append(_("waiting since %(date)s", date=fmt_date(mark.since)))
    if mark.due is not None:
        title.append(_("due %(date)s", date=fmt_date(mark.due)))
    return {"state": mark.state, "badge": badge, "title": "，".join(title)}


def progress_json(found: ProgressDiagram) -> dict[str, Any]:
    labels = state_labels()
    return {"process": found.process_id, "top": found.top_process, "xml": found.xml, "calls": found.calls,
            "names": found.names, "marks": {key: mark_json(mark, labels) for key, mark in found.marks.items()},
            "labels": labels}
