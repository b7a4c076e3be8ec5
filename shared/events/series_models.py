from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at, updated_at, uuid_pk


class Series(Base):
    """The rule and what every occurrence shows unless changed alone; `starts_at` and
    `ends_at` are the first occurrence's (the rule's DTSTART and its length)."""

    __tablename__ = "series"

    id: Mapped[uuid.UUID] = uuid_pk()
    organizer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    # The RRULE value as stored after checking (UNTIL in UTC), without "RRULE:".
    rrule: Mapped[str] = mapped_column(String(500))
    timezone: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # The event fields besides the times (`SeriesCreate` as JSON): the series' template.
    fields: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    # RFC 5545 SEQUENCE of the series' VEVENT: grows when what it shows changes.
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class SeriesOccurrence(Base):
    """One date of the rule. A deleted event leaves its row (event_id NULL), so the date
    stays excluded (EXDATE) from the series' calendar."""

    __tablename__ = "series_occurrences"

    series_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("series.id", ondelete="CASCADE"), primary_key=True
    )
    # The date as the rule made it (RFC 5545 RECURRENCE-ID), whatever the event became.
    recurrence_id: Mapped[datetime] = mapped_column(primary_key=True)
    event_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), unique=True
    )
