"""Changing an event after it exists: edits, publishing, cancelling.

Every change emits its CloudEvent through the outbox; a change of time, place or status is
notice-worthy (registered people are told), and a change of what a calendar entry shows
bumps the event's `sequence` (RFC 5545 SEQUENCE). A raised capacity fills seats from the
waitlist in the same transaction; lowering it below the confirmed count is refused.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from shared.catalog import (
    DeletedRegistration,
    EventCancelled,
    EventDeleted,
    EventPublished,
    EventUpdated,
)
from shared.errors import InvalidInput
from shared.events import repository
from shared.events.errors import CapacityBelowConfirmed, EmailNotVerified, EventNotEditable
from shared.events.filters import normalize_tag
from shared.events.models import Event
from shared.events.questions import stored
from shared.events.schemas import EventUpdate, Waitlist
from shared.events.service import owned_event, summary_of
from shared.events.statuses import EventStatus
from shared.outbox.writer import emit
from shared.registrations import repository as registration_rows
from shared.registrations.promotion import promote_waiting
from shared.teams.rights import EventRight
from shared.users import repository as users

# What people must be told about, and what a calendar entry shows.
NOTICE_WORTHY = {"starts_at", "ends_at", "timezone", "venue", "online_url", "status"}
CALENDAR_FIELDS = {
    "title",
    "description",
    "starts_at",
    "ends_at",
    "timezone",
    "venue",
    "online_url",
    "status",
}


def _venue(event: Event) -> dict[str, Any] | None:
    if not event.venue_name:
        return None
    return {
        "name": event.venue_name,
        "address": event.venue_address,
        "lat": event.venue_lat,
        "lon": event.venue_lon,
    }


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def update_event(
    session: Session,
    event_id: uuid.UUID,
    actor_id: uuid.UUID,
    actor_is_admin: bool,
    data: EventUpdate,
) -> Event:
    event = owned_event(session, event_id, actor_id, actor_is_admin, right=EventRight.manage)
    if event.status == EventStatus.cancelled:
        raise EventNotEditable("A cancelled event cannot be changed.")
    sent = data.model_fields_set
    changes: dict[str, tuple[Any, Any]] = {}

    def change(field: str, old: Any, new: Any) -> None:
        if old != new:
            changes[field] = (_json(old), _json(new))

    starts = data.starts_at if "starts_at" in sent else event.starts_at
    ends = data.ends_at if "ends_at" in sent else event.ends_at
    assert starts is not None
    assert ends is not None
    if ends <= starts:
        raise InvalidInput("ends_at must be after starts_at.", field="ends_at")
    if "category" in sent and data.category != event.category_slug:
        assert data.category is not None
        if not repository.category_exists(session, data.category):
            raise InvalidInput(f"Unknown category {data.category!r}.", field="category")
        change("category", event.category_slug, data.category)
        event.category_slug = data.category
    for field in ("title", "description", "timezone", "starts_at", "ends_at"):
        if field in sent:
            change(field, getattr(event, field), getattr(data, field))
            setattr(event, field, getattr(data, field))
    if "venue" in sent:
        new_venue = data.venue.model_dump() if data.venue else None
        change("venue", _venue(event), new_venue)
        event.venue_name = data.venue.name if data.venue else None
        event.venue_address = data.venue.address if data.venue else None
        event.venue_lat = data.venue.lat if data.venue else None
        event.venue_lon = data.venue.lon if data.venue else None
    if "online_url" in sent:
        url = str(data.online_url) if data.online_url else None
        change("online_url", event.online_url, url)
        event.online_url = url
    if "tags" in sent:
        names = sorted({normalize_tag(tag) for tag in data.tags or []})
        change("tags", sorted(tag.name for tag in event.tags), names)
        event.tags = repository.tags_named(session, names)
    if "waitlist" in sent:
        assert data.waitlist is not None
        change("waitlist", Waitlist.of(event).model_dump(), data.waitlist.model_dump())
        # Offers already held stay held until claimed or expired.
        data.waitlist.apply_to(event)
    if "questions" in sent:
        # Registrations keep their answers with the labels asked (see registrations.answers).
        form = stored(data.questions or [])
        if form != event.questions:
            # The ids only: the CloudEvent stays small; the definitions are on the event.
            changes["questions"] = ([q["id"] for q in event.questions], [q["id"] for q in form])
        event.questions = form
    if "capacity" in sent and data.capacity != event.capacity:
        if data.capacity is not None and data.capacity < event.seats_taken:
            raise CapacityBelowConfirmed(
                f"{event.seats_taken} seats are confirmed or held by an offer; capacity "
                "cannot go below that."
            )
        change("capacity", event.capacity, data.capacity)
        event.capacity = data.capacity
        session.flush()
        promote_waiting(session, event)
    _record(session, event, changes)
    return event


def publish_event(
    session: Session, event_id: uuid.UUID, actor_id: uuid.UUID, actor_is_admin: bool
) -> Event:
    event = owned_event(session, event_id, actor_id, actor_is_admin, right=EventRight.manage)
    actor = users.by_id(session, actor_id)
    if actor is None or not actor.email_verified:
        raise EmailNotVerified("Confirm your email address before publishing.")
    if event.status == EventStatus.cancelled:
        raise EventNotEditable("A cancelled event cannot be published again.")
    if event.status == EventStatus.published:
        return event
    event.status = EventStatus.published
    _record(session, event, {"status": ("draft", "published")})
    emit(session, EventPublished(**summary_of(event)))
    return event


def cancel_event(
    session: Session,
    event_id: uuid.UUID,
    actor_id: uuid.UUID,
    actor_is_admin: bool,
    reason: str | None,
) -> Event:
    event = owned_event(session, event_id, actor_id, actor_is_admin, right=EventRight.manage)
    if event.status == EventStatus.cancelled:
        return event
    old = event.status.value
    event.status = EventStatus.cancelled
    _record(session, event, {"status": (old, "cancelled")})
    emit(session, EventCancelled(event_id=event.id, reason=reason))
    return event


def delete_event(
    session: Session, event_id: uuid.UUID, actor_id: uuid.UUID, actor_is_admin: bool
) -> None:
    """Gone for good: its registrations, tags and abuse reports go with it (foreign keys
    cascade), and `event.deleted` carries who was registered, for the people to be told and
    the media to be removed by their consumers. Attendance reports already built keep their
    file until `REPORT_RETENTION_DAYS`."""
    event = owned_event(session, event_id, actor_id, actor_is_admin, right=EventRight.delete)
    registrations = [
        DeletedRegistration(registration_id=r.id, user_id=r.user_id, status=r.status.value)
        for r in registration_rows.active_of_event(session, event.id)
    ]
    emit(
        session,
        EventDeleted(
            **summary_of(event),
            by_user_id=actor_id,
            ends_at=event.ends_at,
            timezone=event.timezone,
            registrations=registrations,
        ),
    )
    session.delete(event)
    session.flush()


def _record(session: Session, event: Event, changes: dict[str, tuple[Any, Any]]) -> None:
    if not changes:
        return
    if CALENDAR_FIELDS & changes.keys():
        event.sequence += 1
    session.flush()
    session.refresh(event)
    emit(
        session,
        EventUpdated(
            event_id=event.id, changes=changes, notice_worthy=bool(NOTICE_WORTHY & changes.keys())
        ),
    )
