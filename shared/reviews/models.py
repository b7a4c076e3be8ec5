from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at, updated_at, uuid_pk


class Review(Base):
    """One person's review of one event, with the organizer's one reply."""

    __tablename__ = "reviews"
    __table_args__ = (
        # Once per person and event: a second one is an edit.
        UniqueConstraint("event_id", "user_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        # The event's list, newest first, without the hidden ones.
        Index(
            "ix_reviews_event_listed",
            "event_id",
            "created_at",
            "id",
            postgresql_where="hidden_at IS NULL",
        ),
        Index("ix_reviews_user", "user_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rating: Mapped[int]
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    # Hidden by an admin: left out of the list and of the rating.
    hidden_at: Mapped[datetime | None]
    hidden_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reply_text: Mapped[str | None] = mapped_column(Text)
    reply_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    replied_at: Mapped[datetime | None]
    reply_updated_at: Mapped[datetime | None]
