"""All SQL of calendars: feed tokens, what imports made, and the events a person's feed
shows (read from registrations and events, which their own modules write)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.calendars.models import CalendarFeed, ImportedEntry
from shared.events.models import Event
from shared.events.statuses import Moderation
from shared.registrations.models import Registration, RegistrationStatus


def feed_of(session: Session, user_id: uuid.UUID, *, lock: bool = False) -> CalendarFeed | None:
    query = select(CalendarFeed).where(CalendarFeed.user_id == user_id)
    return session.scalar(query.with_for_update() if lock else query)


def feed_by_hash(session: Session, token_hash: bytes) -> CalendarFeed | None:
    return session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == token_hash))


def registered_events(session: Session, user_id: uuid.UUID, limit: int) -> Sequence[Event]:
    """What the person is registered for (not cancelled), the latest `limit` by start time;
    events an admin hid are left out."""
    return session.scalars(
        select(Event)
        .join(Registration, Registration.event_id == Event.id)
        .where(
            Registration.user_id == user_id,
            Registration.status != RegistrationStatus.cancelled,
            Event.moderation == Moderation.approved,
        )
        .order_by(Event.starts_at.desc(), Event.id)
        .limit(limit)
    ).all()


def last_change(session: Session, user_id: uuid.UUID) -> datetime | None:
    """The latest change to any of the person's registrations or their events, cancelled
    ones included: leaving an event changes the feed too."""
    latest: datetime | None = session.scalar(
        select(func.max(func.greatest(Registration.updated_at, Event.updated_at)))
        .select_from(Registration)
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.user_id == user_id)
    )
    return latest


def mark_changed(session: Session, user_ids: Sequence[uuid.UUID], moment: datetime) -> None:
    session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.user_id.in_(user_ids))
        .values(changed_at=func.greatest(func.coalesce(CalendarFeed.changed_at, moment), moment))
    )


def imported_entry(session: Session, organizer_id: uuid.UUID, key: bytes) -> ImportedEntry | None:
    """What an earlier import made from this entry, locked until the import commits."""
    return session.scalar(
        select(ImportedEntry)
        .where(ImportedEntry.organizer_id == organizer_id, ImportedEntry.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def record_import(
    session: Session,
    organizer_id: uuid.UUID,
    key: bytes,
    uid: str,
    recurrence: str,
    event_id: uuid.UUID,
    synced_at: datetime,
) -> bool:
    """False when another import recorded this entry first (the primary key decides)."""
    inserted = session.execute(
        insert(ImportedEntry)
        .values(
            organizer_id=organizer_id,
            key=key,
            uid=uid,
            recurrence=recurrence,
            event_id=event_id,
            synced_at=synced_at,
        )
        .on_conflict_do_nothing()
        .returning(ImportedEntry.key)
    ).first()
    return inserted is not None
