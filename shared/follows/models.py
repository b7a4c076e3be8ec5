from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at


class Follow(Base):
    """One person following one organizer."""

    __tablename__ = "follows"
    # A fan-out reads an organizer's followers in follower order, a page at a time.
    __table_args__ = (Index("ix_follows_organizer_follower", "organizer_id", "follower_id"),)

    follower_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    organizer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = created_at()


class FollowerFanout(Base):
    """Telling an event's organizer's followers that it was published: one row per event,
    so it happens once however often its CloudEvents arrive. Pages of followers are told in
    follower-id order; `after_follower` is where the next page starts, moved in the same
    transaction as the page's notifications, so each follower is told exactly once."""

    __tablename__ = "follower_fanouts"

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    after_follower: Mapped[uuid.UUID | None]
    notified: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at()
    done_at: Mapped[datetime | None]
