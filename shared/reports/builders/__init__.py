"""One builder per format; each writes a `Source` into a binary file and answers the number
of rows it wrote. Their libraries (openpyxl, matplotlib) are imported here, in the worker only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from sqlalchemy.orm import Session

from shared.reports.models import ReportFormat
from shared.reports.sources import Source

Builder = Callable[[Source, Session, IO[bytes]], int]

CONTENT_TYPES = {
    ReportFormat.csv: "text/csv; charset=utf-8",
    ReportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.pdf: "application/pdf",
}


def builder_for(report_format: ReportFormat) -> Builder:
    if report_format == ReportFormat.csv:
        from shared.reports.builders.csv import write_csv

        return write_csv
    if report_format == ReportFormat.xlsx:
        from shared.reports.builders.xlsx import write_xlsx

        return write_xlsx
    from shared.reports.builders.pdf import write_pdf

    return write_pdf
