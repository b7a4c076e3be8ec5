"""All SQL about registrations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from shared.events.models import Event
from shared.registrations.models import Registration, RegistrationStatus


def active_for(session: Session, event_id: uuid.UUID, user_id: uuid.UUID) -> Registration | None:
    return session.scalar(
        select(Registration).where(
            Registration.event_id == event_id,
            Registration.user_id == user_id,
            Registration.status != RegistrationStatus.cancelled,
        )
    )


def waitlist_position(session: Session, registration: Registration) -> int:
    """1 for the first person waiting; arrival order is the `queue_seq` identity."""
    ahead = session.scalar(
        select(func.count()).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.waitlisted,
            Registration.queue_seq < registration.queue_seq,
        )
    )
    return int(ahead or 0) + 1


def event_for_update(session: Session, event_id: uuid.UUID) -> Event:
    event = session.get(Event, event_id, with_for_update=True)
    assert event is not None, "a registration's event exists (foreign key)"
    return event


def first_waiting(session: Session, event_id: uuid.UUID) -> Registration | None:
    return session.scalar(
        select(Registration)
        .where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.waitlisted,
        )
        .order_by(Registration.queue_seq)
        .limit(1)
        .with_for_update()
    )


def active_of_user(session: Session, user_id: uuid.UUID) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .where(
                Registration.user_id == user_id,
                Registration.status != RegistrationStatus.cancelled,
            )
            .order_by(Registration.event_id)
        )
    )


def of_user(session: Session, user_id: uuid.UUID) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .where(Registration.user_id == user_id)
            .order_by(Registration.created_at)
        )
    )


def of_user_with_events(
    session: Session,
    user_id: uuid.UUID,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Registration, Event]]:
    """Newest first, keyset-paginated on (created_at, id)."""
    query = (
        select(Registration, Event)
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.user_id == user_id)
    )
    if before is not None:
        query = query.where(tuple_(Registration.created_at, Registration.id) < tuple_(*before))
    rows = session.execute(
        query.order_by(Registration.created_at.desc(), Registration.id.desc()).limit(limit)
    )
    return [(registration, event) for registration, event in rows]
