from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Computed,
    Enum,
    Float,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db.base import Base, created_at, updated_at, uuid_pk
from shared.events import (
    invalidation,
    # An event may name the series that made it: that table must be in the metadata of every
    # process that flushes events (most never import shared.series), so its models live here.
    series_models,  # noqa: F401
)
from shared.events.statuses import EventStatus, Moderation, WaitlistMode

DEFAULT_CATEGORIES = {
    "conference": "Conference",
    "meetup": "Meetup",
    "workshop": "Workshop",
    "concert": "Concert",
    "sports": "Sports",
    "exhibition": "Exhibition",
    "other": "Other",
}

# Title weighs more than description; English and Russian stems both, so either language's
# word forms match (`websearch_to_tsquery` runs with both configurations).
SEARCH_DOCUMENT = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('russian', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(description, '')), 'B') || "
    "setweight(to_tsvector('russian', coalesce(description, '')), 'B')"
)


class Category(Base):
    __tablename__ = "categories"

    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = created_at()


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[uuid.UUID] = uuid_pk()
    # Normalized: trimmed, lower case, inner spaces folded.
    name: Mapped[str] = mapped_column(String(50), unique=True)


event_tags = Table(
    "event_tags",
    Base.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        CheckConstraint("capacity IS NULL OR capacity >= 1", name="capacity_positive"),
        CheckConstraint(
            "capacity IS NULL OR seats_taken <= capacity", name="seats_within_capacity"
        ),
        CheckConstraint("seats_taken >= 0", name="seats_taken_nonnegative"),
        CheckConstraint("offer_hours BETWEEN 1 AND 72", name="offer_hours_range"),
        CheckConstraint(
            "auto_before_start_hours BETWEEN 0 AND 168", name="auto_before_start_hours_range"
        ),
        # The public list: published, visible, by start time then id (the keyset order).
        Index(
            "ix_events_listed_start",
            "starts_at",
            "id",
            postgresql_where="status = 'published' AND moderation = 'approved'",
        ),
        # Events going on at a given moment (`PERIOD @> now`), for the default list.
        Index(
            "ix_events_listed_period",
            text("tstzrange(starts_at, ends_at)"),
            postgresql_using="gist",
            postgresql_where="status = 'published' AND moderation = 'approved'",
        ),
        Index("ix_events_search", "search", postgresql_using="gin"),
        # The admins' queues (pending, hidden): small, oldest first.
        Index(
            "ix_events_moderation_queue",
            "created_at",
            "id",
            postgresql_where="moderation <> 'approved'",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organizer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64))
    category_slug: Mapped[str] = mapped_column(
        ForeignKey("categories.slug", ondelete="RESTRICT"), index=True
    )
    venue_name: Mapped[str | None] = mapped_column(String(200))
    venue_address: Mapped[str | None] = mapped_column(String(500))
    venue_lat: Mapped[float | None] = mapped_column(Float)
    venue_lon: Mapped[float | None] = mapped_column(Float)
    online_url: Mapped[str | None] = mapped_column(String(2048))
    capacity: Mapped[int | None]
    # Confirmed and checked-in seats and seats held by an offer, kept in the same transaction
    # as the registrations.
    seats_taken: Mapped[int] = mapped_column(default=0)
    waitlist_count: Mapped[int] = mapped_column(default=0)
    waitlist_mode: Mapped[WaitlistMode] = mapped_column(
        Enum(
            WaitlistMode, native_enum=False, length=10, create_constraint=True, name="waitlist_mode"
        ),
        default=WaitlistMode.auto,
        server_default=WaitlistMode.auto.value,
    )
    offer_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    auto_before_start_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    status: Mapped[EventStatus] = mapped_column(
        Enum(EventStatus, native_enum=False, length=20, create_constraint=True, name="status")
    )
    moderation: Mapped[Moderation] = mapped_column(
        Enum(Moderation, native_enum=False, length=20, create_constraint=True, name="moderation"),
        default=Moderation.approved,
    )
    # The registration form (`shared.events.questions`), checked when written.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    # The rating over its visible reviews, recounted from them by the reviews' consumer
    # (shared.reviews.service.refresh_rating); the average is derived when shown.
    rating_count: Mapped[int] = mapped_column(default=0, server_default="0")
    rating_sum: Mapped[int] = mapped_column(default=0, server_default="0")
    # The series that made it (one of its dates), NULL for an event made alone.
    series_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("series.id", ondelete="SET NULL"), index=True
    )
    # Grows with every change to what a calendar entry shows (RFC 5545 SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    search: Mapped[str] = mapped_column(TSVECTOR, Computed(SEARCH_DOCUMENT, persisted=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    # Loaded when read: most use cases on one event (joining, leaving) never look at them.
    # Queries returning many events load them in one go with `with_tags`.
    tags: Mapped[list[Tag]] = relationship(secondary=event_tags, lazy="select")


# Written exactly as in `ix_events_listed_period`, so the planner uses that index.
PERIOD = func.tstzrange(Event.starts_at, Event.ends_at)

# The cache's invalidation hook comes with the models: a process that can change an event has
# loaded them, and one that only reads the cache loads neither (shared.events.invalidation).
invalidation.watch(Event, Category)
