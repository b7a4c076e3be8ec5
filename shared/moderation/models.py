from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at, uuid_pk


class AbuseReport(Base):
    """A person's complaint about an event; open until an admin approves or hides the event."""

    __tablename__ = "abuse_reports"
    __table_args__ = (
        # One open report per person and event: reporting again only updates the reason.
        # Led by event_id, it also finds an event's open reports (the flagged queue).
        Index(
            "uq_abuse_reports_open_reporter",
            "event_id",
            "reporter_id",
            unique=True,
            postgresql_where="resolved_at IS NULL",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    reporter_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # The admin's action that closed it: approve (kept) or hide.
    resolution: Mapped[str | None] = mapped_column(String(20))
