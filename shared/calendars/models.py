from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class CalendarFeed(Base):
    """A person's secret feed link. The link's token is derived from `token_id` with
    CALENDAR_FEED_SECRET, so it can be shown again; only its SHA-256 is looked up and
    stored. Rotating replaces both, and the old link finds nothing."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    issued_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # When an entry left the feed without leaving a newer row behind (its event was
    # deleted): part of the feed's Last-Modified.
    changed_at: Mapped[datetime | None]


class ImportedEntry(Base):
    """The draft an organizer's import made from one calendar entry: its UID and, for a
    date of a recurring series, its RECURRENCE-ID (`recurrence`, "" for a single entry).
    Importing the file again finds the draft here and updates it; the primary key makes
    concurrent imports of one file meet on the same row instead of making two drafts.
    `synced_at` is the event's `updated_at` as the import left it: any later change (by
    hand, publishing, moderation) shows as a different `updated_at`."""

    __tablename__ = "calendar_imports"

    organizer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # SHA-256 of UID and recurrence: UIDs have no length limit, an index key has.
    key: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    uid: Mapped[str] = mapped_column(Text)
    recurrence: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), unique=True
    )
    synced_at: Mapped[datetime]
