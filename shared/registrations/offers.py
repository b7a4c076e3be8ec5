"""Waitlist offers: claiming a held seat, and expiring offers nobody claimed in time.

Both lock the event's row first (as joining, leaving and capacity changes do), so a claim and
the expiry of the same offer are serialized: whichever commits first decides, the other
sees it. An offer past its time is never claimable, even before the sweep has run.

An expired offer's registration is *cancelled* (it leaves the waitlist: someone who did not
answer in `offer_hours` is not kept in line for the next seat; they may register again, at
the end of the line), and the seat goes to the next person waiting: offered again, or given
at once within `auto_before_start_hours` of the start.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from shared.catalog import RegistrationClaimed, RegistrationOfferExpired
from shared.db import unit_of_work
from shared.events.errors import EventNotFound
from shared.events.models import Event
from shared.events.service import visible_event
from shared.events.statuses import EventStatus
from shared.outbox.writer import emit
from shared.registrations import repository
from shared.registrations.errors import EventNotOpen, NoOffer, OfferExpired
from shared.registrations.models import Registration, RegistrationStatus
from shared.registrations.promotion import promote_waiting
from shared.registrations.schemas import RegistrationPublic

# Events whose expired offers one sweep handles, each in its own short transaction.
EVENTS_PER_SWEEP = 500


def claim(
    session: Session, event_id: uuid.UUID, user_id: uuid.UUID, *, is_admin: bool
) -> RegistrationPublic:
    """The caller takes the seat offered to them: their registration is confirmed."""
    registration = repository.active_for(session, event_id, user_id)
    if registration is None:
        visible_event(session, event_id, user_id, is_admin)  # 404 for an unknown event
        raise NoOffer("No seat is offered to you for this event.")
    event = repository.event_for_update(session, event_id)
    if event is None:
        raise EventNotFound(f"No event {event_id}.")
    # Read again under the event's lock: the offer may have expired or been claimed meanwhile.
    session.refresh(registration)
    now = datetime.now(UTC)
    if registration.status != RegistrationStatus.offered:
        raise NoOffer(f"Your registration is {registration.status.value}; no seat is offered.")
    assert registration.offer_expires_at is not None
    if registration.offer_expires_at <= now:
        raise OfferExpired(
            f"The offer ran out at {registration.offer_expires_at.isoformat()}.",
        )
    if event.status != EventStatus.published or event.ends_at <= now:
        raise EventNotOpen(f"This event is {'over' if event.ends_at <= now else event.status}.")
    registration.status = RegistrationStatus.confirmed
    emit(
        session,
        RegistrationClaimed(registration_id=registration.id, event_id=event_id, user_id=user_id),
    )
    return RegistrationPublic(
        id=registration.id,
        event_id=event_id,
        user_id=user_id,
        status=registration.status.value,
    )


def expire_due() -> int:
    """The scheduled sweep: every offer past its time expires, and its seat goes on. Safe to
    overlap with itself and with claims (each event is done under its row lock)."""
    with unit_of_work() as session:
        event_ids = repository.events_with_offers_due(
            session, datetime.now(UTC), limit=EVENTS_PER_SWEEP
        )
    expired = 0
    for event_id in event_ids:
        with unit_of_work() as session:
            expired += expire_offers_of(session, event_id)
    return expired


def expire_offers_of(session: Session, event_id: uuid.UUID) -> int:
    event = repository.event_for_update(session, event_id)
    if event is None:
        return 0  # deleted meanwhile, its registrations with it
    # Read under the lock: a claim that committed first has taken its offer out of this.
    now = datetime.now(UTC)
    due = repository.offers_due(session, event_id, now)
    for registration in due:
        _expire(session, event, registration, now)
    if due:
        session.flush()
        promote_waiting(session, event)
    return len(due)


def _expire(session: Session, event: Event, registration: Registration, now: datetime) -> None:
    registration.status = RegistrationStatus.cancelled
    registration.cancelled_at = now
    event.seats_taken -= 1
    emit(
        session,
        RegistrationOfferExpired(
            registration_id=registration.id, event_id=event.id, user_id=registration.user_id
        ),
    )
