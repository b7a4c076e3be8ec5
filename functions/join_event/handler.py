"""POST /api/v1/events/{id}/registrations: take a seat or a place on the waitlist."""

import uuid

from fastapi import Response
from mangum import Mangum

from shared.db import unit_of_work
from shared.kit import CurrentUser, Function
from shared.registrations.schemas import RegistrationPublic
from shared.registrations.service import join

fn = Function("join_event", summary="Register for an event.")


@fn.post(
    "/api/v1/events/{event_id}/registrations",
    status_code=201,
    response_model=RegistrationPublic,
    responses={200: {"description": "Already registered: the existing registration."}},
)
def register_for_event(
    event_id: uuid.UUID, user: CurrentUser, response: Response
) -> RegistrationPublic:
    with unit_of_work() as session:
        result = join(session, event_id, user.user_id, is_admin=user.is_admin)
    if not result.created:
        response.status_code = 200
    return result.registration


app = fn.app()
handler = Mangum(app, lifespan="off")
