"""All SQL about events, categories and tags."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.events.models import Category, Event, EventStatus, Moderation, Tag, event_tags


@dataclass(frozen=True)
class EventFilters:
    q: str | None = None
    category: str | None = None
    tag: str | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    organizer_id: uuid.UUID | None = None


def get(session: Session, event_id: uuid.UUID, *, for_update: bool = False) -> Event | None:
    return session.get(Event, event_id, with_for_update=for_update)


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


def listed(
    session: Session,
    filters: EventFilters,
    *,
    now: datetime,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Event]:
    """Published, visible events, soonest first, keyset-paginated on (starts_at, id)."""
    query: Select[Event] = select(Event).where(
        Event.status == EventStatus.published, Event.moderation == Moderation.approved
    )
    if filters.starts_from is not None:
        query = query.where(Event.starts_at >= filters.starts_from)
    else:
        # By default the list shows what one can still attend: upcoming and ongoing events.
        query = query.where(Event.ends_at > now)
    if filters.starts_before is not None:
        query = query.where(Event.starts_at < filters.starts_before)
    if filters.category:
        query = query.where(Event.category_slug == filters.category)
    if filters.organizer_id:
        query = query.where(Event.organizer_id == filters.organizer_id)
    if filters.tag:
        tagged = (
            select(event_tags.c.event_id)
            .join(Tag, Tag.id == event_tags.c.tag_id)
            .where(Tag.name == filters.tag, event_tags.c.event_id == Event.id)
        )
        query = query.where(tagged.exists())
    if filters.q:
        query = query.where(
            or_(
                Event.search.op("@@")(func.websearch_to_tsquery("english", filters.q)),
                Event.search.op("@@")(func.websearch_to_tsquery("russian", filters.q)),
            )
        )
    if after is not None:
        query = query.where(tuple_(Event.starts_at, Event.id) > tuple_(*after))
    return list(session.scalars(query.order_by(Event.starts_at, Event.id).limit(limit)))
