"""Read-only catalog: the event list with search and filters, one event, the categories; and
an organizer's own events ('my events'), drafts included."""

import uuid
from typing import Annotated

from fastapi import Query, Response
from mangum import Mangum

from shared.db import unit_of_work
from shared.events import cache
from shared.events.errors import EventNotFound
from shared.events.filters import EventFilters, normalize_tag
from shared.events.schemas import CategoryList, EventPage, EventPublic
from shared.events.statuses import EventStatus
from shared.kit import Function, OptionalUser, Organizer, Scaling
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.validation import MOMENT_FORMAT, MomentFrom, MomentTo

fn = Function(
    "browse_events",
    summary="Find events: search, filters, pages; one event; categories.",
    secrets=("cursor_secret",),
    scaling=Scaling(min_scale=0, max_scale=20, concurrency=100),
)


# Every route is async: a cache hit is answered on the event loop, and only a miss takes the
# thread pool (to PostgreSQL).
@fn.get("/api/v1/events", response_model=EventPage)
async def list_published(
    q: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    starts_from: Annotated[
        MomentFrom | None,
        Query(alias="from", description=f"Events starting at or after: {MOMENT_FORMAT}, UTC"),
    ] = None,
    starts_before: Annotated[
        MomentTo | None,
        Query(alias="to", description=f"Events starting before: {MOMENT_FORMAT}, UTC, included"),
    ] = None,
    organizer_id: uuid.UUID | None = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Response:
    filters = EventFilters(
        q=q.strip() or None if q else None,
        category=category,
        tag=normalize_tag(tag) if tag else None,
        starts_from=starts_from,
        starts_before=starts_before,
        organizer_id=organizer_id,
    )
    return _json(await cache.event_list(filters, cursor=cursor, limit=limit))


@fn.get("/api/v1/events/{event_id}", response_model=EventPublic, errors=(EventNotFound,))
async def get_event(event_id: uuid.UUID, user: OptionalUser) -> Response:
    viewer = user.user_id if user else None
    return _json(await cache.event_page(event_id, viewer, bool(user and user.is_admin)))


# Not cached: each caller's own list, drafts in it; read straight from PostgreSQL.
@fn.get("/api/v1/me/events", response_model=EventPage)
def mine(
    user: Organizer,
    status: EventStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> EventPage:
    """The events the caller organizes or is on the team of, every status, by start time."""
    # The service (SQLAlchemy, the models) is loaded by the first request that reads
    # PostgreSQL: the cached routes start and answer without it (bench/startup.py).
    from shared.events.service import my_events

    with unit_of_work() as session:
        return my_events(session, user.user_id, status=status, cursor=cursor, limit=limit)


@fn.get("/api/v1/categories", response_model=CategoryList)
async def categories() -> Response:
    return _json(await cache.categories())


def _json(body: bytes) -> Response:
    # Cached answers are JSON already: sent as they are, not parsed and serialized again.
    return Response(body, media_type="application/json")


app = fn.app()
handler = Mangum(app, lifespan="off")
