"""POST /api/v1/events: an organizer creates an event (draft or published)."""

from mangum import Mangum

from shared.db import unit_of_work
from shared.errors import InvalidInput
from shared.events.errors import EmailNotVerified
from shared.events.schemas import EventCreate, EventPublic
from shared.events.service import create_event
from shared.kit import Function, Organizer

fn = Function("create_event", summary="Organizers create events.")


@fn.post(
    "/api/v1/events",
    status_code=201,
    response_model=EventPublic,
    errors=(EmailNotVerified, InvalidInput),
)
def create(body: EventCreate, user: Organizer) -> EventPublic:
    with unit_of_work() as session:
        return EventPublic.of(create_event(session, user.user_id, body))


app = fn.app()
handler = Mangum(app, lifespan="off")
