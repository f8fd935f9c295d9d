"""The project dossier as a Word document (.docx), for offices that pass documents on: the same
parts as the printable page, built with python-docx from the engine's ``Dossier``."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm
from docx.shared import Pt
from flask_babel import gettext as _

from engine.service import Directory
from engine.service import Dossier
from web.formatting import event_note
from web.formatting import event_what
from web.formatting import fmt_date
from web.formatting import fmt_datetime
from web.formatting import shown
from web.names import person_name
from web.names import unit_name

FONT = "SimSun"  # 宋体, the usual body face of official documents


def _text(names: Directory, value: Any) -> str:
    """A submitted value as one line of text (lists joined, rows as label：value pairs)."""
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, list | tuple):
        parts = []
        for item in value:
            if isinstance(item, list | tuple) and all(isinstance(pair, tuple) and len(pair) == 2 for pair in item):
                parts.append("；".join(f"{label}：{_text(names, shown(names, v))}" for label, v in item))
            else:
                parts.append(_text(names, shown(names, item)))
        return "\n".join(parts)
    return str(shown(names, value))


def _table(document: Any, header: list[str] | None, rows: Iterable[list[str]]) -> None:
    rows = list(rows)
    table = document.add_table(rows=0, cols=len(header or rows[0]) if (header or rows) else 1)
    table.style = "Table Grid"
    if header:
        cells = table.add_row().cells
        for cell, text in zip(cells, header, strict=True):
            cell.text = text
            cell.paragraphs[0].runs[0].bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text


def _fields(document: Any, pairs: list[tuple[str, str]]) -> None:
    _table(document, None, [[label, value] for label, value in pairs] or [["—", "—"]])


def dossier_docx(dossier: Dossier, names: Directory, organisation: str, printed_by: str, today: Any) -> bytes:
    """The dossier as .docx bytes: A4 portrait, the organisation's name on top, then the project,
    the documents filed, the quality matrix and the timeline (without what the viewer may not read)."""
    view = dossier.project
    project = view.instance
    document = Document()
    section = document.sections[0]
    section.orientation, section.page_width, section.page_height = WD_ORIENT.PORTRAIT, Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)

    heading = document.add_paragraph(organisation)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_heading(f"{_('Project dossier')}：{project.title or project.process_name}", level=0)
    _fields(document, [
        (_("Unit"), unit_name(names, project.unit_code)), (_("Kind"), project.process_name),
        (_("Responsible person"), person_name(names, view.responsible) if view.responsible else "—"),
        (_("Stage"), str(project.business.get("status_text") or "—")), (_("Started"), fmt_date(project.started_at)),
        (_("Printed on"), f"{fmt_date(today)} · {printed_by}")])

    document.add_heading(_("Documents filed"), level=1)
    for step in dossier.submissions:
        who = person_name(names, step.actor)
        document.add_heading(f"{step.step_name or ''}（{who}，{fmt_datetime(step.at)}）", level=2)
        _fields(document, [(label, _text(names, value)) for label, value in step.shown])

    matrix = view.matrix
    if matrix.nodes:
        labels = {"done": _("Done"), "late": _("Behind schedule"), "pending": _("Not started")}
        document.add_heading(_("Matrix chart"), level=1)
        _table(document, [_("Sub-item"), _("Owner"), _("Content")],
               [[item["name"], item["owner"], item["description"]] for item in matrix.sub_items])
        document.add_paragraph()
        _table(document, [_("Quality node"), _("Sub-item"), _("Owner"), _("Quality standard"), _("Planned"),
                          _("Status"), _("Done on")],
               [[node.name, node.sub_item, node.owner, node.standard or "—", fmt_date(node.planned),
                 labels[node.status] + (f"（{_('Was late')}）" if node.ever_late else ""),
                 fmt_date(node.done_at) or "—"] for node in matrix.nodes])

    document.add_heading(_("Timeline"), level=1)
    _table(document, [_("When"), _("Who"), _("What"), _("Opinion or reason")],
           [[fmt_datetime(e.at), person_name(names, e.actor), event_what(e), event_note(names, e)]
            for e in project.events if not e.withheld and e.kind not in ("timer_fired", "milestone")])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
