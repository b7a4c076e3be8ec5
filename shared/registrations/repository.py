"""All SQL about registrations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, aliased

from shared.events.models import Event
from shared.events.repository import with_tags
from shared.registrations.models import Registration, RegistrationStatus


def active_for(session: Session, event_id: uuid.UUID, user_id: uuid.UUID) -> Registration | None:
    return session.scalar(
        select(Registration).where(
            Registration.event_id == event_id,
            Registration.user_id == user_id,
            Registration.status != RegistrationStatus.cancelled,
        )
    )


def waitlist_positions(session: Session, registrations: list[Registration]) -> dict[uuid.UUID, int]:
    """Place in line (1 = next) of each waitlisted registration given, in one query;
    arrival order is the `queue_seq` identity."""
    waiting = [r.id for r in registrations if r.status == RegistrationStatus.waitlisted]
    if not waiting:
        return {}
    ahead = aliased(Registration)
    place = (
        select(func.count())
        .where(
            ahead.event_id == Registration.event_id,
            ahead.status == RegistrationStatus.waitlisted,
            ahead.queue_seq < Registration.queue_seq,
        )
        .scalar_subquery()
    )
    rows = session.execute(select(Registration.id, place).where(Registration.id.in_(waiting)))
    return {row[0]: int(row[1]) + 1 for row in rows}


def event_for_update(session: Session, event_id: uuid.UUID) -> Event | None:
    """The event, locked and read again (its counters may have moved since it was loaded);
    None when it was deleted meanwhile, taking its registrations with it."""
    return session.get(Event, event_id, with_for_update=True, populate_existing=True)


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


def active_of_event(session: Session, event_id: uuid.UUID) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event_id,
                Registration.status != RegistrationStatus.cancelled,
            )
            .order_by(Registration.queue_seq)
        )
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
        .options(with_tags())
    )
    if before is not None:
        query = query.where(tuple_(Registration.created_at, Registration.id) < tuple_(*before))
    rows = session.execute(
        query.order_by(Registration.created_at.desc(), Registration.id.desc()).limit(limit)
    )
    return [(registration, event) for registration, event in rows]
