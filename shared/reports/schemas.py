from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from shared.reports.models import ReportFormat, ReportKind, ReportStatus
from shared.validation import RequestModel


class ReportRequest(RequestModel):
    """`event_attendance` needs `event_id`; `organizer_summary` takes the events starting in
    [`from`, `to`) (either end may be left open) of the caller, or, for an admin, of
    `organizer_id`."""

    kind: ReportKind
    format: ReportFormat
    event_id: uuid.UUID | None = None
    organizer_id: uuid.UUID | None = None
    period_from: AwareDatetime | None = Field(default=None, alias="from")
    period_to: AwareDatetime | None = Field(default=None, alias="to")

    @field_validator("period_from", "period_to")
    @classmethod
    def _readable_back(cls, value: datetime | None) -> datetime | None:
        # Stored in UTC: 9999-12-31T23:59:59-14:00 is in the year 10000 there, which
        # PostgreSQL keeps but Python cannot read back.
        if value is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                raise ValueError("must fall within the years 1 to 9999 in UTC") from None
        return value

    @model_validator(mode="after")
    def _fits_its_kind(self) -> Self:
        # Raised as ValueError: pydantic turns them into the 422's `errors`.
        if self.kind == ReportKind.event_attendance:
            if self.event_id is None:
                raise ValueError("an event_attendance report needs event_id")
            if self.organizer_id or self.period_from or self.period_to:
                raise ValueError("organizer_id, from and to belong to organizer_summary")
        else:
            if self.event_id is not None:
                raise ValueError("event_id belongs to event_attendance")
            if self.period_from and self.period_to and self.period_from >= self.period_to:
                raise ValueError("from must be before to")
        return self


class ReportAccepted(BaseModel):
    id: uuid.UUID
    status: Literal["pending"] = "pending"


class ReportPublic(BaseModel):
    id: uuid.UUID
    status: ReportStatus
    kind: ReportKind
    format: ReportFormat
    # Ready: a fresh link, valid REPORT_URL_TTL_SECONDS (24 h by default).
    download_url: str | None = None
    # Failed: why, in words meant for the requester.
    error: str | None = None


class EventReport(ReportPublic):
    """A report of an event as its list shows it: who asked and when, besides its state."""

    requester_id: uuid.UUID
    created_at: datetime
    finished_at: datetime | None = None


class EventReports(BaseModel):
    """An event's reports, newest first (`next_cursor` while more follow)."""

    items: list[EventReport]
    next_cursor: str | None
