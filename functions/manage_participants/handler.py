"""The organizer's (or an admin's) view of who is coming: list, check in (by registration, by
ticket code, or a door device's offline batch and the snapshot it works from), remove."""

import uuid
from typing import Annotated

from fastapi import Query, Response
from mangum import Mangum
from pydantic import BaseModel, Field

from shared.db import unit_of_work
from shared.events.errors import EventNotFound, NotEventOwner
from shared.kit import CurrentUser, Function
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.registrations import door
from shared.registrations.errors import (
    AlreadyCheckedIn,
    CannotCheckIn,
    InvalidTicket,
    RegistrationNotFound,
)
from shared.registrations.models import RegistrationStatus
from shared.registrations.participants import Participant, ParticipantPage, participants, remove

fn = Function(
    "manage_participants",
    summary="Organizers list, check in and remove participants.",
    secrets=("cursor_secret", "ticket_key"),
)
# `{registration_id:uuid}`: only an id matches, so `/registrations/me` stays `leave_event`'s.
ONE = "/api/v1/events/{event_id}/registrations/{registration_id:uuid}"
DOOR = "/api/v1/events/{event_id}/check-in"


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
        return door.check_in(session, event_id, registration_id, user.user_id, user.is_admin)


class TicketScan(BaseModel):
    code: str = Field(min_length=1, max_length=door.MAX_CODE_LENGTH)


@fn.post(
    DOOR,
    response_model=Participant,
    errors=(EventNotFound, NotEventOwner, InvalidTicket, AlreadyCheckedIn, CannotCheckIn),
    description="Check a ticket in by its code. 409 `already-checked-in` carries "
    "`checked_in_at`; 409 `cannot-check-in`: waitlisted, cancelled, or the event is; 422 "
    "`invalid-ticket`: forged, of another event, or of a retired key.",
)
def check_in_ticket(event_id: uuid.UUID, scan: TicketScan, user: CurrentUser) -> Participant:
    with unit_of_work() as session:
        return door.check_in_by_code(session, event_id, scan.code, user.user_id, user.is_admin)


@fn.get(
    f"{DOOR}/snapshot",
    response_model=door.Snapshot,
    errors=(EventNotFound, NotEventOwner),
    description="What a door device needs to check people in offline: one entry per "
    "registration (per ticket key still accepted, during a key rotation), with "
    "`code_hash` = SHA-256, in lower-case hex, of the scanned code's ASCII text in upper "
    "case. No code is in it: a device hashes what it scans and looks the hash up.",
)
def check_in_snapshot(event_id: uuid.UUID, user: CurrentUser) -> door.Snapshot:
    with unit_of_work() as session:
        return door.snapshot(session, event_id, user.user_id, user.is_admin)


@fn.post(
    f"{DOOR}/batch",
    response_model=door.ScanResults,
    errors=(EventNotFound, NotEventOwner),
    description=f"The scans a door device queued offline (at most {door.MAX_BATCH} per "
    "batch), in order: `checked_in`, `already` (by an earlier scan, this device's or "
    "another's) or `invalid` (forged, another event's, waitlisted or cancelled). A scan's "
    "`scanned_at` is the check-in time, bounded to now at the latest and to the "
    "registration's creation at the earliest. Replaying a batch changes nothing.",
)
def check_in_batch(event_id: uuid.UUID, batch: door.Scans, user: CurrentUser) -> door.ScanResults:
    with unit_of_work() as session:
        return door.check_in_batch(session, event_id, batch.scans, user.user_id, user.is_admin)


@fn.delete(ONE, status_code=204, errors=(EventNotFound, RegistrationNotFound, NotEventOwner))
def remove_participant(
    event_id: uuid.UUID, registration_id: uuid.UUID, user: CurrentUser
) -> Response:
    with unit_of_work() as session:
        remove(session, event_id, registration_id, user.user_id, user.is_admin)
    return Response(status_code=204)


app = fn.app()
handler = Mangum(app, lifespan="off")
