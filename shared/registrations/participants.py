"""The organizer's side of registrations: who is coming, removing someone (checking people in
is the door's: shared.registrations.door).

Listing is for the organizer, its team and admins (see teams.rights); removing someone is for
the organizer, a co-organizer or an admin. A removal frees the seat for the
first person waiting in the same transaction, exactly as when someone leaves.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from shared.errors import InvalidInput
from shared.events.service import owned_event
from shared.pagination import decode_cursor, encode_cursor
from shared.registrations import repository
from shared.registrations.errors import RegistrationNotFound
from shared.registrations.models import Registration, RegistrationStatus
from shared.registrations.schemas import Answer, RegistrationPublic, answers_of
from shared.registrations.service import cancel
from shared.teams.rights import EventRight
from shared.users import repository as users
from shared.users.models import User


class Participant(RegistrationPublic):
    full_name: str
    email: str
    created_at: datetime
    checked_in_at: datetime | None
    # To the event's questions, as asked (`label` is the wording then).
    answers: list[Answer]


class ParticipantPage(BaseModel):
    items: list[Participant]
    next_cursor: str | None


def participants(
    session: Session,
    event_id: uuid.UUID,
    actor_id: uuid.UUID,
    actor_is_admin: bool,
    *,
    status: RegistrationStatus | None,
    q: str | None,
    cursor: str | None,
    limit: int,
) -> ParticipantPage:
    """In arrival order (the waitlist order), keyset-paginated on the arrival sequence."""
    owned_event(
        session, event_id, actor_id, actor_is_admin, right=EventRight.participants, lock=False
    )
    query: Select[Registration, User] = (
        select(Registration, User)
        .join(User, User.id == Registration.user_id)
        .where(Registration.event_id == event_id)
    )
    if status is not None:
        query = query.where(Registration.status == status)
    if q:
        query = query.where(users.name_or_email_contains(q))
    if cursor:
        query = query.where(Registration.queue_seq > _arrival(cursor))
    rows = list(session.execute(query.order_by(Registration.queue_seq).limit(limit + 1)))
    page = rows[:limit]
    positions = repository.waitlist_positions(session, [r for r, _ in page])
    items = [
        Participant(
            id=registration.id,
            event_id=registration.event_id,
            user_id=registration.user_id,
            status=registration.status.value,
            waitlist_position=positions.get(registration.id),
            offer_expires_at=(
                registration.offer_expires_at
                if registration.status == RegistrationStatus.offered
                else None
            ),
            full_name=person.full_name,
            email=person.email,
            created_at=registration.created_at,
            checked_in_at=registration.checked_in_at,
            answers=answers_of(registration.answers),
        )
        for registration, person in page
    ]
    next_cursor = encode_cursor([page[-1][0].queue_seq]) if len(rows) > limit else None
    return ParticipantPage(items=items, next_cursor=next_cursor)


def _arrival(cursor: str) -> int:
    position = decode_cursor(cursor)
    if len(position) != 1 or not isinstance(position[0], int):
        raise InvalidInput("The cursor is not valid.", field="cursor", where="query")
    return position[0]


def locked_registration(
    session: Session, event_id: uuid.UUID, registration_id: uuid.UUID
) -> Registration:
    """One registration of this event, locked for the change the caller makes."""
    registration = session.get(Registration, registration_id, with_for_update=True)
    if registration is None or registration.event_id != event_id:
        raise RegistrationNotFound(f"No registration {registration_id} for this event.")
    return registration


def remove(
    session: Session,
    event_id: uuid.UUID,
    registration_id: uuid.UUID,
    actor_id: uuid.UUID,
    actor_is_admin: bool,
) -> None:
    """Cancel someone's registration; removing one already cancelled changes nothing."""
    owned_event(session, event_id, actor_id, actor_is_admin, right=EventRight.manage)
    registration = locked_registration(session, event_id, registration_id)
    cancel(session, registration, by_user_id=actor_id)
