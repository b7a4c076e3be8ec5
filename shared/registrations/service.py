"""Taking a seat: capacity is never exceeded and the waitlist keeps arrival order.

Joining takes its place in one statement that locks the person (shared) and the event row
for the rest of the transaction (`repository.take_place`, which writes the outbox row too), so
concurrent joins to one event queue up in PostgreSQL and each sees the seat count the previous
one left. The common join runs that statement as its own transaction (`join_at_once`): the
lock is held while it runs and commits, with no round trip to the function in between.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from shared.catalog import RegistrationCancelled, RegistrationCreated
from shared.errors import Unauthenticated
from shared.events import invalidation
from shared.events.errors import EventNotFound
from shared.events.models import Event
from shared.events.questions import read
from shared.events.schemas import EventPublic
from shared.events.service import is_visible, role_in, visible_event
from shared.events.statuses import EventStatus
from shared.events.withdrawn import is_withdrawn
from shared.outbox.writer import emit, emitted, new_row
from shared.pagination import cursor_at, time_and_id
from shared.registrations import repository
from shared.registrations.answers import Answers, checked
from shared.registrations.errors import EventNotOpen, NotRegistered
from shared.registrations.models import Registration, RegistrationStatus
from shared.registrations.promotion import promote_waiting
from shared.registrations.schemas import (
    MyPlace,
    MyRegistration,
    MyRegistrations,
    RegistrationPublic,
)


@dataclass(frozen=True)
class JoinResult:
    registration: RegistrationPublic
    created: bool


def join_at_once(
    session: Session,
    event_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    is_admin: bool,
    answers: Answers | None = None,
) -> JoinResult | None:
    """The common join (an active person not registered yet, a public open event) for a
    `unit_of_work(autocommit=True)`: its one write is the statement taking the place, so the
    event's row is locked only while that statement runs and commits, and concurrent joins
    pass through it one after another at the database's pace. None, with nothing written,
    when it is not the common case: `join`, in a transaction, finds out why and answers."""
    person = repository.joiner(session, event_id, user_id)
    if person is None or not person.is_active or person.existing is not None:
        return None
    kept = _checked_answers(session, person.form, user_id, is_admin, answers or {})
    public = _take(session, event_id, user_id, kept, public_only=True)
    return None if public is None else JoinResult(public, created=True)


def join(
    session: Session,
    event_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    is_admin: bool,
    answers: Answers | None = None,
) -> JoinResult:
    """`answers`: to the event's questions (see registrations.answers); checked before the
    place is taken, so wrong ones take no seat and store nothing. Joining again returns the
    registration as it is, its answers unchanged."""
    # Shared lock on the person (an account deletion in progress finishes first) and their
    # registration, in one round trip before the event's lock, which is then held only by the
    # statement taking the place.
    person = repository.joiner(session, event_id, user_id)
    if person is None or not person.is_active:
        raise Unauthenticated("This account can no longer register.")
    existing = person.existing
    if existing is not None:
        visible_event(session, event_id, user_id, is_admin)  # 404 once hidden from them
        return JoinResult(_public(session, existing), created=False)
    kept = _checked_answers(session, person.form, user_id, is_admin, answers or {})
    public = _take(session, event_id, user_id, kept, public_only=True)
    if public is None:
        # Not a public open event, or a second join of this person just committed: the
        # reason is read under the event's lock, and the place taken once it is known.
        event = visible_event(session, event_id, user_id, is_admin, for_update=True)
        existing = repository.active_for(session, event_id, user_id)
        if existing is not None:
            return JoinResult(_public(session, existing), created=False)
        if event.status != EventStatus.published:
            raise EventNotOpen(f"This event is {event.status.value}.")
        public = _take(session, event_id, user_id, kept, public_only=False)
        if public is None:
            raise EventNotOpen("This event is over.")
    return JoinResult(public, created=True)


def _take(
    session: Session,
    event_id: uuid.UUID,
    user_id: uuid.UUID,
    answers: list[dict[str, Any]],
    *,
    public_only: bool,
) -> RegistrationPublic | None:
    """A seat or a waitlist place, and its CloudEvent, in one statement (see
    `repository.take_place`); None when it took nothing."""
    registration_id = uuid.uuid4()
    # Written by the statement that takes the place, with the status and place it decides.
    cloudevent = new_row(
        RegistrationCreated(
            registration_id=registration_id,
            event_id=event_id,
            user_id=user_id,
            status=RegistrationStatus.confirmed.value,
        )
    )
    taken = repository.take_place(
        session,
        registration_id,
        event_id,
        user_id,
        public_only=public_only,
        cloudevent=cloudevent,
        answers=answers,
    )
    if taken is None:
        return None
    invalidation.note_counters_changed(session, event_id)
    waitlisted = taken.status == RegistrationStatus.waitlisted
    # Under the event's lock the waitlist only grows at its end: the newcomer is last.
    public = RegistrationPublic(
        id=taken.registration_id,
        event_id=event_id,
        user_id=user_id,
        status=taken.status.value,
        waitlist_position=taken.waitlist_count if waitlisted else None,
    )
    # The row as the statement wrote it, for the publisher.
    cloudevent.data = {
        **cloudevent.data,
        "status": public.status,
        "waitlist_position": public.waitlist_position,
    }
    emitted(session, cloudevent)
    return public


def _checked_answers(
    session: Session, event: Event | None, user_id: uuid.UUID, is_admin: bool, answers: Answers
) -> list[dict[str, Any]]:
    """The answers to keep, checked against the event's form as `joiner` read it (without a
    lock on the event: a form changed in this instant leaves the answers with the labels they
    were given for)."""
    if event is None or not (event.questions or answers):
        return []  # a missing event is told by the place not taken: 404
    if not is_visible(session, event, user_id, is_admin):
        raise EventNotFound(f"No event {event.id}.")  # its form says nothing to strangers
    return checked(read(event.questions), answers)


def _public(
    session: Session, registration: Registration, positions: dict[uuid.UUID, int] | None = None
) -> RegistrationPublic:
    """`positions`: places in line already looked up for a whole page."""
    if positions is None:
        positions = repository.waitlist_positions(session, [registration])
    position = positions.get(registration.id)
    return RegistrationPublic(
        id=registration.id,
        event_id=registration.event_id,
        user_id=registration.user_id,
        status=registration.status.value,
        waitlist_position=position,
        offer_expires_at=(
            registration.offer_expires_at
            if registration.status == RegistrationStatus.offered
            else None
        ),
    )


def cancel(session: Session, registration: Registration, by_user_id: uuid.UUID) -> None:
    """Cancel one registration; a freed seat (a held offer too) goes to the first person
    waiting, in the same transaction (the event row is locked, so concurrent cancellations
    queue up)."""
    event = repository.event_for_update(session, registration.event_id)
    if event is None:
        return  # the event was deleted meanwhile, and the registration with it
    # Read again under the event's lock: a promotion may have committed since it was loaded.
    # Its own row locked too: a check-in takes only that row, and the status it leaves is
    # the one cancelled (`previous_status`), not the one before it.
    session.refresh(registration, with_for_update=True)
    was = registration.status
    if was == RegistrationStatus.cancelled:
        return
    registration.status = RegistrationStatus.cancelled
    registration.cancelled_at = datetime.now(UTC)
    if was == RegistrationStatus.waitlisted:
        event.waitlist_count -= 1
    else:
        event.seats_taken -= 1
    emit(
        session,
        RegistrationCancelled(
            registration_id=registration.id,
            event_id=registration.event_id,
            user_id=registration.user_id,
            by_user_id=by_user_id,
            previous_status=was.value,
        ),
    )
    session.flush()
    promote_waiting(session, event)


def leave(session: Session, event_id: uuid.UUID, user_id: uuid.UUID, *, is_admin: bool) -> None:
    """The caller cancels their own active registration; the seat goes to the waitlist.
    Someone registered may leave even once the event is hidden from everyone else."""
    registration = repository.active_for(session, event_id, user_id)
    if registration is None:
        visible_event(session, event_id, user_id, is_admin)  # 404 for an unknown event
        raise NotRegistered("You have no active registration for this event.")
    cancel(session, registration, by_user_id=user_id)


def mine(
    session: Session, user_id: uuid.UUID, *, cursor: str | None, limit: int
) -> MyRegistrations:
    """The caller's registrations, newest first, each with its event."""
    before = time_and_id(cursor) if cursor else None
    rows = repository.of_user_with_events(session, user_id, before=before, limit=limit + 1)
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit and page:
        last = page[-1][0]
        next_cursor = cursor_at(last.created_at, last.id)
    positions = repository.waitlist_positions(session, [r for r, _ in page])
    items = [
        MyRegistration(
            **_public(session, registration, positions).model_dump(),
            created_at=registration.created_at,
            event=EventPublic.of(event, withdrawn=is_withdrawn(event, user_id)),
        )
        for registration, event in page
    ]
    return MyRegistrations(items=items, next_cursor=next_cursor)


def my_place(session: Session, event_id: uuid.UUID, user_id: uuid.UUID, is_admin: bool) -> MyPlace:
    """The caller's registration and part at the event. Someone registered learns it even
    once the event is hidden from everyone else (as they may still leave); anyone else gets
    404 for an event they cannot see, as for a missing one."""
    registration = repository.active_for(session, event_id, user_id)
    event = session.get(Event, event_id)
    if event is None or (
        registration is None and not is_visible(session, event, user_id, is_admin)
    ):
        raise EventNotFound(f"No event {event_id}.")
    role = role_in(session, event, user_id)
    return MyPlace.model_validate(
        {
            "registration": _public(session, registration) if registration else None,
            "viewer_role": role,
        }
    )
