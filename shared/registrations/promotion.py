"""Freed seats go to the waitlist, first come first served: at once (`auto` mode, or `offer`
mode within `auto_before_start_hours` of the start), or as an offer held for `offer_hours`.

Callers hold the event's row lock. A held offer counts in `seats_taken`, so confirmed seats
plus held offers never exceed the capacity (a CHECK constraint on the event row).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from shared.catalog import RegistrationOffered, RegistrationPromoted
from shared.events.models import Event
from shared.events.statuses import EventStatus, WaitlistMode
from shared.outbox.writer import emit
from shared.registrations import repository
from shared.registrations.models import Registration, RegistrationStatus


def offers_now(event: Event, now: datetime) -> bool:
    """Whether a seat freed now is offered rather than given."""
    if event.waitlist_mode != WaitlistMode.offer:
        return False
    return now < event.starts_at - timedelta(hours=event.auto_before_start_hours)


def promote_waiting(session: Session, event: Event) -> None:
    """Fill free seats from the waitlist while the event is open: nobody is given or offered
    a seat at a cancelled or finished event."""
    now = datetime.now(UTC)
    if event.status != EventStatus.published or event.ends_at <= now:
        return
    offering = offers_now(event, now)
    while event.capacity is None or event.seats_taken < event.capacity:
        waiting = repository.first_waiting(session, event.id)
        if waiting is None:
            return
        event.seats_taken += 1
        event.waitlist_count -= 1
        if offering:
            _offer(session, event, waiting, now)
        else:
            _give(session, event, waiting)
        session.flush()


def _give(session: Session, event: Event, waiting: Registration) -> None:
    waiting.status = RegistrationStatus.confirmed
    emit(
        session,
        RegistrationPromoted(
            registration_id=waiting.id, event_id=event.id, user_id=waiting.user_id
        ),
    )


def _offer(session: Session, event: Event, waiting: Registration, now: datetime) -> None:
    waiting.status = RegistrationStatus.offered
    waiting.offer_expires_at = now + timedelta(hours=event.offer_hours)
    emit(
        session,
        RegistrationOffered(
            registration_id=waiting.id,
            event_id=event.id,
            user_id=waiting.user_id,
            offer_expires_at=waiting.offer_expires_at,
        ),
    )
