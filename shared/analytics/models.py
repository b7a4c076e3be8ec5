"""Rollups kept by `track_activity`: each row equals a GROUP BY over `registrations` and `events`.

Days are UTC dates: a registration counts on the day it was made (`created_at`), a
cancellation on the day it happened (`cancelled_at`), a check-in on the day of `checked_in_at`;
an event counts for its category on the day it starts (`starts_at`).

No foreign key to `events`: when an event is deleted, `track_activity` itself removes its rows,
reading the category and day the event was counted under from `EventTotals` first (a cascade
would lose them), and its inserts never wait on a join holding the event's row lock.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class EventTotals(Base):
    """One row per existing event: its registrations by current status, and where it counts."""

    __tablename__ = "analytics_event_totals"
    __table_args__ = (
        # Recomputing one (category, day) of the popular categories.
        Index(
            "ix_analytics_event_totals_category_day",
            "category_slug",
            "start_day",
            postgresql_where="listed",
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # The event's category, start day and visibility as last rolled up: the key its
    # registrations are counted under in `CategoryDay`.
    category_slug: Mapped[str] = mapped_column(String(40))
    start_day: Mapped[date]
    # Anyone may see it (not a draft, not hidden or awaiting approval): only those count
    # in the public popular categories.
    listed: Mapped[bool]
    # Every registration ever made; confirmed, waitlisted, offered and cancelled split it by
    # current status (checked_in is the part of confirmed that came).
    registrations: Mapped[int]
    confirmed: Mapped[int]
    waitlisted: Mapped[int]
    # Offer mode: seats held for someone until their offer expires (taken, not yet confirmed).
    offered: Mapped[int]
    checked_in: Mapped[int]
    cancelled: Mapped[int]


class EventDay(Base):
    """What happened to one event's registrations on one UTC day (rows of zeros are absent)."""

    __tablename__ = "analytics_event_days"

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    registrations: Mapped[int]
    cancellations: Mapped[int]
    check_ins: Mapped[int]


class CategoryDay(Base):
    """Listed events of one category starting on one UTC day, and their registrations."""

    __tablename__ = "analytics_category_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    category_slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    events: Mapped[int]
    registrations: Mapped[int]


class PersonEvent(Base):
    """One person's registrations for one event (several when they left and came back)."""

    __tablename__ = "analytics_person_events"
    __table_args__ = (Index("ix_analytics_person_events_event_id", "event_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    registrations: Mapped[int]
    cancelled: Mapped[int]
    checked_in: Mapped[int]
    # The latest registration's status and when it was made.
    status: Mapped[str] = mapped_column(String(20))
    registered_at: Mapped[datetime]
