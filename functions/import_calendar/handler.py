"""Organizers bring their existing calendars: an .ics file becomes draft events."""

from fastapi import Request
from mangum import Mangum
from starlette.concurrency import run_in_threadpool

from shared.calendars.errors import InvalidCalendar
from shared.calendars.importing import import_calendar
from shared.calendars.schemas import ImportResult
from shared.db import unit_of_work
from shared.kit import Function, Organizer, Principal

fn = Function(
    "import_calendar",
    summary="Import an .ics file into draft events.",
    extras=("calendar",),
)
CALENDAR_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/calendar": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@fn.post(
    "/api/v1/calendar/import",
    status_code=201,
    response_model=ImportResult,
    openapi_extra=CALENDAR_BODY,
    errors=(InvalidCalendar,),
)
async def import_ics(request: Request, user: Organizer) -> ImportResult:
    # The kit holds the body to MAX_BODY_BYTES (413 beyond) while it streams in.
    body = await request.body()
    return await run_in_threadpool(_import, user, body)


def _import(user: Principal, body: bytes) -> ImportResult:
    with unit_of_work() as session:
        return import_calendar(session, user.user_id, body)


app = fn.app()
handler = Mangum(app, lifespan="off")
