"""Writing cells of the workbooks the application exports, so that no user text runs as a formula.

openpyxl writes a string that starts with ``=`` as a live formula, and Excel or WPS read a typed
string starting with ``+``, ``-``, ``@``, a tab or a carriage return as one when the cell is edited
(CSV / formula injection, OWASP). Every export writes its cells through :func:`append_row` or
:func:`put`: a string is always a string cell, and one that a spreadsheet could take for a formula
also gets the quote prefix (the cell reads as if typed with a leading apostrophe). Numbers, dates
and booleans stay what they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TypeAlias

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

# What an export writes into a cell (a datetime is a date).
CellValue: TypeAlias = str | float | date | None

# A spreadsheet reads a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(cell: Cell) -> Cell:
    """Make a string ``cell`` a plain string cell, quote-prefixed when it looks like a formula."""
    value = cell.value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    return cell


def put(sheet: Worksheet, row: int, column: int, value: CellValue) -> Cell:
    """Write ``value`` into the cell at ``row``, ``column``; user text stays text."""
    return as_text(sheet.cell(row=row, column=column, value=value))


def append_row(sheet: Worksheet, values: Sequence[CellValue]) -> list[Cell]:
    """Append ``values`` as the sheet's next row; user text stays text. Returns the row's cells."""
    row = sheet.max_row + 1 if sheet.max_row > 1 or sheet["A1"].value is not None else 1
    return [put(sheet, row, column, value) for column, value in enumerate(values, start=1)]
