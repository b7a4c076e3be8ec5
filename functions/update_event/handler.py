"""The organizer (or an admin) changes an event: edit, publish, cancel, delete."""

import uuid

from fastapi import Response
from mangum import Mangum
from pydantic import Field

from shared.db import unit_of_work
from shared.errors import InvalidInput
from shared.events.errors import (
    CapacityBelowConfirmed,
    EmailNotVerified,
    EventNotEditable,
    EventNotFound,
    NotEventOwner,
)
from shared.events.schemas import EventPublic, EventUpdate
from shared.kit import Function, Organizer
from shared.organizing.changes import cancel_event, delete_event, publish_event, update_event
from shared.validation import RequestModel

fn = Function("update_event", summary="Change, publish, cancel or delete an event.")


class CancelRequest(RequestModel):
    reason: str | None = Field(default=None, max_length=1000)


@fn.patch(
    "/api/v1/events/{event_id}",
    response_model=EventPublic,
    errors=(EventNotFound, NotEventOwner, EventNotEditable, CapacityBelowConfirmed, InvalidInput),
)
def edit(event_id: uuid.UUID, body: EventUpdate, user: Organizer) -> EventPublic:
    with unit_of_work() as session:
        return EventPublic.of(update_event(session, event_id, user.user_id, user.is_admin, body))


@fn.post(
    "/api/v1/events/{event_id}/publish",
    response_model=EventPublic,
    errors=(EventNotFound, NotEventOwner, EventNotEditable, EmailNotVerified),
)
def publish(event_id: uuid.UUID, user: Organizer) -> EventPublic:
    with unit_of_work() as session:
        return EventPublic.of(publish_event(session, event_id, user.user_id, user.is_admin))


@fn.post(
    "/api/v1/events/{event_id}/cancel",
    response_model=EventPublic,
    errors=(EventNotFound, NotEventOwner, EventNotEditable),
)
def cancel(event_id: uuid.UUID, user: Organizer, body: CancelRequest | None = None) -> EventPublic:
    with unit_of_work() as session:
        event = cancel_event(
            session, event_id, user.user_id, user.is_admin, body.reason if body else None
        )
        return EventPublic.of(event)


@fn.delete("/api/v1/events/{event_id}", status_code=204, errors=(EventNotFound, NotEventOwner))
def delete(event_id: uuid.UUID, user: Organizer) -> Response:
    with unit_of_work() as session:
        delete_event(session, event_id, user.user_id, user.is_admin)
    return Response(status_code=204)


app = fn.app()
handler = Mangum(app, lifespan="off")
