"""Read-only catalog: the event list with search and filters, one event, the categories."""

import uuid
from typing import Annotated

from fastapi import Query
from mangum import Mangum
from pydantic import AwareDatetime

from shared.db import unit_of_work
from shared.events import repository
from shared.events.repository import EventFilters
from shared.events.schemas import CategoryList, CategoryPublic, EventPage, EventPublic
from shared.events.service import list_events, normalize_tag, visible_event
from shared.kit import Function, OptionalUser, Scaling
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT

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
    starts_from: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    starts_before: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    organizer_id: uuid.UUID | None = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> EventPage:
    filters = EventFilters(
        q=q.strip() or None if q else None,
        category=category,
        tag=normalize_tag(tag) if tag else None,
        starts_from=starts_from,
        starts_before=starts_before,
        organizer_id=organizer_id,
    )
    with unit_of_work() as session:
        return list_events(session, filters, cursor=cursor, limit=limit)


@fn.get("/api/v1/events/{event_id}", response_model=EventPublic)
def get_event(event_id: uuid.UUID, user: OptionalUser) -> EventPublic:
    viewer = user.user_id if user else None
    with unit_of_work() as session:
        event = visible_event(session, event_id, viewer, bool(user and user.is_admin))
        return EventPublic.of(event)


@fn.get("/api/v1/categories", response_model=CategoryList)
def categories() -> CategoryList:
    with unit_of_work() as session:
        items = [CategoryPublic.model_validate(c) for c in repository.categories(session)]
    return CategoryList(items=items)


app = fn.app()
handler = Mangum(app, lifespan="off")
