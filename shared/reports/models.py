from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at, uuid_pk

# A report is tried this many times in all (a worker died, storage was down), then failed.
MAX_REPORT_ATTEMPTS = 3
# The Celery task that builds a report (`tasks.py`), enqueued by this name.
BUILD_TASK = "reports.build"


class ReportKind(StrEnum):
    # One row per registration of one event.
    event_attendance = "event_attendance"
    # One row per event of one organizer, starting within a period.
    organizer_summary = "organizer_summary"


class ReportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"


class ReportStatus(StrEnum):
    pending = "pending"
    running = "running"
    ready = "ready"
    failed = "failed"


UNFINISHED = (ReportStatus.pending, ReportStatus.running)


def _enum(kind: type[StrEnum], name: str) -> Enum:
    return Enum(kind, native_enum=False, length=20, create_constraint=True, name=name)


class Report(Base):
    """A report someone asked for. The Celery task gets only its id; the file lives in object
    storage under `object_key` once it is ready."""

    __tablename__ = "reports"
    __table_args__ = (
        # The sweep's question: what is still pending (or held by a dead worker) since when?
        Index(
            "ix_reports_unfinished",
            "enqueued_at",
            postgresql_where="status IN ('pending', 'running')",
        ),
        # A person's reports, and the retention sweep's oldest first.
        Index("ix_reports_requester", "requester_id", "created_at"),
        Index("ix_reports_created", "created_at"),
        # An event's reports, newest first (GET /events/{id}/reports).
        Index("ix_reports_event", "event_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[ReportKind] = mapped_column(_enum(ReportKind, "kind"))
    format: Mapped[ReportFormat] = mapped_column(_enum(ReportFormat, "format"))
    # event_attendance: the event (NULL once the event is deleted: the build then fails).
    event_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    # organizer_summary: whose events, starting in [period_from, period_to) (open ends: NULL).
    organizer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE")
    )
    period_from: Mapped[datetime | None]
    period_to: Mapped[datetime | None]
    status: Mapped[ReportStatus] = mapped_column(
        _enum(ReportStatus, "status"), default=ReportStatus.pending
    )
    # Why it failed, in words meant for the requester.
    error: Mapped[str | None] = mapped_column(String(1000))
    object_key: Mapped[str | None] = mapped_column(String(512))
    # What the download is named, and what was written.
    filename: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(BigInteger)
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(default=0)
    # When it was last handed to Celery, and until when a worker holds it.
    enqueued_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    finished_at: Mapped[datetime | None]


def object_key(report_id: uuid.UUID, report_format: ReportFormat) -> str:
    return f"reports/{report_id}.{report_format.value}"


def failure_of(report: Report) -> dict[str, object]:
    """The data of `report.failed`."""
    return {
        "report_id": report.id,
        "requester_id": report.requester_id,
        "kind": report.kind.value,
        "error": report.error or "The report could not be built.",
    }
