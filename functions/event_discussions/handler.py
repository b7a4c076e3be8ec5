"""An event's discussion: messages, their live stream, and the organizers' announcements."""

import uuid
from typing import Annotated

from fastapi import Header, Query, Response
from fastapi.responses import StreamingResponse
from mangum import Mangum

from shared.db import read_on_thread, unit_of_work
from shared.discussions import live, service
from shared.discussions.errors import MessageNotFound, NotInDiscussion, NotMessageAuthor
from shared.discussions.schemas import AnnouncementIn, MessageIn, MessageList, MessagePublic
from shared.events.errors import EventNotFound, NotEventOwner
from shared.kit import CurrentUser, Function
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.ratelimit import TooManyRequests

fn = Function(
    "event_discussions",
    summary="Participants and organizers talk about an event, live; organizers announce.",
)
MESSAGES = "/api/v1/events/{event_id}/messages"
READERS = (EventNotFound, NotInDiscussion)


@fn.get(MESSAGES, response_model=MessageList, errors=(*READERS, MessageNotFound))
def list_messages(
    event_id: uuid.UUID,
    user: CurrentUser,
    after: Annotated[uuid.UUID | None, Query(description="a message's id")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> MessageList:
    """Oldest first; `after` the last message a client has, for the next page."""
    with unit_of_work() as session:
        return service.listed(session, event_id, user.user_id, user.is_admin, after, limit)


@fn.post(
    MESSAGES,
    status_code=201,
    response_model=MessagePublic,
    errors=(*READERS, MessageNotFound, TooManyRequests),
)
def post_message(event_id: uuid.UUID, body: MessageIn, user: CurrentUser) -> MessagePublic:
    with unit_of_work() as session:
        return service.post(session, event_id, user.user_id, user.is_admin, body)


@fn.delete(
    f"{MESSAGES}/{{message_id}}",
    status_code=204,
    errors=(*READERS, MessageNotFound, NotMessageAuthor),
)
def delete_message(event_id: uuid.UUID, message_id: uuid.UUID, user: CurrentUser) -> Response:
    with unit_of_work() as session:
        service.delete(session, event_id, message_id, user.user_id, user.is_admin)
    return Response(status_code=204)


@fn.get(
    f"{MESSAGES}/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
    errors=READERS,
)
async def stream_messages(
    event_id: uuid.UUID,
    user: CurrentUser,
    last_event_id: Annotated[
        int | None,
        Header(alias="Last-Event-ID", ge=0, le=2**63 - 1, description="resume after this id"),
    ] = None,
) -> StreamingResponse:
    """Server-Sent Events: `message`, `announcement` and `deletion`, each with its stream id;
    without Last-Event-ID, from now on."""
    await read_on_thread(_may_read, event_id, user.user_id, user.is_admin)
    return StreamingResponse(
        live.stream(event_id, last_event_id),
        media_type="text/event-stream",
        # No proxy may hold the frames back (Nginx reads X-Accel-Buffering).
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _may_read(event_id: uuid.UUID, user_id: uuid.UUID, is_admin: bool) -> None:
    with unit_of_work() as session:
        service.joined_event(session, event_id, user_id, is_admin)


@fn.post(
    "/api/v1/events/{event_id}/announcements",
    status_code=202,
    response_model=MessagePublic,
    errors=(EventNotFound, NotEventOwner),
)
def announce(event_id: uuid.UUID, body: AnnouncementIn, user: CurrentUser) -> MessagePublic:
    """Pinned in the discussion; every active registrant is told, by their settings."""
    with unit_of_work() as session:
        return service.announce(session, event_id, user.user_id, user.is_admin, body)


app = fn.app()
handler = Mangum(app, lifespan="off")
