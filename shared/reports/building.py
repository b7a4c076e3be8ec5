"""Building one report: claim it, write the file from one consistent snapshot into a
temporary file, stream that to object storage, then mark it ready (or failed) and emit
`report.ready` (or `report.failed`) in that same transaction."""

from __future__ import annotations

import logging
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.orm import Session

from shared.catalog import ReportFailed, ReportReady
from shared.config import get_settings
from shared.db import unit_of_work
from shared.metrics import REPORT_BUILD_SECONDS, REPORTS_BUILT
from shared.outbox.writer import emit
from shared.reports import repository
from shared.reports.builders import CONTENT_TYPES, builder_for
from shared.reports.errors import ReportImpossible
from shared.reports.models import (
    MAX_REPORT_ATTEMPTS,
    Report,
    ReportStatus,
    failure_of,
    object_key,
)
from shared.reports.sources import source_of
from shared.storage import StorageUnavailable, get_storage

logger = logging.getLogger("eventmgr.reports")
# Worth another try later: the file is fine, a service was not.
PASSING_TROUBLE = (StorageUnavailable, OperationalError)
UNREADABLE = (
    "The report could not be started: what was asked for cannot be read back (a period "
    "outside the years 1 to 9999?); ask for it again."
)
OUR_FAULT = "The report could not be built because of an error on our side; ask for it again."


class Outcome(StrEnum):
    ready = "ready"
    failed = "failed"
    retry = "retry"
    # Already built, failed, or held by another worker: a duplicate task.
    nothing = "nothing"


@dataclass(frozen=True)
class Built:
    key: str
    filename: str
    size: int
    rows: int


def build_report(report_id: uuid.UUID) -> tuple[Outcome, int]:
    """Build the report if it is still to build; answers what happened and the attempts."""
    lease = timedelta(seconds=get_settings().report_lease_seconds)
    try:
        with unit_of_work() as session:
            claimed = repository.claim(session, report_id, lease)
    except (DataError, OverflowError, ValueError):
        # The row cannot be read back (a period PostgreSQL holds but Python cannot): no try
        # would do better, so it ends failed instead of being handed over forever.
        logger.exception("report build could not start", extra={"report.id": str(report_id)})
        return _fail_unstarted(report_id), 0
    if claimed is None:
        return Outcome.nothing, 0
    started = time.perf_counter()
    try:
        built = _build_and_store(claimed)
    except PASSING_TROUBLE as error:
        logger.warning("report build interrupted", extra={"error.message": str(error)})
        if claimed.attempts < MAX_REPORT_ATTEMPTS:
            _finish(claimed, status=ReportStatus.pending, enqueued_at=datetime.now(UTC))
            return _counted(claimed, Outcome.retry, started), claimed.attempts
        outcome = _fail(claimed, "Storage or the database was unavailable; ask for it again.")
    except ReportImpossible as error:
        outcome = _fail(claimed, error.detail)
    except Exception:
        logger.exception("report build failed", extra={"report.id": str(claimed.id)})
        outcome = _fail(claimed, OUR_FAULT)
    else:
        outcome = _ready(claimed, built)
    return _counted(claimed, outcome, started), claimed.attempts


def _build_and_store(report: Report) -> Built:
    with tempfile.TemporaryFile(prefix="report-") as file:
        with unit_of_work() as session:
            # One snapshot: a PDF's figures, chart and table agree with each other.
            session.connection(
                execution_options={
                    "isolation_level": "REPEATABLE READ",
                    "postgresql_readonly": True,
                }
            )
            source = source_of(session, report)
            rows = builder_for(report.format)(source, session, file)
            today = datetime.now(source.zone).date().isoformat()
        size = file.seek(0, os.SEEK_END)
        file.seek(0)
        key = object_key(report.id, report.format)
        get_storage().put(key, file, size, CONTENT_TYPES[report.format])
    filename = f"{source.filename_stem}-{today}.{report.format.value}"
    return Built(key=key, filename=filename, size=size, rows=rows)


def _ready(report: Report, built: Built) -> Outcome:
    with unit_of_work() as session:
        if not _finish_in(
            session,
            report,
            status=ReportStatus.ready,
            object_key=built.key,
            filename=built.filename,
            size=built.size,
            row_count=built.rows,
            error=None,
            finished_at=datetime.now(UTC),
        ):
            return Outcome.nothing
        emit(
            session,
            ReportReady(
                report_id=report.id, requester_id=report.requester_id, kind=report.kind.value
            ),
        )
    logger.info("report ready", extra={"report.rows": built.rows, "report.bytes": built.size})
    return Outcome.ready


def _fail(report: Report, reason: str) -> Outcome:
    report.error = reason
    with unit_of_work() as session:
        if not _finish_in(
            session,
            report,
            status=ReportStatus.failed,
            error=reason,
            finished_at=datetime.now(UTC),
        ):
            return Outcome.nothing
        emit(session, ReportFailed(**failure_of(report)))
    return Outcome.failed


def _fail_unstarted(report_id: uuid.UUID) -> Outcome:
    with unit_of_work() as session:
        failed = repository.fail_unstarted(session, report_id, UNREADABLE)
        if failed is None:
            return Outcome.nothing
        requester_id, kind = failed
        emit(
            session,
            ReportFailed(
                report_id=report_id, requester_id=requester_id, kind=kind.value, error=UNREADABLE
            ),
        )
    return Outcome.failed


def _finish(report: Report, **values: object) -> None:
    with unit_of_work() as session:
        _finish_in(session, report, **values)


def _finish_in(session: Session, report: Report, **values: object) -> bool:
    done = repository.finish(session, report, **values)
    if not done:
        # Our lease ran out and another attempt took the report: what it does stands.
        logger.warning("report taken over by another attempt", extra={"report.id": str(report.id)})
    return done


def _counted(report: Report, outcome: Outcome, started: float) -> Outcome:
    if outcome is Outcome.nothing:
        return outcome
    REPORTS_BUILT.labels(report.format.value, outcome.value).inc()
    if outcome is not Outcome.retry:
        REPORT_BUILD_SECONDS.labels(report.format.value).observe(time.perf_counter() - started)
    return outcome
