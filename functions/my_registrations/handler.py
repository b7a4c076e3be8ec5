"""GET /api/v1/me/registrations: the caller's registrations with their events, and the ticket
of each seat; GET /api/v1/events/{id}/me: the caller's own place at one event."""

import uuid
from typing import Annotated

from fastapi import Query
from mangum import Mangum

from shared.db import unit_of_work
from shared.events.errors import EventNotFound
from shared.kit import CurrentUser, Function
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.registrations.errors import NoTicket, RegistrationNotFound
from shared.registrations.schemas import MyPlace, MyRegistrations
from shared.registrations.service import mine, my_place
from shared.registrations.tickets import Ticket, my_ticket

fn = Function(
    "my_registrations",
    summary="One's own registrations, newest first; one's own place at an event.",
    secrets=("cursor_secret", "ticket_key"),
)


@fn.get("/api/v1/me/registrations", response_model=MyRegistrations)
def my_registrations(
    user: CurrentUser,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> MyRegistrations:
    with unit_of_work() as session:
        return mine(session, user.user_id, cursor=cursor, limit=limit)


@fn.get(
    "/api/v1/me/registrations/{registration_id}/ticket",
    response_model=Ticket,
    errors=(RegistrationNotFound, NoTicket),
    description="The ticket of one's own confirmed (or checked-in) seat: its signed code and "
    "the code as a QR picture. Someone else's registration is 404; a waitlisted or cancelled "
    "one, or one of a cancelled event, 409 `no-ticket`.",
)
def ticket(registration_id: uuid.UUID, user: CurrentUser) -> Ticket:
    with unit_of_work() as session:
        return my_ticket(session, user.user_id, registration_id)


@fn.get(
    "/api/v1/events/{event_id}/me",
    response_model=MyPlace,
    errors=(EventNotFound,),
    description="The caller's active registration at the event (or null) and their part in "
    "organizing it (`viewer_role`: owner, co_organizer, steward or null). Per person, so "
    "never part of the shared, cached event page.",
)
def my_place_at(event_id: uuid.UUID, user: CurrentUser) -> MyPlace:
    with unit_of_work() as session:
        return my_place(session, event_id, user.user_id, user.is_admin)


app = fn.app()
handler = Mangum(app, lifespan="off")
