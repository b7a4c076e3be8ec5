"""All SQL about the analytics rollups.

Each rollup has one `*_source` query: the GROUP BY over the source tables that defines it.
Refreshing one key and rebuilding everything run the same query, with and without a filter,
so the two cannot drift apart.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeAlias

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    SQLColumnExpression,
    String,
    and_,
    cast,
    delete,
    func,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.orm import Session

from shared.analytics.models import CategoryDay, EventDay, EventTotals, PersonEvent
from shared.events.models import Event
from shared.events.statuses import EventStatus, Moderation
from shared.registrations.models import CONFIRMED_STATUSES, Registration, RegistrationStatus

# Taken shared by every refresh and exclusively by a rebuild, which thus never interleaves.
_ALL_ROLLUPS = "analytics"
Source: TypeAlias = Select[*tuple[Any, ...]]


@dataclass(frozen=True, order=True)
class CategoryKey:
    day: date
    category: str


@dataclass(frozen=True)
class CountedUnder:
    """Where an event's registrations are counted in the popular categories."""

    key: CategoryKey
    listed: bool


def _utc_day(moment: SQLColumnExpression[Any]) -> ColumnElement[date]:
    return cast(func.timezone("UTC", moment), Date)


# --- locks ---------------------------------------------------------------------------------
# Advisory locks rather than row locks: the key to serialize on may have no row yet, or its
# row may just have been deleted by the transaction that held it.


def _lock_id(name: str) -> ColumnElement[int]:
    return func.hashtextextended(name, 0)


def hold_for_refresh(session: Session, event_id: uuid.UUID) -> None:
    """Serialize refreshes of one event: the later one waits, then reads what the earlier
    committed (READ COMMITTED takes a fresh snapshot per statement), so none is lost."""
    session.execute(select(func.pg_advisory_xact_lock_shared(_lock_id(_ALL_ROLLUPS))))
    session.execute(select(func.pg_advisory_xact_lock(_lock_id(f"analytics:event:{event_id}"))))


def hold_categories(session: Session, keys: list[CategoryKey]) -> None:
    """Taken after the event's lock and in sorted order: refreshes never wait on each other in
    a circle."""
    for key in sorted(keys):
        name = f"analytics:category:{key.category}:{key.day.isoformat()}"
        session.execute(select(func.pg_advisory_xact_lock(_lock_id(name))))


def hold_for_rebuild(session: Session) -> None:
    session.execute(select(func.pg_advisory_xact_lock(_lock_id(_ALL_ROLLUPS))))


# --- what each rollup is -------------------------------------------------------------------


def _listed() -> ColumnElement[bool]:
    """Anyone may see it (as `events.service.is_public`)."""
    return and_(Event.status != EventStatus.draft, Event.moderation == Moderation.approved)


def _count(status: RegistrationStatus) -> ColumnElement[int]:
    return func.count(Registration.id).filter(Registration.status == status)


def totals_source(where: ColumnElement[bool]) -> Source:
    return (
        select(
            Event.id,
            Event.category_slug,
            _utc_day(Event.starts_at),
            _listed(),
            func.count(Registration.id),
            func.count(Registration.id).filter(Registration.status.in_(CONFIRMED_STATUSES)),
            _count(RegistrationStatus.waitlisted),
            _count(RegistrationStatus.offered),
            _count(RegistrationStatus.checked_in),
            _count(RegistrationStatus.cancelled),
        )
        .select_from(Event)
        .outerjoin(Registration, Registration.event_id == Event.id)
        .where(where)
        .group_by(Event.id)
    )


_TOTALS = ["event_id", "category_slug", "start_day", "listed", "registrations"]
_TOTALS += ["confirmed", "waitlisted", "offered", "checked_in", "cancelled"]


def days_source(where: ColumnElement[bool]) -> Source:
    """Registrations by the day they were made, cancellations and check-ins by theirs."""
    r = Registration

    def moments(at: SQLColumnExpression[Any], made: int, left: int, came: int) -> Source:
        columns = (literal(made), literal(left), literal(came))
        return select(r.event_id, _utc_day(at).label("day"), *columns).where(where, at.is_not(None))

    happened = union_all(
        moments(r.created_at, 1, 0, 0),
        moments(r.cancelled_at, 0, 1, 0),
        moments(r.checked_in_at, 0, 0, 1),
    ).subquery()
    event_id, day, made, left, came = happened.c
    return select(event_id, day, func.sum(made), func.sum(left), func.sum(came)).group_by(
        event_id, day
    )


_DAYS = ["event_id", "day", "registrations", "cancellations", "check_ins"]


def people_source(where: ColumnElement[bool]) -> Source:
    r = Registration
    latest = func.array_agg(aggregate_order_by(cast(r.status, String), r.queue_seq.desc()))
    return (
        select(
            r.user_id,
            r.event_id,
            func.count(),
            _count(RegistrationStatus.cancelled),
            _count(RegistrationStatus.checked_in),
            latest[1],
            func.max(r.created_at),
        )
        .where(where)
        .group_by(r.user_id, r.event_id)
    )


_PEOPLE = ["user_id", "event_id", "registrations", "cancelled", "checked_in", "status"]
_PEOPLE += ["registered_at"]


def categories_source(where: ColumnElement[bool]) -> Source:
    """From the event totals: a (category, day) sums the events counted under it."""
    t = EventTotals
    return (
        select(t.start_day, t.category_slug, func.count(), func.sum(t.registrations))
        .where(t.listed, where)
        .group_by(t.start_day, t.category_slug)
    )


_CATEGORIES = ["day", "category_slug", "events", "registrations"]


# --- refreshing one event ------------------------------------------------------------------


def counted_under(session: Session, event_id: uuid.UUID) -> CountedUnder | None:
    row = session.execute(
        select(EventTotals.start_day, EventTotals.category_slug, EventTotals.listed).where(
            EventTotals.event_id == event_id
        )
    ).first()
    return CountedUnder(CategoryKey(row[0], row[1]), row[2]) if row else None


def refresh_totals(session: Session, event_id: uuid.UUID) -> CountedUnder | None:
    """Recount the event; None when it no longer exists (nothing was written)."""
    statement = insert(EventTotals).from_select(_TOTALS, totals_source(Event.id == event_id))
    fresh = statement.excluded
    row = session.execute(
        statement.on_conflict_do_update(
            index_elements=[EventTotals.event_id],
            set_={name: fresh[name] for name in _TOTALS[1:]},
        ).returning(EventTotals.start_day, EventTotals.category_slug, EventTotals.listed)
    ).first()
    return CountedUnder(CategoryKey(row[0], row[1]), row[2]) if row else None


def refresh_days(session: Session, event_id: uuid.UUID) -> None:
    session.execute(delete(EventDay).where(EventDay.event_id == event_id))
    session.execute(
        insert(EventDay).from_select(_DAYS, days_source(Registration.event_id == event_id))
    )


def refresh_person(session: Session, user_id: uuid.UUID, event_id: uuid.UUID) -> None:
    session.execute(
        delete(PersonEvent).where(PersonEvent.user_id == user_id, PersonEvent.event_id == event_id)
    )
    mine = and_(Registration.user_id == user_id, Registration.event_id == event_id)
    session.execute(insert(PersonEvent).from_select(_PEOPLE, people_source(mine)))


def forget_event(session: Session, event_id: uuid.UUID) -> list[uuid.UUID]:
    """The event is gone: so are its rows (its category key is refreshed by the caller).
    Answers the people whose activity changed."""
    session.execute(delete(EventTotals).where(EventTotals.event_id == event_id))
    session.execute(delete(EventDay).where(EventDay.event_id == event_id))
    people = session.scalars(
        delete(PersonEvent).where(PersonEvent.event_id == event_id).returning(PersonEvent.user_id)
    )
    return list(people)


def refresh_category(session: Session, key: CategoryKey) -> None:
    one = and_(EventTotals.start_day == key.day, EventTotals.category_slug == key.category)
    session.execute(
        delete(CategoryDay).where(
            CategoryDay.day == key.day, CategoryDay.category_slug == key.category
        )
    )
    session.execute(insert(CategoryDay).from_select(_CATEGORIES, categories_source(one)))


# --- rebuilding everything -----------------------------------------------------------------


@dataclass(frozen=True)
class RebuildCounts:
    events: int
    event_days: int
    person_events: int
    category_days: int


def rebuild(session: Session) -> RebuildCounts:
    """Every rollup again from the source tables. DELETE rather than TRUNCATE: readers keep
    the old figures until the commit instead of waiting for it."""
    for table in (CategoryDay, PersonEvent, EventDay, EventTotals):
        session.execute(delete(table))

    def fill(table: type[object], columns: list[str], source: Source) -> int:
        statement = insert(table).from_select(columns, source)
        result = session.execute(statement.execution_options(preserve_rowcount=True))
        return int(result.rowcount)  # type: ignore[attr-defined]

    return RebuildCounts(
        events=fill(EventTotals, _TOTALS, totals_source(true())),
        event_days=fill(EventDay, _DAYS, days_source(true())),
        person_events=fill(PersonEvent, _PEOPLE, people_source(true())),
        # From the totals just written, in the same transaction.
        category_days=fill(CategoryDay, _CATEGORIES, categories_source(true())),
    )


# --- reading -------------------------------------------------------------------------------


# Reads select columns, not ORM objects: an event's days may be hundreds of rows, and
# mapping each into the session would cost more than the query.


def event_totals(
    session: Session, event_id: uuid.UUID
) -> tuple[int, int, int, int, int, int] | None:
    """(registrations, confirmed, waitlisted, offered, checked_in, cancelled)."""
    t = EventTotals
    columns = (t.registrations, t.confirmed, t.waitlisted, t.offered, t.checked_in, t.cancelled)
    row = session.execute(select(*columns).where(t.event_id == event_id)).first()
    return (row[0], row[1], row[2], row[3], row[4], row[5]) if row else None


def event_days(session: Session, event_id: uuid.UUID) -> list[tuple[date, int, int, int]]:
    """(day, registrations, cancellations, check-ins), oldest first."""
    d = EventDay
    rows = session.execute(
        select(d.day, d.registrations, d.cancellations, d.check_ins)
        .where(d.event_id == event_id)
        .order_by(d.day)
    )
    return [(row[0], row[1], row[2], row[3]) for row in rows]


def popular_categories(
    session: Session, first: date | None, last: date | None, limit: int
) -> list[tuple[str, int, int]]:
    events = func.sum(CategoryDay.events)
    registrations = func.sum(CategoryDay.registrations)
    query = select(CategoryDay.category_slug, events, registrations)
    if first is not None:
        query = query.where(CategoryDay.day >= first)
    if last is not None:
        query = query.where(CategoryDay.day <= last)
    rows = session.execute(
        query.group_by(CategoryDay.category_slug)
        .order_by(registrations.desc(), events.desc(), CategoryDay.category_slug)
        .limit(limit)
    )
    return [(slug, int(e), int(r)) for slug, e, r in rows]


def person_totals(session: Session, user_id: uuid.UUID) -> tuple[int, int, int]:
    """(registered, attended, cancelled)."""
    p = PersonEvent
    row = session.execute(
        select(
            func.coalesce(func.sum(p.registrations), 0),
            func.coalesce(func.sum(p.checked_in), 0),
            func.coalesce(func.sum(p.cancelled), 0),
        ).where(p.user_id == user_id)
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def person_events(
    session: Session, user_id: uuid.UUID, limit: int
) -> list[tuple[PersonEvent, Event]]:
    """The person's events, latest registration first, each with its event."""
    rows = session.execute(
        select(PersonEvent, Event)
        .join(Event, Event.id == PersonEvent.event_id)
        .where(PersonEvent.user_id == user_id)
        .order_by(PersonEvent.registered_at.desc(), PersonEvent.event_id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows]


def people_of(session: Session, event_id: uuid.UUID) -> list[uuid.UUID]:
    """Everyone whose activity lists this event."""
    return list(
        session.scalars(select(PersonEvent.user_id).where(PersonEvent.event_id == event_id))
    )
