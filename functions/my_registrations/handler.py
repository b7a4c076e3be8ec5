"""GET /api/v1/me/registrations: the caller's registrations with their events, and the ticket
of each seat."""

import uuid
from typing import Annotated

from fastapi import Query
from mangum import Mangum

from shared.db import unit_of_work
from shared.kit import CurrentUser, Function
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.registrations.errors import NoTicket, RegistrationNotFound
from shared.registrations.schemas import MyRegistrations
from shared.registrations.service import mine
from shared.registrations.tickets import Ticket, my_ticket

fn = Function(
    "my_registrations",
    summary="One's own registrations, newest first.",
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


app = fn.app()
handler = Mangum(app, lifespan="off")
