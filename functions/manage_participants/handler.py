"""The organizer's (or an admin's) view of who is coming: list, check in, remove."""

import uuid
from typing import Annotated

from fastapi import Query, Response
from mangum import Mangum

from shared.db import unit_of_work
from shared.events.errors import EventNotFound, NotEventOwner
from shared.kit import CurrentUser, Function
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.registrations.errors import CannotCheckIn, RegistrationNotFound
from shared.registrations.models import RegistrationStatus
from shared.registrations.participants import (
    Participant,
    ParticipantPage,
    check_in,
    participants,
    remove,
)

fn = Function(
    "manage_participants",
    summary="Organizers list, check in and remove participants.",
    secrets=("cursor_secret",),
)
# `{registration_id:uuid}`: only an id matches, so `/registrations/me` stays `leave_event`'s.
ONE = "/api/v1/events/{event_id}/registrations/{registration_id:uuid}"


@fn.get(
    "/api/v1/events/{event_id}/registrations",
    response_model=ParticipantPage,
    errors=(EventNotFound, NotEventOwner),
)
def list_participants(
    event_id: uuid.UUID,
    user: CurrentUser,
    status: RegistrationStatus | None = None,
    q: Annotated[str | None, Query(max_length=200, description="in name or email")] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> ParticipantPage:
    with unit_of_work() as session:
        return participants(
            session,
            event_id,
            user.user_id,
            user.is_admin,
            status=status,
            q=q or None,
            cursor=cursor,
            limit=limit,
        )


@fn.post(
    f"{ONE}/check-in",
    response_model=Participant,
    errors=(EventNotFound, RegistrationNotFound, NotEventOwner, CannotCheckIn),
)
def check_in_participant(
    event_id: uuid.UUID, registration_id: uuid.UUID, user: CurrentUser
) -> Participant:
    with unit_of_work() as session:
        return check_in(session, event_id, registration_id, user.user_id, user.is_admin)


@fn.delete(ONE, status_code=204, errors=(EventNotFound, RegistrationNotFound, NotEventOwner))
def remove_participant(
    event_id: uuid.UUID, registration_id: uuid.UUID, user: CurrentUser
) -> Response:
    with unit_of_work() as session:
        remove(session, event_id, registration_id, user.user_id, user.is_admin)
    return Response(status_code=204)


app = fn.app()
handler = Mangum(app, lifespan="off")
