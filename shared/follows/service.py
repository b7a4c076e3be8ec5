"""Organizer profiles and feeds, following, and telling followers of a new published event.

Telling followers happens after the publish, never on its request: the `event.published`
(or, under pre-moderation, `event.approved`) CloudEvent's consumer records one fan-out per
event, then followers are told a page at a time (`MAIL_BATCH_SIZE`, as reminders are), each
page its own transaction: one INSERT of its notifications, one batch of mail tasks. A crash
between pages leaves the record unfinished; the scheduled run takes it up where it stopped.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from shared.calendars.ics import feed_calendar, location_of
from shared.catalog import OrganizerFollowed
from shared.config import get_settings
from shared.db import after_commit, unit_of_work
from shared.events.models import Event
from shared.events.statuses import EventStatus, Moderation
from shared.follows import repository
from shared.follows.errors import CannotFollowYourself, OrganizerNotFound
from shared.follows.schemas import (
    FollowedOrganizer,
    FollowingList,
    OrganizerProfile,
    UpcomingEvent,
)
from shared.metrics import FOLLOWER_NOTICES
from shared.notifications import kinds
from shared.notifications.preferences import reach_of
from shared.notifications.schemas import FollowedEventNotice
from shared.notifications.service import Addressee, notify_many
from shared.outbox.writer import emit
from shared.reviews.service import organizer_rating
from shared.users.models import Role, User

PROFILE_EVENTS = 20
# The latest events by start time; calendar apps handle this many comfortably.
FEED_EVENTS = 1000


def organizer(session: Session, organizer_id: uuid.UUID) -> User:
    """An active organizer's account; anyone else (a participant, an admin, a blocked or
    deleted account) has no public profile."""
    user = session.get(User, organizer_id)
    if user is None or not user.is_active or user.role != Role.organizer:
        raise OrganizerNotFound("No such organizer.")
    return user


def profile(session: Session, organizer_id: uuid.UUID) -> OrganizerProfile:
    user = organizer(session, organizer_id)
    upcoming = repository.public_events(
        session, user.id, ending_after=datetime.now(UTC), limit=PROFILE_EVENTS
    )
    return OrganizerProfile(
        id=user.id,
        full_name=user.full_name,
        upcoming_events=[
            UpcomingEvent(
                id=event.id,
                title=event.title,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                timezone=event.timezone,
                category=event.category_slug,
            )
            for event in upcoming
        ],
        followers=repository.follower_count(session, user.id),
        rating=organizer_rating(session, user.id),
    )


def feed(session: Session, organizer_id: uuid.UUID) -> bytes:
    """The organizer's published events as iCalendar."""
    user = organizer(session, organizer_id)
    latest = repository.public_events(
        session, user.id, ending_after=None, limit=FEED_EVENTS, latest=True
    )
    return feed_calendar(list(reversed(latest)), name=f"Event Manager: {user.full_name}")


def follow(session: Session, follower_id: uuid.UUID, organizer_id: uuid.UUID) -> None:
    if follower_id == organizer_id:
        raise CannotFollowYourself()
    organizer(session, organizer_id)
    if repository.add(session, follower_id, organizer_id):
        emit(session, OrganizerFollowed(organizer_id=organizer_id, user_id=follower_id))


def unfollow(session: Session, follower_id: uuid.UUID, organizer_id: uuid.UUID) -> None:
    """Idempotent, and possible whatever became of the organizer since."""
    repository.remove(session, follower_id, organizer_id)


def following(session: Session, follower_id: uuid.UUID) -> FollowingList:
    return FollowingList(
        items=[
            FollowedOrganizer(organizer_id=row[0], full_name=row[1], followed_at=row[2])
            for row in repository.followed_by(session, follower_id)
        ]
    )


def event_went_public(session: Session, event_id: uuid.UUID) -> None:
    """In the consumer's transaction: record the fan-out if the event is public now (current
    state decides, not the CloudEvent); its pages run once that commits."""
    event = session.get(Event, event_id)
    if event is None or not _public(event):
        return
    if not repository.has_followers(session, event.organizer_id):
        return  # most organizers: no record to keep
    if not repository.start_fanout(session, event_id):
        return
    after_commit(session, lambda: tell_followers(event_id))


def tell_followers(event_id: uuid.UUID) -> int:
    """Work through the event's fan-out, a page a transaction; answers how many were told.
    A run that finds it held by another (or done) leaves it."""
    told = 0
    while True:
        with unit_of_work() as session:
            fanout = repository.claim_fanout(session, event_id)
            if fanout is None:
                return told
            event = session.get(Event, event_id)
            if event is None or not _public(event):
                fanout.done_at = datetime.now(UTC)  # cancelled or hidden since: nobody more
                return told
            size = get_settings().mail_batch_size
            page = repository.follower_page(
                session, event.organizer_id, fanout.after_follower, size
            )
            told += _tell_page(session, event, page)
            fanout.notified += len(page)
            if len(page) < size:
                fanout.done_at = datetime.now(UTC)
                return told
            fanout.after_follower = page[-1]


def resume_unfinished(limit: int = 100) -> int:
    """The scheduled run: fan-outs a crash (or a failed after-commit run) left unfinished."""
    with unit_of_work() as session:
        unfinished = repository.unfinished_fanouts(session, limit)
    return sum(tell_followers(event_id) for event_id in unfinished)


def _public(event: Event) -> bool:
    return event.status == EventStatus.published and event.moderation == Moderation.approved


def _tell_page(session: Session, event: Event, page: list[uuid.UUID]) -> int:
    people = repository.active_people(session, page) if page else []
    if not people:
        return 0
    organizer_user = session.get(User, event.organizer_id)
    name = organizer_user.full_name if organizer_user else ""
    reach = reach_of(session, [person.id for person in people])
    notices = [
        (
            Addressee(
                person.id,
                person.email,
                person.locale,
                reach[person.id].email,
                reach[person.id].push,
            ),
            FollowedEventNotice(
                event_id=event.id,
                title=event.title,
                starts_at=event.starts_at.isoformat(),
                reader_timezone=person.timezone,
                organizer_name=name,
                where=location_of(event),
            ),
        )
        for person in people
    ]
    notify_many(session, kinds.NEW_EVENT_FROM_FOLLOWED, notices)
    FOLLOWER_NOTICES.inc(len(notices))
    return len(notices)
