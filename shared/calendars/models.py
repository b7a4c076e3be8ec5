from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, func
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
