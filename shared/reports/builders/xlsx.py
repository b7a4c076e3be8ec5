"""XLSX with openpyxl in write-only mode: rows go to the file as they come, typed (times as
date-times in the report's zone, which each time column's header names, numbers as numbers),
a frozen, bold header, set widths."""

from __future__ import annotations

from datetime import datetime
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy.orm import Session

from shared.reports.errors import ReportImpossible
from shared.reports.sources import Cell, Source

# A worksheet holds at most 1,048,576 rows, the header included.
MAX_ROWS = 1_048_575
TIME_FORMAT = "yyyy-mm-dd hh:mm"


def write_xlsx(source: Source, session: Session, target: IO[bytes]) -> int:
    book = Workbook(write_only=True)
    sheet: WriteOnlyWorksheet = book.create_sheet(source.sheet_title)
    # Both must be set before the first row is written.
    sheet.freeze_panes = "A2"
    for number, column in enumerate(source.columns, start=1):
        # Write-only sheets do have column dimensions; the stubs only list them for others.
        dimensions = sheet.column_dimensions  # type: ignore[attr-defined]
        dimensions[get_column_letter(number)].width = column.width
    bold = Font(bold=True)
    header = []
    for title in source.headers(zoned=True):
        cell = WriteOnlyCell(sheet, title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    rows = 0
    for row in source.rows(session):
        rows += 1
        if rows > MAX_ROWS:
            raise ReportImpossible(
                f"A spreadsheet holds at most {MAX_ROWS:,} rows; ask for a CSV instead."
            )
        sheet.append([_cell(sheet, value) for value in row])
    book.save(target)
    return rows


def _cell(sheet: WriteOnlyWorksheet, value: Cell) -> SheetCell | Cell:
    if isinstance(value, datetime):
        # Excel has no time zones: the local time of the report's zone (named in the header).
        cell = WriteOnlyCell(sheet, value.replace(tzinfo=None))
        cell.number_format = TIME_FORMAT
        return cell
    if isinstance(value, str):
        # Control characters are not allowed in a sheet: a name holding one would break it.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, str) and value.startswith("="):
        # openpyxl would store it as a formula; a participant's name is only ever text.
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    return value
