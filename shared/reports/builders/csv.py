"""CSV: UTF-8 with a byte-order mark (so spreadsheet apps read it as UTF-8), a header row,
times in RFC 3339 with their offset, written row by row as the cursor yields them."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import IO

from sqlalchemy.orm import Session

from shared.reports.sources import Cell, Source

# Spreadsheet apps run a cell starting with one of these as a formula; a participant's name
# must never do that (OWASP "CSV injection"): such text gets a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def write_csv(source: Source, session: Session, target: IO[bytes]) -> int:
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(source.headers())
    rows = 0
    for row in source.rows(session):
        writer.writerow([_text(value) for value in row])
        rows += 1
    text.flush()
    # The caller owns the file: leave it open.
    text.detach()
    return rows


def _text(value: Cell) -> str | int:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
