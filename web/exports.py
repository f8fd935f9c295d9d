"""The project ledger as files an office files and passes on: an Excel 台账 and CSV.

Both are built from one ledger page (every matching project) with the names a person reads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import cast

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.styles import Border
from openpyxl.styles import Font
from openpyxl.styles import PatternFill
from openpyxl.styles import Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from engine import clock
from engine.service import Directory
from engine.service import LedgerPage
from engine.service import LedgerRow
from web.formatting import due_light
from web.formatting import fmt_date
from web.formatting import held_by
from web.names import unit_name
from web.spreadsheet import FORMULA_STARTS
from web.spreadsheet import CellValue
from web.spreadsheet import append_row
from web.spreadsheet import put

FILLS = {"green": "C6EFCE", "yellow": "FFEB9C", "red": "FFC7CE"}


def holders(names: Directory, row: LedgerRow) -> str:
    """Who holds the project's open steps, by name."""
    return "；".join(held_by(names, step) for step in row.steps)


def light_of(row: LedgerRow) -> str:
    return due_light(row.due_at) if row.steps else ""


def columns(page: LedgerPage, names: Directory) -> list[tuple[str, str, Callable[[LedgerRow], CellValue], int]]:
    """(group, header, value, width) of every column, in order."""
    lights = {"green": _("On time"), "yellow": _("Due within 3 days"), "red": _("Overdue"), "": ""}
    basics, progress = _("Project information"), _("Progress")
    return [
        (basics, _("Project"), lambda r: r.title, 36),
        (basics, _("Unit"), lambda r: unit_name(names, r.unit_code), 22),
        (basics, _("Sector"), lambda r: page.sectors.get(r.sector or "", r.sector or ""), 22),
        (basics, _("Kind"), lambda r: r.process_name, 20),
        (basics, _("Grade"), lambda r: r.grade or "", 10),
        (progress, _("Stage"), lambda r: r.stage, 18),
        (progress, _("Current step"), lambda r: "；".join(step.name for step in r.steps), 24),
        (progress, _("Held by"), lambda r: holders(names, r), 30),
        (progress, _("Waiting since"), lambda r: fmt_date(r.waiting_since), 16),
        (progress, _("Due"), lambda r: fmt_date(r.due_at), 16),
        (progress, _("Days overdue"), lambda r: r.days_overdue or "", 10),
        (progress, _("Light"), lambda r: lights[light_of(r)], 10),
        (progress, _("Was overdue"), lambda r: _("Yes") if r.ever_overdue else "", 8),
    ]


def ledger_workbook(page: LedgerPage, names: Directory, organisation: str, unit: str) -> bytes:
    """The ledger as an .xlsx: title, 填报单位 and date rows, two-level headers, one row per project,
    lights as fills, frozen headers, A4 landscape."""
    cols = columns(page, names)
    book = Workbook()
    sheet = cast(Worksheet, book.active)  # a new workbook's one sheet, never a chart sheet
    sheet.title = _("Project ledger")
    last = get_column_letter(len(cols))
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)

    append_row(sheet, [f"{organisation}{_('Project ledger')}"])
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(size=16, bold=True)
    sheet["A1"].alignment = centred
    append_row(sheet, [_("Reporting unit: %(unit)s", unit=unit)])
    sheet.merge_cells(f"A2:{get_column_letter(len(cols) // 2)}2")
    put(sheet, 2, len(cols) // 2 + 1, _("Date: %(date)s", date=fmt_date(clock.now())))
    sheet.merge_cells(start_row=2, start_column=len(cols) // 2 + 1, end_row=2, end_column=len(cols))

    groups = [group for group, _header, _value, _width in cols]
    append_row(sheet, groups)
    start = 1
    for index in range(1, len(cols) + 1):
        if index == len(cols) or groups[index] != groups[start - 1]:
            sheet.merge_cells(start_row=3, start_column=start, end_row=3, end_column=index)
            start = index + 1
    append_row(sheet, [header for _group, header, _value, _width in cols])
    for row in sheet.iter_rows(min_row=3, max_row=4):
        for cell in row:
            cell.font, cell.alignment, cell.border = Font(bold=True), centred, border

    light_column = [header for _g, header, _v, _w in cols].index(_("Light")) + 1
    for record in page.rows:
        for cell in append_row(sheet, [value(record) for _group, _header, value, _width in cols]):
            cell.border, cell.alignment = border, Alignment(vertical="top", wrap_text=True)
        light = light_of(record)
        if light:
            sheet.cell(row=sheet.max_row, column=light_column).fill = PatternFill("solid", fgColor=FILLS[light])
    for index, (_group, _header, _value, width) in enumerate(cols, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    sheet.freeze_panes = "B5"
    sheet.print_title_rows = "3:4"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def neutralised(value: object) -> str:
    """A CSV cell that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def ledger_csv(page: LedgerPage, names: Directory) -> bytes:
    """The ledger as UTF-8 CSV (with a byte-order mark, so that Excel reads the Chinese)."""
    cols = columns(page, names)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for _group, header, _value, _width in cols])
    for record in page.rows:
        writer.writerow([neutralised(value(record)) for _group, _header, value, _width in cols])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
