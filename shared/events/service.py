"""Rules about events: who may create and see them, and how the public list is paged."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.audit.service import record
from shared.catalog import EventCreated, EventPublished
from shared.config import get_settings
from shared.errors import InvalidInput
from shared.events import repository
from shared.events.errors import CategoryExists, EmailNotVerified, EventNotFound, NotEventOwner
from shared.events.filters import EventFilters, normalize_tag
from shared.events.models import Category, Event
from shared.events.questions import stored
from shared.events.schemas import EventCreate, EventPage, EventPublic
from shared.events.statuses import EventStatus, Moderation
from shared.outbox.writer import emit
from shared.pagination import cursor_at, time_and_id
from shared.teams import repository as teams
from shared.teams.rights import EVERY_RIGHT, NO_RIGHT, RIGHTS_OF_ROLE, EventRight
from shared.users import repository as users
from shared.users.models import Role


def create_event(session: Session, organizer_id: uuid.UUID, data: EventCreate) -> Event:
    organizer = users.by_id(session, organizer_id)
    if organizer is None or not organizer.email_verified:
        raise EmailNotVerified(
            "Confirm your email address first (see the mail we sent, or ask for a new one)."
        )
    if not repository.category_exists(session, data.category):
        raise InvalidInput(f"Unknown category {data.category!r}.", field="category")
    tag_names = sorted({normalize_tag(tag) for tag in data.tags})
    event = Event(
        organizer_id=organizer_id,
        title=data.title,
        description=data.description,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        timezone=data.timezone,
        category_slug=data.category,
        venue_name=data.venue.name if data.venue else None,
        venue_address=data.venue.address if data.venue else None,
        venue_lat=data.venue.lat if data.venue else None,
        venue_lon=data.venue.lon if data.venue else None,
        online_url=str(data.online_url) if data.online_url else None,
        capacity=data.capacity,
        status=EventStatus(data.status),
        moderation=_initial_moderation(organizer.role),
        seats_taken=0,
        waitlist_count=0,
        sequence=0,
        questions=stored(data.questions),
        tags=repository.tags_named(session, tag_names),
    )
    data.waitlist.apply_to(event)
    session.add(event)
    session.flush()
    session.refresh(event)
    emit(session, EventCreated(**summary_of(event)))
    if event.status == EventStatus.published:
        emit(session, EventPublished(**summary_of(event)))
    return event


def _initial_moderation(role: Role) -> Moderation:
    """With `MODERATION_MODE=pre`, organizers' events wait for an admin before being listed."""
    if get_settings().moderation_mode == "pre" and role != Role.admin:
        return Moderation.pending
    return Moderation.approved


def create_category(session: Session, admin_id: uuid.UUID, slug: str, name: str) -> Category:
    category = Category(slug=slug, name=name)
    try:
        with session.begin_nested():
            session.add(category)
    except IntegrityError:
        raise CategoryExists(f"There is already a category {slug!r}.") from None
    record(session, admin_id, "category.create", "category", slug, name=name)
    return category


def summary_of(event: Event) -> dict[str, Any]:
    """The data of `event.created` and `event.published`."""
    return {
        "event_id": event.id,
        "organizer_id": event.organizer_id,
        "title": event.title,
        "category": event.category_slug,
        "starts_at": event.starts_at,
        "status": event.status.value,
    }


def is_public(event: Event | Row[*tuple[Any, ...]]) -> bool:
    """What anyone may see, and so what a shared cache may hold."""
    return event.status != EventStatus.draft and event.moderation == Moderation.approved


def rights_over(
    session: Session, event: Event, actor_id: uuid.UUID | None, actor_is_admin: bool
) -> frozenset[EventRight]:
    """What this person may do to the event: everything for its organizer and admins, their
    role's rights for a team member, nothing for anyone else."""
    if actor_is_admin or (actor_id is not None and event.organizer_id == actor_id):
        return EVERY_RIGHT
    if actor_id is None:
        return NO_RIGHT
    role = teams.role_of(session, event.id, actor_id)
    return RIGHTS_OF_ROLE[role] if role is not None else NO_RIGHT


def role_in(session: Session, event: Event, person_id: uuid.UUID) -> str | None:
    """The person's own part in the event: "owner", their team role ("co_organizer",
    "steward", as the team lists it), or None (admins hold rights, not a part)."""
    if event.organizer_id == person_id:
        return "owner"
    role = teams.role_of(session, event.id, person_id)
    return role.value if role is not None else None


def is_visible(
    session: Session, event: Event, viewer_id: uuid.UUID | None, viewer_is_admin: bool
) -> bool:
    """Drafts and hidden events exist only for their organizer, its team and admins."""
    return is_public(event) or bool(rights_over(session, event, viewer_id, viewer_is_admin))


def visible_event(
    session: Session,
    event_id: uuid.UUID,
    viewer_id: uuid.UUID | None,
    viewer_is_admin: bool,
    *,
    for_update: bool = False,
) -> Event:
    event = repository.get(session, event_id, for_update=for_update)
    if event is None or not is_visible(session, event, viewer_id, viewer_is_admin):
        # 404 rather than 403: an invisible event must not be told apart from a missing one.
        raise EventNotFound(f"No event {event_id}.")
    return event


def owned_event(
    session: Session,
    event_id: uuid.UUID,
    actor_id: uuid.UUID,
    actor_is_admin: bool,
    *,
    right: EventRight,
    lock: bool = True,
) -> Event:
    """The event for someone holding `right` over it (see teams.rights) to act on: locked,
    unless only read. Someone who may not even see it gets 404, as for a missing event."""
    event = repository.get(session, event_id, for_update=lock)
    if event is None:
        raise EventNotFound(f"No event {event_id}.")
    rights = rights_over(session, event, actor_id, actor_is_admin)
    if right in rights:
        return event
    if not rights and not is_public(event):
        raise EventNotFound(f"No event {event_id}.")
    raise NotEventOwner(_REFUSALS[right])


_REFUSALS = {
    EventRight.manage: "Only the event's organizer, a co-organizer or an admin may do this.",
    EventRight.participants: "Only the event's organizer, its team or an admin may see who "
    "is coming.",
    EventRight.check_in: "Only the event's organizer, its team or an admin may check people in.",
    EventRight.delete: "Only the event's organizer or an admin may delete it.",
    EventRight.team: "Only the event's organizer or an admin may manage its team.",
}


def list_events(
    connection: Connection, filters: EventFilters, *, cursor: str | None, limit: int
) -> EventPage:
    after = time_and_id(cursor) if cursor else None
    events = repository.listed_shown(
        connection, filters, now=datetime.now(UTC), after=after, limit=limit + 1
    )
    return _page(events, limit)


def _page(events: Sequence[Event | Row[*tuple[Any, ...]]], limit: int) -> EventPage:
    """`events`: up to `limit + 1`, the one more saying another page follows."""
    page = events[:limit]
    next_cursor = None
    if len(events) > limit and page:
        last = page[-1]
        next_cursor = cursor_at(last.starts_at, last.id)
    return EventPage(items=[EventPublic.of(event) for event in page], next_cursor=next_cursor)


def my_events(
    session: Session,
    user_id: uuid.UUID,
    *,
    status: EventStatus | None,
    cursor: str | None,
    limit: int,
) -> EventPage:
    """What the person organizes or helps with, drafts and hidden events included."""
    after = time_and_id(cursor) if cursor else None
    events = repository.of_organizer_or_team(
        session, user_id, status=status, after=after, limit=limit + 1
    )
    return _page(events, limit)
