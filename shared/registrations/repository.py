"""All SQL about registrations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Select,
    Table,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, aliased, load_only

from shared import process_state
from shared.events.models import Event
from shared.events.repository import with_tags
from shared.events.statuses import EventStatus, Moderation
from shared.outbox import writer as outbox
from shared.outbox.models import OutboxMessage
from shared.registrations.models import Registration, RegistrationStatus
from shared.users.models import User


def active_for(session: Session, event_id: uuid.UUID, user_id: uuid.UUID) -> Registration | None:
    return session.scalar(
        select(Registration).where(
            Registration.event_id == event_id,
            Registration.user_id == user_id,
            Registration.status != RegistrationStatus.cancelled,
        )
    )


# What checking answers reads of an event: its questions, and what says who may see it (its
# text and search document stay unread).
_FORM = load_only(Event.questions, Event.status, Event.moderation, Event.organizer_id)


@dataclass(frozen=True)
class Joiner:
    is_active: bool
    existing: Registration | None
    # The event with only what checking answers needs (`_FORM`); None when there is none.
    form: Event | None


def joiner(session: Session, event_id: uuid.UUID, user_id: uuid.UUID) -> Joiner | None:
    """The person about to join, share-locked (an account deletion in progress finishes
    first), their active registration for the event if any, and the event's form: one round
    trip, before any lock on the event. None when there is no such person."""
    row = session.execute(_joiner(), {"user_id": user_id, "event_id": event_id}).one_or_none()
    return None if row is None else Joiner(bool(row[0]), row[1], row[2])


@process_state.cached
def _joiner() -> Select[bool, Registration, Event]:
    """Built once per process, as `_taking` is."""
    event_id = bindparam("event_id", type_=Registration.event_id.type)
    return (
        select(User.is_active, Registration, Event)
        .select_from(User)
        .outerjoin(
            Registration,
            and_(
                Registration.user_id == User.id,
                Registration.event_id == event_id,
                Registration.status != RegistrationStatus.cancelled,
            ),
        )
        .outerjoin(Event, Event.id == event_id)
        .where(User.id == bindparam("user_id", type_=User.id.type))
        .options(_FORM)
        .with_for_update(of=User, read=True)
    )


@dataclass(frozen=True)
class Taken:
    registration_id: uuid.UUID
    status: RegistrationStatus
    waitlist_count: int


def take_place(
    session: Session,
    registration_id: uuid.UUID,
    event_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    public_only: bool,
    cloudevent: OutboxMessage,
    answers: list[dict[str, Any]] | None = None,
) -> Taken | None:
    """A seat, or the next place on the waitlist, in one statement: it share-locks the person
    (active accounts only), locks the open event's row, inserts the registration (its
    `queue_seq`, the waitlist order, drawn under that lock), moves the counters and writes the
    outbox row of `cloudevent` with the `status` and `waitlist_position` it decided. The lock
    is then held only until the commit, with no other round trip of this use case in between.

    `public_only`: only an event anyone may see (the caller checked nothing). None when the
    event is not open to this join, the account is closed, or the person already holds an
    active registration (the caller finds out which, under the lock): then nothing is
    written, the outbox row neither. `answers`: checked already, kept with it.
    """
    values = {
        "registration_id": registration_id,
        "event_id": event_id,
        "user_id": user_id,
        "answers": answers or [],
        **outbox.parameters(cloudevent),
    }
    row = session.execute(_taking(public_only), values).one_or_none()
    if row is None:
        return None
    return Taken(row[0], RegistrationStatus(row[1]), row[2])


@process_state.cached
def _taking(public_only: bool) -> Select[uuid.UUID, str, int]:
    """Built once per process: building and keying a statement this size per join cost as
    much CPU as the rest of the transaction."""
    events, registrations = cast(Table, Event.__table__), cast(Table, Registration.__table__)
    has_seat = or_(events.c.capacity.is_(None), events.c.seats_taken < events.c.capacity)
    status = case(
        (has_seat, literal(RegistrationStatus.confirmed.value)),
        else_=literal(RegistrationStatus.waitlisted.value),
    )
    users = cast(Table, User.__table__)
    # The person share-locked first, the order an account deletion locks them in (the
    # person, then each event): a deletion in progress finishes first, and an account closed
    # meanwhile takes nothing. Already held when `joiner` locked it in this transaction.
    person = (
        select(users.c.id)
        .where(
            users.c.id == bindparam("user_id", type_=users.c.id.type),
            users.c.is_active.is_(True),
        )
        .with_for_update(read=True)
        .cte("person")
    )
    # FOR UPDATE in READ COMMITTED: after waiting for the lock it reads the row as the
    # previous join committed it, so the seat count is never a stale one. The lock is taken
    # on the rows the join yields, so after the person's.
    chosen = (
        select(
            bindparam("registration_id", type_=registrations.c.id.type),
            events.c.id,
            person.c.id,
            status,
            bindparam("answers", type_=registrations.c.answers.type),
        )
        .select_from(events.join(person, true()))
        .where(
            events.c.id == bindparam("event_id", type_=events.c.id.type),
            events.c.status == EventStatus.published.value,
            events.c.ends_at > func.now(),
        )
        .with_for_update(of=events)
    )
    if public_only:
        chosen = chosen.where(events.c.moderation == Moderation.approved.value)
    inserted = (
        insert(registrations)
        .from_select(["id", "event_id", "user_id", "status", "answers"], chosen)
        .on_conflict_do_nothing(
            index_elements=["event_id", "user_id"],
            index_where=registrations.c.status != RegistrationStatus.cancelled.value,
        )
        .returning(registrations.c.id, registrations.c.event_id, registrations.c.status)
        .cte("inserted")
    )
    confirmed = inserted.c.status == RegistrationStatus.confirmed.value
    counted = (
        update(events)
        .where(events.c.id == inserted.c.event_id)
        .values(
            seats_taken=events.c.seats_taken + case((confirmed, 1), else_=0),
            waitlist_count=events.c.waitlist_count + case((confirmed, 0), else_=1),
        )
        .returning(inserted.c.id, inserted.c.status, events.c.waitlist_count)
        .cte("counted")
    )
    # The newcomer is last in line: the waitlist's new length is their place.
    waitlisted = counted.c.status == RegistrationStatus.waitlisted.value
    announced = outbox.insert_from(
        counted,
        {
            "status": counted.c.status,
            "waitlist_position": case((waitlisted, counted.c.waitlist_count)),
        },
    ).cte("announced")
    # PostgreSQL runs a data-modifying CTE to completion even when nothing reads it.
    return select(counted.c.id, counted.c.status, counted.c.waitlist_count).add_cte(announced)


def waitlist_positions(session: Session, registrations: list[Registration]) -> dict[uuid.UUID, int]:
    """Place in line (1 = next) of each waitlisted registration given, in one query;
    arrival order is the `queue_seq` identity."""
    waiting = [r.id for r in registrations if r.status == RegistrationStatus.waitlisted]
    if not waiting:
        return {}
    ahead = aliased(Registration)
    place = (
        select(func.count())
        .where(
            ahead.event_id == Registration.event_id,
            ahead.status == RegistrationStatus.waitlisted,
            ahead.queue_seq < Registration.queue_seq,
        )
        .scalar_subquery()
    )
    rows = session.execute(select(Registration.id, place).where(Registration.id.in_(waiting)))
    return {row[0]: int(row[1]) + 1 for row in rows}


def event_for_update(session: Session, event_id: uuid.UUID) -> Event | None:
    """The event, locked and read again (its counters may have moved since it was loaded);
    None when it was deleted meanwhile, taking its registrations with it."""
    return session.get(Event, event_id, with_for_update=True, populate_existing=True)


def first_waiting(session: Session, event_id: uuid.UUID) -> Registration | None:
    return session.scalar(
        select(Registration)
        .where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.waitlisted,
        )
        .order_by(Registration.queue_seq)
        .limit(1)
        .with_for_update()
    )


def active_of_event(session: Session, event_id: uuid.UUID) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event_id,
                Registration.status != RegistrationStatus.cancelled,
            )
            .order_by(Registration.queue_seq)
        )
    )


def active_of_user(session: Session, user_id: uuid.UUID) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .where(
                Registration.user_id == user_id,
                Registration.status != RegistrationStatus.cancelled,
            )
            .order_by(Registration.event_id)
        )
    )


def of_user(session: Session, user_id: uuid.UUID) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .where(Registration.user_id == user_id)
            .order_by(Registration.created_at)
        )
    )


def of_user_with_events(
    session: Session,
    user_id: uuid.UUID,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Registration, Event]]:
    """Newest first, keyset-paginated on (created_at, id)."""
    query = (
        select(Registration, Event)
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.user_id == user_id)
        .options(with_tags())
    )
    if before is not None:
        query = query.where(tuple_(Registration.created_at, Registration.id) < tuple_(*before))
    rows = session.execute(
        query.order_by(Registration.created_at.desc(), Registration.id.desc()).limit(limit)
    )
    return [(registration, event) for registration, event in rows]


def events_with_offers_due(session: Session, now: datetime, *, limit: int) -> list[uuid.UUID]:
    """Events holding offers past their time (the partial index on `offer_expires_at`)."""
    due = (
        select(Registration.event_id, Registration.offer_expires_at)
        .where(
            Registration.status == RegistrationStatus.offered,
            Registration.offer_expires_at <= now,
        )
        .order_by(Registration.offer_expires_at)
        .limit(limit * 10)
        .subquery()
    )
    rows = session.execute(
        select(due.c.event_id).group_by(due.c.event_id).order_by(func.min(due.c.offer_expires_at))
    )
    return [row[0] for row in rows][:limit]


def offers_due(session: Session, event_id: uuid.UUID, now: datetime) -> list[Registration]:
    """Under the event's lock: its offers past their time, in waitlist order."""
    return list(
        session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event_id,
                Registration.status == RegistrationStatus.offered,
                Registration.offer_expires_at <= now,
            )
            .order_by(Registration.queue_seq)
            .with_for_update()
        )
    )
