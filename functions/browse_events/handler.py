"""Read-only catalog: the event list with search and filters, one event, the categories; and
an organizer's own events ('my events'), drafts included."""

import re
import uuid
from collections.abc import Mapping
from typing import Annotated

from fastapi import Header, Query, Request, Response
from mangum import Mangum

from shared.db import unit_of_work
from shared.events import cache
from shared.events.errors import EventNotFound
from shared.events.filters import EventFilters, normalize_tag
from shared.events.schemas import CategoryList, EventPage, EventPublic
from shared.events.statuses import EventStatus
from shared.kit import Function, OptionalUser, Organizer, Scaling
from shared.kit.conditional import CONDITIONAL, Tagged, tagged_response
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.validation import MOMENT_FORMAT, MomentFrom, MomentTo

fn = Function(
    "browse_events",
    summary="Find events: search, filters, pages; one event; categories.",
    secrets=("cursor_secret",),
    scaling=Scaling(min_scale=0, max_scale=20, concurrency=100),
)


# Answers change with every edit and seat taken: a client keeps them, but asks again each time
# (`If-None-Match`, answered 304 while the ETag holds). An event page may differ with the
# caller's token (a draft its organizer sees), and a signed-in answer is that person's own.
PUBLIC = {"Cache-Control": "no-cache"}
EVENT_PAGE = {**PUBLIC, "Vary": "Authorization"}
SIGNED_IN = {"Cache-Control": "private, no-cache", "Vary": "Authorization"}
# The spelling of an id the shortcut takes; any other is left to the route's validation.
CANONICAL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
IfNoneMatch = Annotated[
    str | None, Header(description="An ETag received before: 304 while it is current")
]


# Every route is async: a cache hit is answered on the event loop, and only a miss takes the
# thread pool (to PostgreSQL).
@fn.get("/api/v1/events", response_model=EventPage, responses=CONDITIONAL)
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
    if_none_match: IfNoneMatch = None,
) -> Response:
    filters = EventFilters(
        q=q.strip() or None if q else None,
        category=category,
        tag=normalize_tag(tag) if tag else None,
        starts_from=starts_from,
        starts_before=starts_before,
        organizer_id=organizer_id,
    )
    page = await cache.event_list(filters, cursor=cursor, limit=limit)
    return tagged_response(if_none_match, page, PUBLIC)


@fn.shortcut("/api/v1/events", headers=PUBLIC)
async def first_list_page(_: Mapping[str, str], request: Request) -> Tagged | None:
    if request.scope["query_string"]:
        return None  # filters and cursors: the route validates them
    return await cache.event_list(EventFilters(), cursor=None, limit=DEFAULT_LIMIT)


@fn.get(
    "/api/v1/events/{event_id}",
    response_model=EventPublic,
    responses=CONDITIONAL,
    errors=(EventNotFound,),
)
async def get_event(
    event_id: uuid.UUID, user: OptionalUser, if_none_match: IfNoneMatch = None
) -> Response:
    viewer = user.user_id if user else None
    page = await cache.event_page(event_id, viewer, bool(user and user.is_admin))
    return tagged_response(if_none_match, page, SIGNED_IN if user else EVENT_PAGE)


@fn.shortcut("/api/v1/events/{event_id}", headers=EVENT_PAGE)
async def anonymous_event_page(path: Mapping[str, str], _: Request) -> Tagged | None:
    if not CANONICAL_ID.fullmatch(path["event_id"]):
        return None
    return await cache.event_page(uuid.UUID(path["event_id"]), None, False)


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


@fn.get("/api/v1/categories", response_model=CategoryList, responses=CONDITIONAL)
async def categories(if_none_match: IfNoneMatch = None) -> Response:
    return tagged_response(if_none_match, await cache.categories(), PUBLIC)


@fn.shortcut("/api/v1/categories", headers=PUBLIC)
async def all_categories(_: Mapping[str, str], __: Request) -> Tagged | None:
    return await cache.categories()


app = fn.app()
handler = Mangum(app, lifespan="off")
