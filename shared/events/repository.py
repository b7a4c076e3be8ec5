"""All SQL about events, categories and tags."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, func, or_, select, tuple_, union_all
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from shared.events.filters import EventFilters
from shared.events.models import (
    PERIOD,
    Category,
    Event,
    Tag,
    event_tags,
)
from shared.events.statuses import EventStatus, Moderation
from shared.teams import repository as teams


def with_tags() -> LoaderOption:
    """Load the tags of every event a query returns in one more query, not one per event."""
    return selectinload(Event.tags)


def get(session: Session, event_id: uuid.UUID, *, for_update: bool = False) -> Event | None:
    if for_update:
        # Locking reads again: an event loaded earlier in the session may hold old counters.
        # The tags stay a query of their own: a lock cannot cover an outer join's rows.
        return session.get(Event, event_id, with_for_update=True, populate_existing=True)
    # Its tags in the same query: the page of an event shows them, one round trip fewer.
    return session.get(Event, event_id, options=(joinedload(Event.tags),))


# What a page of the catalog shows of an event (`EventPublic.of`), read as plain rows: the
# cache-off reads skip the ORM's identity map and unit of work, which they never use.
_SHOWN_COLUMNS = (
    Event.id,
    Event.title,
    Event.description,
    Event.starts_at,
    Event.ends_at,
    Event.timezone,
    Event.category_slug,
    Event.venue_name,
    Event.venue_address,
    Event.venue_lat,
    Event.venue_lon,
    Event.online_url,
    Event.capacity,
    Event.status,
    Event.moderation,
    Event.organizer_id,
    Event.seats_taken,
    Event.waitlist_count,
    Event.waitlist_mode,
    Event.offer_hours,
    Event.auto_before_start_hours,
    Event.questions,
    Event.rating_count,
    Event.rating_sum,
    Event.series_id,
    Event.created_at,
    Event.updated_at,
)


def _tag_names() -> Any:
    """The event's tag names, sorted, as a column of the same statement (no second query)."""
    return (
        select(func.array_agg(aggregate_order_by(Tag.name, Tag.name)))
        .select_from(event_tags.join(Tag, Tag.id == event_tags.c.tag_id))
        .where(event_tags.c.event_id == Event.id)
        .scalar_subquery()
        .label("tag_names")
    )


def shown(connection: Connection, event_id: uuid.UUID) -> Row[*tuple[Any, ...]] | None:
    """One event as a page shows it, tags included, in one statement."""
    query = select(*_SHOWN_COLUMNS, _tag_names()).where(Event.id == event_id)
    return connection.execute(query).one_or_none()


def category_exists(session: Session, slug: str) -> bool:
    return session.get(Category, slug) is not None


def categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.name)))


def tags_named(session: Session, names: list[str]) -> list[Tag]:
    """The tags with these (normalized) names, creating the missing ones."""
    if not names:
        return []
    session.execute(
        insert(Tag)
        .values([{"id": uuid.uuid4(), "name": name} for name in names])
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return list(session.scalars(select(Tag).where(Tag.name.in_(names))))


def listed_shown(
    connection: Connection,
    filters: EventFilters,
    *,
    now: datetime,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Row[*tuple[Any, ...]]]:
    """Published, visible events, soonest first, keyset-paginated on (starts_at, id): plain
    rows as the page shows them, tag names included, in one statement."""
    query = listed_query(filters, now=now, after=after, limit=limit)
    return list(connection.execute(query.with_only_columns(*_SHOWN_COLUMNS, _tag_names())))


def listed_query(
    filters: EventFilters,
    *,
    now: datetime,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Select[Event]:
    """The list's SQL (also what `bench/explain_events.py` shows the plans of).

    By default the list shows what one can still attend: events going on now, then upcoming
    ones. Asked as one `ends_at > now` filter, the scan in start order would wade through
    every past event first; instead the ongoing ones come from the period index and the
    upcoming ones from the start-time index, stopping at `limit`.
    """
    conditions: list[ColumnElement[bool]] = [
        Event.status == EventStatus.published,
        Event.moderation == Moderation.approved,
    ]
    if filters.starts_before is not None:
        conditions.append(Event.starts_at < filters.starts_before)
    if filters.category:
        conditions.append(Event.category_slug == filters.category)
    if filters.organizer_id:
        conditions.append(Event.organizer_id == filters.organizer_id)
    if filters.tag:
        tag_id = select(Tag.id).where(Tag.name == filters.tag).scalar_subquery()
        tagged = select(event_tags.c.event_id).where(
            event_tags.c.tag_id == tag_id, event_tags.c.event_id == Event.id
        )
        conditions.append(tagged.exists())
    if filters.q:
        conditions.append(
            or_(
                Event.search.op("@@")(func.websearch_to_tsquery("english", filters.q)),
                Event.search.op("@@")(func.websearch_to_tsquery("russian", filters.q)),
            )
        )
    if after is not None:
        conditions.append(tuple_(Event.starts_at, Event.id) > tuple_(*after))
    in_order = (Event.starts_at, Event.id)
    if filters.starts_from is not None:
        return (
            select(Event)
            .where(*conditions, Event.starts_at >= filters.starts_from)
            .order_by(*in_order)
            .limit(limit)
        )
    # Few events are going on at any moment: all of them from the period index alone, then
    # filtered. Left to itself the planner would walk the start-time index through the whole
    # past, or AND in a bitmap of every event of a category or word; MATERIALIZED fences it.
    going_on = (
        select(Event.id)
        .where(conditions[0], conditions[1], PERIOD.op("@>")(now))
        .cte("going_on")
        .prefix_with("MATERIALIZED")
    )
    ongoing = select(Event.id).where(Event.id.in_(select(going_on.c.id)), *conditions)
    upcoming = (
        select(Event.id).where(*conditions, Event.starts_at > now).order_by(*in_order).limit(limit)
    )
    page = union_all(ongoing, upcoming).subquery()
    return select(Event).where(Event.id.in_(select(page.c.id))).order_by(*in_order).limit(limit)


def of_organizer_or_team(
    session: Session,
    user_id: uuid.UUID,
    *,
    status: EventStatus | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Event]:
    """The events this person organizes or is on the team of, whatever their status or
    moderation, by (starts_at, id) like the public list."""
    conditions: list[ColumnElement[bool]] = [
        or_(Event.organizer_id == user_id, Event.id.in_(teams.events_of(user_id)))
    ]
    if status is not None:
        conditions.append(Event.status == status)
    if after is not None:
        conditions.append(tuple_(Event.starts_at, Event.id) > tuple_(*after))
    query = (
        select(Event)
        .where(*conditions)
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
        .options(with_tags())
    )
    return list(session.scalars(query))
