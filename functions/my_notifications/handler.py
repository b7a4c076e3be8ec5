"""The caller's in-app notifications, newest first, and marking one read."""

import uuid
from typing import Annotated

from fastapi import Query, Response
from mangum import Mangum

from shared.db import unit_of_work
from shared.kit import CurrentUser, Function
from shared.notifications.inbox import NotificationNotFound, inbox, mark_read
from shared.notifications.schemas import InboxPage
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT

fn = Function(
    "my_notifications",
    summary="A person's in-app notifications.",
    secrets=("cursor_secret",),
)


@fn.get("/api/v1/me/notifications", response_model=InboxPage)
def list_notifications(
    user: CurrentUser,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> InboxPage:
    with unit_of_work() as session:
        return inbox(session, user.user_id, cursor=cursor, limit=limit)


@fn.post(
    "/api/v1/me/notifications/{notification_id}/read",
    status_code=204,
    errors=(NotificationNotFound,),
)
def read(notification_id: uuid.UUID, user: CurrentUser) -> Response:
    with unit_of_work() as session:
        mark_read(session, user.user_id, notification_id)
    return Response(status_code=204)


app = fn.app()
handler = Mangum(app, lifespan="off")
