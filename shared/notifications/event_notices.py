"""Who is told what about events and seats. Current state decides, not the CloudEvent: it
may arrive late, twice (the consumer skips duplicates) or after later changes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.catalog import EventDeleted
from shared.events.models import Event, EventStatus, Moderation
from shared.notifications.preferences import Reach, reach_of
from shared.notifications.service import notify
from shared.registrations import repository as registrations
from shared.registrations.models import Registration, RegistrationStatus
from shared.users.models import User

# What registered people are told about; other changes (title, tags...) do not mail anyone.
NOTICE_FIELDS = {"starts_at", "ends_at", "timezone", "venue", "online_url"}


def _tell(
    session: Session, person: User, kind: str, payload: dict[str, Any], reach: Reach | None = None
) -> None:
    """A notice to one person, by the channels they chose (read in bulk by `_tell_all`)."""
    reach = reach or reach_of(session, [person.id])[person.id]
    notify(
        session,
        kind=kind,
        recipient=person.email,
        user_id=person.id,
        locale=person.locale,
        payload={**payload, "reader_timezone": person.timezone},
        email=reach.email,
        push=reach.push,
    )


def _tell_all(session: Session, people: list[User], kind: str, payload: dict[str, Any]) -> None:
    reach = reach_of(session, [person.id for person in people])
    for person in people:
        _tell(session, person, kind, payload, reach[person.id])


def _about(event: Event) -> dict[str, Any]:
    return {
        "event_id": str(event.id),
        "title": event.title,
        "starts_at": event.starts_at.isoformat(),
    }


def registration_news(session: Session, registration_id: uuid.UUID, *, promoted: bool) -> None:
    """A confirmation, a waitlist place, or a promotion, as the registration stands now."""
    registration = session.get(Registration, registration_id)
    if registration is None or registration.status == RegistrationStatus.cancelled:
        return
    person = session.get(User, registration.user_id)
    event = session.get(Event, registration.event_id)
    if person is None or not person.is_active or event is None:
        return
    if registration.status == RegistrationStatus.waitlisted:
        if promoted:
            return  # moved back? nothing to celebrate
        place = registrations.waitlist_positions(session, [registration])[registration.id]
        _tell(session, person, "registration_waitlisted", {**_about(event), "position": place})
        return
    kind = "registration_promoted" if promoted else "registration_confirmed"
    _tell(session, person, kind, _about(event))


def registration_removed(session: Session, registration_id: uuid.UUID, by: uuid.UUID) -> None:
    """Someone else (the organizer, a co-organizer, an admin) cancelled this registration:
    its holder hears of it. Leaving oneself, or with one's account, tells no one."""
    registration = session.get(Registration, registration_id)
    if (
        registration is None
        or registration.status != RegistrationStatus.cancelled
        or by == registration.user_id
    ):
        return
    person = session.get(User, registration.user_id)
    event = session.get(Event, registration.event_id)
    if person is None or not person.is_active or event is None:
        return  # a deleted event has its own notice
    _tell(session, person, "registration_removed", _about(event))


def _registered_people(session: Session, event_id: uuid.UUID) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Registration, Registration.user_id == User.id)
            .where(
                Registration.event_id == event_id,
                Registration.status != RegistrationStatus.cancelled,
                User.is_active.is_(True),
            )
            .order_by(Registration.queue_seq)
        )
    )


def event_changed(session: Session, event_id: uuid.UUID, changes: dict[str, Any]) -> None:
    """Time or place moved: everyone registered hears what changed, old and new."""
    notice = {field: change for field, change in changes.items() if field in NOTICE_FIELDS}
    event = session.get(Event, event_id)
    if not notice or event is None or event.status != EventStatus.published:
        return  # a cancellation has its own mail
    _tell_all(
        session,
        _registered_people(session, event_id),
        "event_changed",
        {**_about(event), "changes": notice},
    )


def event_cancelled(session: Session, event_id: uuid.UUID, reason: str | None) -> None:
    event = session.get(Event, event_id)
    if event is None or event.status != EventStatus.cancelled:
        return
    payload = {**_about(event), "reason": reason}
    _tell_all(session, _registered_people(session, event_id), "event_cancelled", payload)


def event_deleted(session: Session, gone: EventDeleted) -> None:
    """The row is gone: who was registered comes from the CloudEvent itself."""
    if gone.status != EventStatus.published.value:
        return  # drafts had nobody; a cancelled event's people were told already
    about = {
        "event_id": str(gone.event_id),
        "title": gone.title,
        "starts_at": gone.starts_at.isoformat(),
    }
    ids = [entry.user_id for entry in gone.registrations]
    # One query for everyone (a big event has thousands), in registration order.
    people = {
        person.id: person
        for person in session.scalars(
            select(User).where(User.id.in_(ids), User.is_active.is_(True))
        )
    }
    _tell_all(session, [people[i] for i in ids if i in people], "event_deleted", about)


def moderation_news(session: Session, event_id: uuid.UUID, kind: str, reason: str | None) -> None:
    """The organizer hears that a moderator hid or restored their event."""
    event = session.get(Event, event_id)
    if event is None:
        return
    hidden = event.moderation == Moderation.hidden
    if (kind == "event_hidden") != hidden:
        return  # restored (or hidden) again since: the later notice tells
    organizer = session.get(User, event.organizer_id)
    if organizer is not None and organizer.is_active:
        _tell(session, organizer, kind, {**_about(event), "reason": reason})
