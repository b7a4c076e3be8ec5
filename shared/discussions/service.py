"""The rules of discussions: who takes part, posting, deleting, announcing.

Every change takes the event's next stream number (see models.DiscussionCounter) and, once
committed, wakes the streams through Redis (see live); the rows are the truth they read.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from shared import ratelimit
from shared.catalog import AnnouncementPosted, MessageDeleted, MessagePosted
from shared.config import get_settings
from shared.db import after_commit
from shared.discussions import live, repository
from shared.discussions.errors import MessageNotFound, NotInDiscussion, NotMessageAuthor
from shared.discussions.models import DiscussionMessage, MessageKind
from shared.discussions.schemas import AnnouncementIn, MessageIn, MessageList, MessagePublic
from shared.events.errors import EventNotFound
from shared.events.models import Event
from shared.events.service import is_public, owned_event, rights_over
from shared.metrics import DISCUSSION_MESSAGES
from shared.outbox.writer import emit
from shared.registrations import repository as registrations
from shared.registrations.models import CONFIRMED_STATUSES
from shared.teams.rights import EventRight
from shared.users.models import User


def joined_event(
    session: Session, event_id: uuid.UUID, user_id: uuid.UUID, is_admin: bool
) -> tuple[Event, bool]:
    """The event for a person in its discussion: a confirmed or checked-in participant, the
    organizer, its team, an admin. Answers whether they moderate it (all but participants)."""
    event = session.get(Event, event_id)
    if event is None:
        raise EventNotFound(f"No event {event_id}.")
    if rights_over(session, event, user_id, is_admin):
        return event, True
    if not is_public(event):
        raise EventNotFound(f"No event {event_id}.")
    seat = registrations.active_for(session, event_id, user_id)
    if seat is None or seat.status not in CONFIRMED_STATUSES:
        raise NotInDiscussion(
            "Only confirmed participants, the event's team and admins take part in its discussion."
        )
    return event, False


def listed(
    session: Session,
    event_id: uuid.UUID,
    user_id: uuid.UUID,
    is_admin: bool,
    after: uuid.UUID | None,
    limit: int,
) -> MessageList:
    joined_event(session, event_id, user_id, is_admin)
    after_seq = 0
    if after is not None:
        since = repository.message(session, event_id, after)
        if since is None:
            raise MessageNotFound(f"No message {after} in this discussion.")
        after_seq = since.seq
    rows = repository.shown(session, event_id, after_seq, limit)
    return MessageList(items=[MessagePublic.of(row, name) for row, name in rows])


def post(
    session: Session, event_id: uuid.UUID, user_id: uuid.UUID, is_admin: bool, data: MessageIn
) -> MessagePublic:
    joined_event(session, event_id, user_id, is_admin)
    settings = get_settings()
    ratelimit.limit(
        f"discussion:{event_id}:{user_id}",
        settings.discussion_messages_per_minute,
        60,
        "Too many messages in this discussion; wait a moment.",
    )
    if data.reply_to is not None:
        replied = repository.message(session, event_id, data.reply_to)
        if replied is None or replied.deleted_at is not None:
            raise MessageNotFound(f"No message {data.reply_to} in this discussion.")
    row = _store(session, event_id, user_id, MessageKind.message, data.text, data.reply_to)
    # `notify` tells whom it mentions, from this row written with the message.
    emit(
        session,
        MessagePosted(
            event_id=event_id, message_id=row.id, author_id=user_id, reply_to=data.reply_to
        ),
    )
    return MessagePublic.of(row, _name(session, user_id))


def delete(
    session: Session, event_id: uuid.UUID, message_id: uuid.UUID, user_id: uuid.UUID, is_admin: bool
) -> None:
    """A tombstone: the text stays for the audit of moderation, never shown again."""
    _, moderates = joined_event(session, event_id, user_id, is_admin)
    row = repository.message(session, event_id, message_id)
    if row is None or row.deleted_at is not None:
        raise MessageNotFound(f"No message {message_id} in this discussion.")
    if row.author_id != user_id and not moderates:
        raise NotMessageAuthor("Only its author, the event's team and admins may delete it.")
    row.deleted_seq = repository.next_seq(session, event_id)
    row.deleted_at = datetime.now(UTC)
    row.deleted_by = user_id
    emit(
        session,
        MessageDeleted(
            event_id=event_id,
            message_id=row.id,
            author_id=row.author_id,
            by_user_id=user_id,
            kind=row.kind.value,
        ),
    )
    after_commit(session, lambda: live.wake(event_id))


def announce(
    session: Session, event_id: uuid.UUID, user_id: uuid.UUID, is_admin: bool, data: AnnouncementIn
) -> MessagePublic:
    """Pinned in the discussion; the people registered are told by `notify`, from the
    outbox row written here (nothing else happens on the request's path)."""
    owned_event(session, event_id, user_id, is_admin, right=EventRight.manage, lock=False)
    row = _store(session, event_id, user_id, MessageKind.announcement, data.text, None, data.title)
    emit(
        session,
        AnnouncementPosted(
            event_id=event_id,
            message_id=row.id,
            by_user_id=user_id,
            title=data.title,
            text=data.text,
        ),
    )
    return MessagePublic.of(row, _name(session, user_id))


def _store(
    session: Session,
    event_id: uuid.UUID,
    author_id: uuid.UUID,
    kind: MessageKind,
    text: str,
    reply_to: uuid.UUID | None,
    title: str | None = None,
) -> DiscussionMessage:
    row = DiscussionMessage(
        id=uuid.uuid4(),
        event_id=event_id,
        author_id=author_id,
        kind=kind,
        title=title,
        text=text,
        reply_to=reply_to,
        pinned=kind == MessageKind.announcement,
        seq=repository.next_seq(session, event_id),
    )
    session.add(row)
    session.flush()
    session.refresh(row)
    after_commit(session, DISCUSSION_MESSAGES.labels(kind.value).inc)
    after_commit(session, lambda: live.wake(event_id))
    return row


def _name(session: Session, user_id: uuid.UUID) -> str | None:
    person = session.get(User, user_id)
    return person.full_name if person is not None else None
