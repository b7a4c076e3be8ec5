"""Read-only catalog: the event list with search and filters, one event, the categories."""

import uuid
from typing import Annotated

from fastapi import Query, Response
from mangum import Mangum

from shared.events import cache
from shared.events.errors import EventNotFound
from shared.events.repository import EventFilters
from shared.events.schemas import CategoryList, EventPage, EventPublic
from shared.events.service import normalize_tag
from shared.kit import Function, OptionalUser, Scaling
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.validation import MOMENT_FORMAT, MomentFrom, MomentTo

fn = Function(
    "browse_events",
    summary="Find events: search, filters, pages; one event; categories.",
    secrets=("cursor_secret",),
    scaling=Scaling(min_scale=0, max_scale=20, concurrency=100),
)


@fn.get("/api/v1/events", response_model=EventPage)
def list_published(
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
    return _json(cache.event_list(filters, cursor=cursor, limit=limit))


@fn.get("/api/v1/events/{event_id}", response_model=EventPublic, errors=(EventNotFound,))
def get_event(event_id: uuid.UUID, user: OptionalUser) -> Response:
    viewer = user.user_id if user else None
    return _json(cache.event_page(event_id, viewer, bool(user and user.is_admin)))


@fn.get("/api/v1/categories", response_model=CategoryList)
def categories() -> Response:
    return _json(cache.categories())


def _json(body: bytes) -> Response:
    # Cached answers are JSON already: sent as they are, not parsed and serialized again.
    return Response(body, media_type="application/json")


app = fn.app()
handler = Mangum(app, lifespan="off")
