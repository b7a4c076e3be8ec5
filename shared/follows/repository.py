"""All SQL of following: follows, fan-out records, and the organizer's public events (read
from events, which their own module writes)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, delete, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.events.models import Event
from shared.events.statuses import EventStatus, Moderation
from shared.follows.models import Follow, FollowerFanout
from shared.users.models import User


def add(session: Session, follower_id: uuid.UUID, organizer_id: uuid.UUID) -> bool:
    """True when this made the follow (False: it was there already)."""
    made = session.execute(
        insert(Follow)
        .values(follower_id=follower_id, organizer_id=organizer_id)
        .on_conflict_do_nothing()
        .returning(Follow.follower_id)
    ).first()
    return made is not None


def remove(session: Session, follower_id: uuid.UUID, organizer_id: uuid.UUID) -> None:
    session.execute(
        delete(Follow).where(Follow.follower_id == follower_id, Follow.organizer_id == organizer_id)
    )


def remove_all_of(session: Session, user_id: uuid.UUID) -> None:
    """Whom the person follows, and who follows them."""
    session.execute(
        delete(Follow).where(or_(Follow.follower_id == user_id, Follow.organizer_id == user_id))
    )


def followed_by(
    session: Session, follower_id: uuid.UUID
) -> Sequence[Row[uuid.UUID, str, datetime]]:
    return session.execute(
        select(Follow.organizer_id, User.full_name, Follow.created_at)
        .join(User, User.id == Follow.organizer_id)
        .where(Follow.follower_id == follower_id)
        .order_by(Follow.created_at, Follow.organizer_id)
    ).all()


def follower_count(session: Session, organizer_id: uuid.UUID) -> int:
    count = session.scalar(
        select(func.count()).select_from(Follow).where(Follow.organizer_id == organizer_id)
    )
    return count or 0


def has_followers(session: Session, organizer_id: uuid.UUID) -> bool:
    return bool(session.scalar(select(exists().where(Follow.organizer_id == organizer_id))))


def public_events(
    session: Session,
    organizer_id: uuid.UUID,
    *,
    ending_after: datetime | None,
    limit: int,
    latest: bool = False,
) -> Sequence[Event]:
    """Published events nobody hid, soonest first (`latest`: the last `limit` by start time,
    latest first); `ending_after` leaves out the past."""
    query = select(Event).where(
        Event.organizer_id == organizer_id,
        Event.status == EventStatus.published,
        Event.moderation == Moderation.approved,
    )
    if ending_after is not None:
        query = query.where(Event.ends_at > ending_after)
    order = (Event.starts_at.desc(), Event.id.desc()) if latest else (Event.starts_at, Event.id)
    return session.scalars(query.order_by(*order).limit(limit)).all()


def start_fanout(session: Session, event_id: uuid.UUID) -> bool:
    """True when this made the event's fan-out record (False: it has one already)."""
    made = session.execute(
        insert(FollowerFanout)
        .values(event_id=event_id)
        .on_conflict_do_nothing()
        .returning(FollowerFanout.event_id)
    ).first()
    return made is not None


def claim_fanout(session: Session, event_id: uuid.UUID) -> FollowerFanout | None:
    """The unfinished record, locked; None when done or another run holds it."""
    return session.scalar(
        select(FollowerFanout)
        .where(FollowerFanout.event_id == event_id, FollowerFanout.done_at.is_(None))
        .with_for_update(skip_locked=True)
    )


def unfinished_fanouts(session: Session, limit: int) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(FollowerFanout.event_id)
            .where(FollowerFanout.done_at.is_(None))
            .order_by(FollowerFanout.created_at)
            .limit(limit)
        )
    )


def follower_page(
    session: Session, organizer_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    query = select(Follow.follower_id).where(Follow.organizer_id == organizer_id)
    if after is not None:
        query = query.where(Follow.follower_id > after)
    return list(session.scalars(query.order_by(Follow.follower_id).limit(limit)))


def active_people(session: Session, user_ids: Sequence[uuid.UUID]) -> Sequence[User]:
    return session.scalars(
        select(User).where(User.id.in_(user_ids), User.is_active.is_(True)).order_by(User.id)
    ).all()
