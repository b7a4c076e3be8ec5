"""All SQL about reviews."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.events.models import Event
from shared.registrations.models import Registration, RegistrationStatus
from shared.reviews.models import Review
from shared.users.models import User


def checked_in(session: Session, event_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    return (
        session.scalar(
            select(Registration.id).where(
                Registration.event_id == event_id,
                Registration.user_id == user_id,
                Registration.status == RegistrationStatus.checked_in,
            )
        )
        is not None
    )


def insert_once(
    session: Session, event_id: uuid.UUID, user_id: uuid.UUID, rating: int, text: str | None
) -> uuid.UUID | None:
    """The new review's id, or None when this person reviewed the event already (the unique
    constraint decides, so two concurrent first reviews make one)."""
    return session.scalar(
        insert(Review)
        .values(id=uuid.uuid4(), event_id=event_id, user_id=user_id, rating=rating, text=text)
        .on_conflict_do_nothing(index_elements=["event_id", "user_id"])
        .returning(Review.id)
    )


def id_of(session: Session, event_id: uuid.UUID, user_id: uuid.UUID) -> uuid.UUID | None:
    return session.scalar(
        select(Review.id).where(Review.event_id == event_id, Review.user_id == user_id)
    )


def get(session: Session, review_id: uuid.UUID, *, for_update: bool = False) -> Review | None:
    if for_update:
        return session.get(Review, review_id, with_for_update=True, populate_existing=True)
    return session.get(Review, review_id)


def author_name(session: Session, user_id: uuid.UUID) -> str:
    return session.scalar(select(User.full_name).where(User.id == user_id)) or ""


def listed(
    session: Session, event_id: uuid.UUID, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[tuple[Review, str]]:
    """Visible reviews, newest first, keyset-paginated on (created_at, id)."""
    query = (
        select(Review, User.full_name)
        .join(User, User.id == Review.user_id)
        .where(Review.event_id == event_id, Review.hidden_at.is_(None))
    )
    if after is not None:
        query = query.where(tuple_(Review.created_at, Review.id) < tuple_(*after))
    query = query.order_by(Review.created_at.desc(), Review.id.desc()).limit(limit)
    return [(review, name) for review, name in session.execute(query)]


def moderation_listed(
    session: Session, hidden: bool, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[tuple[Review, str, str]]:
    """Every event's reviews, the hidden ones or the visible ones, newest first, with the
    author's name and the event's title: the admins' moderation list."""
    query = (
        select(Review, User.full_name, Event.title)
        .join(User, User.id == Review.user_id)
        .join(Event, Event.id == Review.event_id)
        .where(Review.hidden_at.is_not(None) if hidden else Review.hidden_at.is_(None))
    )
    if after is not None:
        query = query.where(tuple_(Review.created_at, Review.id) < tuple_(*after))
    query = query.order_by(Review.created_at.desc(), Review.id.desc()).limit(limit)
    return [(review, name, title) for review, name, title in session.execute(query)]


def recount_rating(session: Session, event_id: uuid.UUID) -> None:
    """The event's rating recounted from its visible reviews in one statement. The caller
    holds the event's row lock taken by an earlier statement, so this statement's snapshot
    sees every review committed before the lock was granted."""
    visible = select(Review).where(Review.event_id == event_id, Review.hidden_at.is_(None))
    session.execute(
        update(Event)
        .where(Event.id == event_id)
        .values(
            rating_count=visible.with_only_columns(func.count()).scalar_subquery(),
            rating_sum=visible.with_only_columns(
                func.coalesce(func.sum(Review.rating), 0)
            ).scalar_subquery(),
            # A review is not a change to the event: its modification time stays.
            updated_at=Event.updated_at,
        )
        .execution_options(synchronize_session=False)
    )


def lock_event(session: Session, event_id: uuid.UUID) -> bool:
    """The event's row lock (False when it is gone). NO KEY UPDATE, the lock the rating's
    UPDATE takes anyway: it orders the refreshes of one event but lets reviews and
    registrations referencing the event be written meanwhile (their foreign key checks take
    KEY SHARE, which FOR UPDATE would block)."""
    query = (
        select(Event.id).where(Event.id == event_id).with_for_update(key_share=True)
    )  # FOR NO KEY UPDATE
    return session.scalar(query) is not None


def rating_from_rows(session: Session, event_id: uuid.UUID) -> tuple[int, int]:
    """(count, sum) straight from the visible reviews: what the rollup must equal."""
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(Review.rating), 0)).where(
            Review.event_id == event_id, Review.hidden_at.is_(None)
        )
    ).one()
    return int(count), int(total)


def organizer_totals(session: Session, organizer_id: uuid.UUID) -> tuple[int, int]:
    """(count, sum) of the rollups over every event this person organizes."""
    count, total = session.execute(
        select(
            func.coalesce(func.sum(Event.rating_count), 0),
            func.coalesce(func.sum(Event.rating_sum), 0),
        ).where(Event.organizer_id == organizer_id)
    ).one()
    return int(count), int(total)
