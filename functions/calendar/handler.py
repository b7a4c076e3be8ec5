"""Events in people's calendars: an .ics per event, a Google Calendar link, and a secret
personal feed of everything one is registered for (rotatable, with conditional GETs)."""

import re
import uuid
from typing import Annotated

from fastapi import Path, Request, Response
from mangum import Mangum
from sqlalchemy.orm import Session

from shared.calendars import feeds
from shared.calendars.errors import FeedNotFound
from shared.calendars.google import google_calendar_link
from shared.calendars.ics import CONTENT_TYPE, event_calendar
from shared.calendars.schemas import FeedLink, LinkOut
from shared.catalog import EventDeleted
from shared.db import unit_of_work
from shared.events.errors import EventNotFound
from shared.events.service import visible_event
from shared.kit import CurrentUser, Function, OptionalUser, Scaling
from shared.kit.conditional import conditional_response
from shared.kit.consuming import ReceivedCloudEvent

EVENT_DELETED = EventDeleted.cloudevent_type

fn = Function(
    "calendar",
    summary="Events as iCalendar: per event, Google links, personal feeds.",
    consumes=(EVENT_DELETED,),
    secrets=("calendar_feed_secret",),
    extras=("calendar",),
    # Calendar apps poll feeds on their own schedule, many at once.
    scaling=Scaling(max_scale=20, concurrency=100),
)
ICS = {"content": {"text/calendar": {"schema": {"type": "string"}}}}


@fn.get(
    "/api/v1/events/{event_id}/calendar.ics",
    response_class=Response,
    responses={200: ICS},
    errors=(EventNotFound,),
)
def event_ics(event_id: uuid.UUID, request: Request, user: OptionalUser) -> Response:
    with unit_of_work() as session:
        viewer = user.user_id if user else None
        event = visible_event(session, event_id, viewer, bool(user and user.is_admin))
        body = event_calendar(event)
        modified = event.updated_at
        name = re.sub(r"[^A-Za-z0-9]+", "-", event.title).strip("-").lower()[:60] or "event"
    disposition = {"Content-Disposition": f'attachment; filename="{name}.ics"'}
    return conditional_response(
        request, body, CONTENT_TYPE, last_modified=modified, headers=disposition
    )


@fn.get(
    "/api/v1/events/{event_id}/calendar/google", response_model=LinkOut, errors=(EventNotFound,)
)
def google_link(event_id: uuid.UUID, user: OptionalUser) -> LinkOut:
    with unit_of_work() as session:
        viewer = user.user_id if user else None
        event = visible_event(session, event_id, viewer, bool(user and user.is_admin))
        return LinkOut(url=google_calendar_link(event))


@fn.get("/api/v1/me/calendar-feed", response_model=FeedLink)
def my_feed(user: CurrentUser) -> FeedLink:
    with unit_of_work() as session:
        return feeds.feed_link(session, user.user_id)


@fn.post("/api/v1/me/calendar-feed/rotate", response_model=FeedLink)
def rotate_feed(user: CurrentUser) -> FeedLink:
    with unit_of_work() as session:
        return feeds.rotate(session, user.user_id)


@fn.get(feeds.FEED_PATH, response_class=Response, responses={200: ICS}, errors=(FeedNotFound,))
def feed(
    token: Annotated[str, Path(max_length=feeds.MAX_TOKEN_LENGTH)], request: Request
) -> Response:
    with unit_of_work() as session:
        content = feeds.feed_for_token(session, token)
    return conditional_response(
        request,
        content.body,
        CONTENT_TYPE,
        last_modified=content.last_modified,
        headers={"Cache-Control": "private, no-cache"},
    )


@fn.on(EVENT_DELETED)
def deleted_event_leaves_feeds(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    assert isinstance(cloudevent.data, EventDeleted)
    feeds.note_removed(session, [r.user_id for r in cloudevent.data.registrations])


app = fn.app()
handler = Mangum(app, lifespan="off")
