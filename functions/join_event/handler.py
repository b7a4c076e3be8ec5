"""POST /api/v1/events/{id}/registrations: take a seat or a place on the waitlist;
POST /api/v1/events/{id}/registrations/me/claim: take the seat a waitlist offer holds."""

import uuid
from typing import Annotated, Any

from fastapi import Header, Response
from mangum import Mangum

from shared import idempotency
from shared.db import unit_of_work
from shared.events.errors import EventNotFound
from shared.kit import CurrentUser, Function
from shared.registrations.errors import EventNotOpen, NoOffer, OfferExpired
from shared.registrations.offers import claim
from shared.registrations.schemas import RegistrationPublic
from shared.registrations.service import join

fn = Function("join_event", summary="Register for an event.")
IdempotencyKey = Annotated[
    str | None, Header(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
]


@fn.post(
    "/api/v1/events/{event_id}/registrations",
    status_code=201,
    response_model=RegistrationPublic,
    responses={200: {"description": "Already registered: the existing registration."}},
    errors=(EventNotFound, EventNotOpen, idempotency.StillInProgress),
)
def register_for_event(
    event_id: uuid.UUID,
    user: CurrentUser,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    scope = f"join:{user.user_id}:{event_id}"
    if idempotency_key:
        replay = idempotency.begin(scope, idempotency_key)
        if replay is not None:
            response.status_code = replay.status
            return replay.body
    try:
        with unit_of_work() as session:
            result = join(session, event_id, user.user_id, is_admin=user.is_admin)
    except Exception:
        if idempotency_key:
            idempotency.abandon(scope, idempotency_key)
        raise
    response.status_code = 201 if result.created else 200
    if idempotency_key:
        body = result.registration.model_dump(mode="json")
        idempotency.finish(scope, idempotency_key, response.status_code, body)
    return result.registration


@fn.post(
    "/api/v1/events/{event_id}/registrations/me/claim",
    response_model=RegistrationPublic,
    errors=(EventNotFound, NoOffer, OfferExpired, EventNotOpen),
)
def claim_offered_seat(event_id: uuid.UUID, user: CurrentUser) -> RegistrationPublic:
    """The seat a waitlist offer holds for the caller becomes theirs (confirmed, with a
    ticket). No offer (never made, already claimed, given up) or an expired one → 409."""
    with unit_of_work() as session:
        return claim(session, event_id, user.user_id, is_admin=user.is_admin)


app = fn.app()
handler = Mangum(app, lifespan="off")
