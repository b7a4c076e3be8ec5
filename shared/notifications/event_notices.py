"""Who is told what about events and seats. Current state decides, not the CloudEvent: it
may arrive late, twice (the consumer skips duplicates) or after later changes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from shared.catalog import EventDeleted
from shared.events.models import Event
from shared.events.statuses import EventStatus, Moderation
from shared.notifications import kinds, repository
from shared.notifications.kinds import Kind
from shared.notifications.mails.rendering import P
from shared.notifications.preferences import Reach, reach_of
from shared.notifications.schemas import (
    EventChangeNotice,
    EventNotice,
    OfferNotice,
    ReasonedNotice,
    ReviewNotice,
    SeatNotice,
    TeamNotice,
    WaitlistNotice,
)
from shared.notifications.service import notify_person
from shared.registrations import repository as registrations
from shared.registrations.models import Registration, RegistrationStatus
from shared.reviews.models import Review
from shared.teams import repository as teams
from shared.users.models import User

# What registered people are told about; other changes (title, tags...) do not mail anyone.
NOTICE_FIELDS = {"starts_at", "ends_at", "timezone", "venue", "online_url"}


def _tell(
    session: Session, person: User, kind: Kind[P], payload: P, reach: Reach | None = None
) -> None:
    """A notice to one person, in their time zone, by the channels they chose (read in bulk
    by `_tell_all`)."""
    reach = reach or reach_of(session, [person.id])[person.id]
    payload = payload.model_copy(update={"reader_timezone": person.timezone})
    notify_person(session, person, kind, payload, email=reach.email, push=reach.push)


def _tell_all(session: Session, people: list[User], kind: Kind[P], payload: P) -> None:
    reach = reach_of(session, [person.id for person in people])
    for person in people:
        _tell(session, person, kind, payload, reach[person.id])


def _about(event: Event) -> dict[str, Any]:
    return {"event_id": event.id, "title": event.title, "starts_at": event.starts_at.isoformat()}


def registration_news(session: Session, registration_id: uuid.UUID, *, promoted: bool) -> None:
    """A confirmation, a waitlist place, or a promotion, as the registration stands now."""
    registration = session.get(Registration, registration_id)
    if registration is None or registration.status == RegistrationStatus.cancelled:
        return
    person = session.get(User, registration.user_id)
    event = session.get(Event, registration.event_id)
    if person is None or not person.is_active or event is None:
        return
    if registration.status == RegistrationStatus.offered:
        return  # a seat held, not given: `offer_news` tells
    if registration.status == RegistrationStatus.waitlisted:
        if promoted:
            return  # moved back? nothing to celebrate
        place = registrations.waitlist_positions(session, [registration])[registration.id]
        notice = WaitlistNotice(**_about(event), position=place)
        _tell(session, person, kinds.REGISTRATION_WAITLISTED, notice)
        return
    kind = kinds.REGISTRATION_PROMOTED if promoted else kinds.REGISTRATION_CONFIRMED
    _tell(session, person, kind, SeatNotice(**_about(event), registration_id=registration.id))


def offer_news(session: Session, registration_id: uuid.UUID, *, expired: bool) -> None:
    """A seat offered (still held, this very offer), or an offer that ran out (the
    registration cancelled by its expiry, not by its holder or the organizer)."""
    registration = session.get(Registration, registration_id)
    if registration is None or registration.offer_expires_at is None:
        return
    if expired:
        still_so = (
            registration.status == RegistrationStatus.cancelled
            and registration.cancelled_at is not None
            and registration.cancelled_at >= registration.offer_expires_at
        )
    else:
        still_so = registration.status == RegistrationStatus.offered
    person = session.get(User, registration.user_id)
    event = session.get(Event, registration.event_id)
    if not still_so or person is None or not person.is_active or event is None:
        return
    if event.status != EventStatus.published:
        return  # a cancelled event's people were told that; no seat is passed on
    if expired:
        _tell(session, person, kinds.REGISTRATION_OFFER_EXPIRED, EventNotice(**_about(event)))
        return
    notice = OfferNotice(
        **_about(event), offer_expires_at=registration.offer_expires_at.isoformat()
    )
    _tell(session, person, kinds.REGISTRATION_OFFERED, notice)


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
    _tell(session, person, kinds.REGISTRATION_REMOVED, EventNotice(**_about(event)))


def event_changed(session: Session, event_id: uuid.UUID, changes: dict[str, Any]) -> None:
    """Time or place moved: everyone registered hears what changed, old and new."""
    notice = {field: change for field, change in changes.items() if field in NOTICE_FIELDS}
    event = session.get(Event, event_id)
    if not notice or event is None or event.status != EventStatus.published:
        return  # a cancellation has its own mail
    _tell_all(
        session,
        repository.registered_people(session, event_id),
        kinds.EVENT_CHANGED,
        EventChangeNotice(**_about(event), changes=notice),
    )


def event_cancelled(session: Session, event_id: uuid.UUID, reason: str | None) -> None:
    event = session.get(Event, event_id)
    if event is None or event.status != EventStatus.cancelled:
        return
    people = repository.registered_people(session, event_id)
    notice = ReasonedNotice(**_about(event), reason=reason)
    _tell_all(session, people, kinds.EVENT_CANCELLED, notice)


def event_deleted(session: Session, gone: EventDeleted) -> None:
    """The row is gone: who was registered comes from the CloudEvent itself."""
    if gone.status != EventStatus.published.value:
        return  # drafts had nobody; a cancelled event's people were told already
    notice = EventNotice(
        event_id=gone.event_id, title=gone.title, starts_at=gone.starts_at.isoformat()
    )
    # One query for everyone (a big event has thousands), in registration order.
    people = repository.active_people(session, [entry.user_id for entry in gone.registrations])
    _tell_all(session, people, kinds.EVENT_DELETED, notice)


def moderation_news(
    session: Session, event_id: uuid.UUID, kind: Kind[ReasonedNotice], reason: str | None
) -> None:
    """The organizer hears that a moderator hid (`kinds.EVENT_HIDDEN`) or restored their
    event."""
    event = session.get(Event, event_id)
    if event is None:
        return
    hidden = event.moderation == Moderation.hidden
    if (kind is kinds.EVENT_HIDDEN) != hidden:
        return  # restored (or hidden) again since: the later notice tells
    organizer = session.get(User, event.organizer_id)
    if organizer is not None and organizer.is_active:
        _tell(session, organizer, kind, ReasonedNotice(**_about(event), reason=reason))


def team_news(
    session: Session, event_id: uuid.UUID, user_id: uuid.UUID, role: str, *, added: bool
) -> None:
    """The person added to the team (or given another role), or removed from it, hears of it,
    unless the team changed again since: then the later notice tells."""
    event = session.get(Event, event_id)
    person = session.get(User, user_id)
    if event is None or person is None or not person.is_active:
        return
    current = teams.role_of(session, event_id, user_id)
    still_so = current is not None and current.value == role if added else current is None
    if not still_so:
        return
    kind = kinds.TEAM_MEMBER_ADDED if added else kinds.TEAM_MEMBER_REMOVED
    _tell(session, person, kind, TeamNotice(**_about(event), role=role))


def review_news(session: Session, review_id: uuid.UUID, *, replied: bool) -> None:
    """The organizer hears of a new review, or its author of the organizer's reply, unless
    it was hidden (or its event removed) before this was delivered."""
    review = session.get(Review, review_id)
    if review is None or review.hidden_at is not None:
        return
    if replied and review.reply_text is None:
        return
    event = session.get(Event, review.event_id)
    if event is None:
        return
    person = session.get(User, review.user_id if replied else event.organizer_id)
    if person is None or not person.is_active:
        return
    kind = kinds.REVIEW_REPLIED if replied else kinds.REVIEW_RECEIVED
    _tell(
        session,
        person,
        kind,
        ReviewNotice(**_about(event), review_id=review.id, rating=review.rating),
    )
