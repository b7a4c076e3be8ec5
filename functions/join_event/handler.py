"""POST /api/v1/events/{id}/registrations: take a seat or a place on the waitlist;
POST /api/v1/events/{id}/registrations/me/claim: take the seat a waitlist offer holds."""

import uuid
from typing import Annotated, Any

from fastapi import Header, Response
from mangum import Mangum
from pydantic import Field, StringConstraints

from shared import idempotency
from shared.db import unit_of_work
from shared.events.errors import EventNotFound
from shared.events.questions import MAX_QUESTIONS
from shared.kit import CurrentUser, Function
from shared.registrations.answers import InvalidAnswers
from shared.registrations.errors import EventNotOpen, NoOffer, OfferExpired
from shared.registrations.offers import claim
from shared.registrations.schemas import RegistrationPublic
from shared.registrations.service import join, join_at_once
from shared.validation import RequestModel

fn = Function("join_event", summary="Register for an event.")
IdempotencyKey = Annotated[
    str | None, Header(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
]


class JoinRequest(RequestModel):
    answers: dict[Annotated[str, StringConstraints(max_length=40)], Any] = Field(
        default_factory=dict,
        max_length=MAX_QUESTIONS,
        description="`{question_id: value}` for the event's `questions`: a string (text), "
        "one option (choice), a list of distinct options (multi), true/false (checkbox).",
        examples=[{"diet": "vegetarian", "workshops": ["rust"], "terms": True}],
    )


@fn.post(
    "/api/v1/events/{event_id}/registrations",
    status_code=201,
    response_model=RegistrationPublic,
    responses={200: {"description": "Already registered: the existing registration."}},
    errors=(EventNotFound, EventNotOpen, InvalidAnswers, idempotency.StillInProgress),
    description="The body is needed only for an event with `questions`. 422 "
    "`invalid-answers`: a required answer missing, one of the wrong type or not an option, "
    "or an id that is no question of the event (`errors` names each question); nothing is "
    "kept and no seat or waitlist place is taken. Answers to questions hidden by `show_if` "
    "are dropped. Joining again returns the registration as it is.",
)
def register_for_event(
    event_id: uuid.UUID,
    user: CurrentUser,
    response: Response,
    body: JoinRequest | None = None,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    scope = f"join:{user.user_id}:{event_id}"
    if idempotency_key:
        replay = idempotency.begin(scope, idempotency_key)
        if replay is not None:
            response.status_code = replay.status
            return replay.body
    answers = body.answers if body else None
    try:
        # The common join is one statement committing by itself; any other case (joined
        # already, not open, ...) is told apart in a transaction.
        with unit_of_work(autocommit=True) as session:
            result = join_at_once(
                session, event_id, user.user_id, is_admin=user.is_admin, answers=answers
            )
        if result is None:
            with unit_of_work() as session:
                result = join(
                    session, event_id, user.user_id, is_admin=user.is_admin, answers=answers
                )
    except Exception:
        if idempotency_key:
            idempotency.abandon(scope, idempotency_key)
        raise
    response.status_code = 201 if result.created else 200
    if idempotency_key:
        answer = result.registration.model_dump(mode="json")
        idempotency.finish(scope, idempotency_key, response.status_code, answer)
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
