"""All the SQL of discussions."""

from __future__ import annotations

import uuid

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.discussions.models import DiscussionCounter, DiscussionMessage
from shared.registrations.models import CONFIRMED_STATUSES, Registration
from shared.teams.models import TeamMember
from shared.users.models import User

Row = tuple[DiscussionMessage, str | None]


def next_seq(session: Session, event_id: uuid.UUID) -> int:
    """The event's next stream number; its counter row stays locked until commit."""
    statement = (
        insert(DiscussionCounter)
        .values(event_id=event_id, last_seq=1)
        .on_conflict_do_update(
            index_elements=["event_id"], set_={"last_seq": DiscussionCounter.last_seq + 1}
        )
        .returning(DiscussionCounter.last_seq)
    )
    return int(session.execute(statement).scalar_one())


def message(
    session: Session, event_id: uuid.UUID, message_id: uuid.UUID
) -> DiscussionMessage | None:
    found = session.get(DiscussionMessage, message_id)
    return found if found is not None and found.event_id == event_id else None


def shown(session: Session, event_id: uuid.UUID, after_seq: int, limit: int) -> list[Row]:
    """The messages not deleted, oldest first, after a stream number."""
    return [
        (row, name)
        for row, name in session.execute(
            select(DiscussionMessage, User.full_name)
            .outerjoin(User, User.id == DiscussionMessage.author_id)
            .where(
                DiscussionMessage.event_id == event_id,
                DiscussionMessage.seq > after_seq,
                DiscussionMessage.deleted_at.is_(None),
            )
            .order_by(DiscussionMessage.seq)
            .limit(limit)
        )
    ]


def changed_since(session: Session, event_id: uuid.UUID, after_seq: int, limit: int) -> list[Row]:
    """The messages posted or deleted after a stream number (the stream sorts them)."""
    return [
        (row, name)
        for row, name in session.execute(
            select(DiscussionMessage, User.full_name)
            .outerjoin(User, User.id == DiscussionMessage.author_id)
            .where(
                DiscussionMessage.event_id == event_id,
                or_(DiscussionMessage.seq > after_seq, DiscussionMessage.deleted_seq > after_seq),
            )
            .order_by(DiscussionMessage.seq)
            .limit(limit)
        )
    ]


def last_seq(session: Session, event_id: uuid.UUID) -> int:
    counter = session.get(DiscussionCounter, event_id)
    return counter.last_seq if counter is not None else 0


def people_named(
    session: Session, event_id: uuid.UUID, organizer_id: uuid.UUID, names: set[str]
) -> list[User]:
    """The active people taking part in the discussion (its organizer, team, confirmed and
    checked-in participants) whose lower-cased name is one of `names`."""
    if not names:
        return []
    seated = select(Registration.user_id).where(
        Registration.event_id == event_id, Registration.status.in_(CONFIRMED_STATUSES)
    )
    team = select(TeamMember.user_id).where(TeamMember.event_id == event_id)
    return list(
        session.scalars(
            select(User).where(
                User.is_active.is_(True),
                func.lower(User.full_name).in_(names),
                or_(User.id == organizer_id, User.id.in_(seated), User.id.in_(team)),
            )
        )
    )
