"""GET /api/v1/me/registrations: the caller's registrations with their events."""

from typing import Annotated

from fastapi import Query
from mangum import Mangum

from shared.db import unit_of_work
from shared.kit import CurrentUser, Function
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.registrations.schemas import MyRegistrations
from shared.registrations.service import mine

fn = Function(
    "my_registrations",
    summary="One's own registrations, newest first.",
    secrets=("cursor_secret",),
)


@fn.get("/api/v1/me/registrations", response_model=MyRegistrations)
def my_registrations(
    user: CurrentUser,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> MyRegistrations:
    with unit_of_work() as session:
        return mine(session, user.user_id, cursor=cursor, limit=limit)


app = fn.app()
handler = Mangum(app, lifespan="off")
