"""DELETE /api/v1/events/{id}/registrations/me: cancel one's registration; the first person
waiting gets the seat in the same transaction."""

import uuid

from fastapi import Response
from mangum import Mangum

from shared.db import unit_of_work
from shared.events.errors import EventNotFound
from shared.kit import CurrentUser, Function
from shared.registrations.errors import NotRegistered
from shared.registrations.service import leave

fn = Function("leave_event", summary="Cancel one's own registration.")


@fn.delete(
    "/api/v1/events/{event_id}/registrations/me",
    status_code=204,
    errors=(EventNotFound, NotRegistered),
)
def leave_event(event_id: uuid.UUID, user: CurrentUser) -> Response:
    with unit_of_work() as session:
        leave(session, event_id, user.user_id, is_admin=user.is_admin)
    return Response(status_code=204)


app = fn.app()
handler = Mangum(app, lifespan="off")
