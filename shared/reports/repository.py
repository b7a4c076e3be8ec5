"""All SQL about reports: the rows themselves, and the (streamed) data a report is built from."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Text,
    and_,
    case,
    delete,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.orm import Session, defer

from shared.db.handover import hand_over
from shared.events.models import Event
from shared.registrations.models import CONFIRMED_STATUSES, Registration, RegistrationStatus
from shared.reports.models import (
    MAX_REPORT_ATTEMPTS,
    UNFINISHED,
    Report,
    ReportKind,
    ReportStatus,
)
from shared.users.models import User

# A query of any columns (reports pick theirs).
Query = Select[*tuple[Any, ...]]
# Rows fetched per round trip of the server-side cursor: memory stays flat, whatever the size.
FETCH = 2000


def of_event(
    session: Session,
    event_id: uuid.UUID,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Report]:
    """The reports asked for an event, newest first, keyset-paginated on (created_at, id).
    The period is left unread: a row written before periods were checked may hold one
    Python cannot read (and an event's reports have none)."""
    query = select(Report).where(Report.event_id == event_id)
    if before is not None:
        query = query.where(tuple_(Report.created_at, Report.id) < tuple_(*before))
    query = query.options(
        defer(Report.period_from, raiseload=True), defer(Report.period_to, raiseload=True)
    )
    order = (Report.created_at.desc(), Report.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))


def unclaimed(now: datetime) -> ColumnElement[bool]:
    """Pending, or running under a lease that ran out (its worker died)."""
    return or_(
        Report.status == ReportStatus.pending,
        and_(Report.status == ReportStatus.running, Report.claimed_until < now),
    )


def claim(session: Session, report_id: uuid.UUID, lease: timedelta) -> Report | None:
    """Take the report to build, so a duplicate task finds nothing to do."""
    now = datetime.now(UTC)
    return session.scalar(
        update(Report)
        .where(Report.id == report_id, Report.attempts < MAX_REPORT_ATTEMPTS, unclaimed(now))
        .values(
            status=ReportStatus.running,
            claimed_until=now + lease,
            attempts=Report.attempts + 1,
        )
        .returning(Report),
        execution_options={"synchronize_session": False},
    )


def fail_unstarted(
    session: Session, report_id: uuid.UUID, reason: str
) -> tuple[uuid.UUID, ReportKind] | None:
    """Fail a report whose build cannot even start, touching only columns that can be read:
    answers (requester_id, kind) when it was still to build."""
    now = datetime.now(UTC)
    row = session.execute(
        update(Report)
        .where(Report.id == report_id, Report.status.in_(UNFINISHED), unclaimed(now))
        .values(status=ReportStatus.failed, claimed_until=None, finished_at=now, error=reason)
        .returning(Report.requester_id, Report.kind),
        execution_options={"synchronize_session": False},
    ).first()
    return (row[0], row[1]) if row else None


def finish(session: Session, claimed: Report, **values: Any) -> bool:
    """Record the outcome, only if this attempt still holds the report: a worker that
    outlived its lease must not overwrite what the next attempt did."""
    done = session.execute(
        update(Report)
        .where(
            Report.id == claimed.id,
            Report.status == ReportStatus.running,
            Report.attempts == claimed.attempts,
        )
        .values(claimed_until=None, **values)
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def stale(session: Session, cutoff: datetime, limit: int) -> list[uuid.UUID]:
    """Reports whose task was lost (pending since before `cutoff`, or running under a lease
    that ran out), marked as handed over now; locked rows are another sweep's."""
    waiting = and_(
        Report.status.in_(UNFINISHED),
        unclaimed(datetime.now(UTC)),
        Report.attempts < MAX_REPORT_ATTEMPTS,
    )
    return hand_over(session, Report, waiting, cutoff, limit)


def exhausted(session: Session, limit: int) -> list[Report]:
    """Reports tried as often as allowed whose last try died: failed, for good."""
    now = datetime.now(UTC)
    given_up = (
        select(Report.id)
        .where(
            Report.status.in_(UNFINISHED),
            unclaimed(now),
            Report.attempts >= MAX_REPORT_ATTEMPTS,
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(
        session.scalars(
            update(Report)
            .where(Report.id.in_(given_up.scalar_subquery()))
            .values(
                status=ReportStatus.failed,
                claimed_until=None,
                finished_at=now,
                error=f"The report could not be built in {MAX_REPORT_ATTEMPTS} attempts; "
                "ask for it again later.",
            )
            .returning(Report),
            execution_options={"synchronize_session": False},
        )
    )


def expired(session: Session, before: datetime, limit: int) -> list[tuple[uuid.UUID, str | None]]:
    """Finished reports older than `before`, deleted; answers their ids and object keys."""
    old = (
        select(Report.id)
        .where(Report.created_at < before, Report.status.not_in(UNFINISHED))
        .order_by(Report.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = session.execute(
        delete(Report)
        .where(Report.id.in_(old.scalar_subquery()))
        .returning(Report.id, Report.object_key),
        execution_options={"synchronize_session": False},
    )
    return [(row[0], row[1]) for row in rows]


# --- the data reports are built from -------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Events starting in [start, end); an open end is None."""

    start: datetime | None
    end: datetime | None

    def of(self, column: Any) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.start is not None:
            where.append(column >= self.start)
        if self.end is not None:
            where.append(column < self.end)
        return where


def attendance_query(event_id: uuid.UUID) -> Query:
    """One row per registration, in arrival order, with each waitlisted one's place in line
    (a window over the event's waitlist: one pass, not a count per row)."""
    waiting = Registration.status == RegistrationStatus.waitlisted
    place = case(
        (waiting, func.row_number().over(partition_by=waiting, order_by=Registration.queue_seq)),
        else_=None,
    )
    return (
        select(
            User.full_name,
            User.email,
            Registration.status,
            Registration.created_at,
            Registration.checked_in_at,
            Registration.cancelled_at,
            place.label("waitlist_position"),
            # Last: the builders' source spreads it over a column per question.
            Registration.answers,
        )
        .join(User, User.id == Registration.user_id)
        .where(Registration.event_id == event_id)
        .order_by(Registration.queue_seq)
    )


def answered_questions(session: Session, event_id: uuid.UUID) -> list[tuple[str, str]]:
    """(question_id, label) of every question the event's registrations hold an answer to,
    in the order first answered, with the label of the latest answer: what a report shows
    for questions since removed from the form."""
    answer = func.jsonb_array_elements(Registration.answers).table_valued("value").alias("a")
    question_id = answer.c.value.op("->>", return_type=Text)("question_id")
    label = answer.c.value.op("->>", return_type=Text)("label")
    by_latest = aggregate_order_by(label, Registration.queue_seq.desc())
    latest_label = func.array_agg(by_latest, type_=ARRAY(Text))[1]
    rows = session.execute(
        select(question_id, latest_label)
        .select_from(Registration)
        .join(answer, literal_column("true"))
        .where(Registration.event_id == event_id)
        .group_by(question_id)
        .order_by(func.min(Registration.queue_seq))
    )
    return [(str(row[0]), str(row[1])) for row in rows]


def _count_of(status: RegistrationStatus) -> ColumnElement[int]:
    return func.count().filter(Registration.status == status)


def summary_query(organizer_id: uuid.UUID, period: Period) -> Query:
    """One row per event of the organizer starting in the period, soonest first, with its
    registrations counted by status (checked-in people hold a confirmed seat too)."""
    counts = (
        select(
            Registration.event_id,
            func.count().filter(Registration.status.in_(CONFIRMED_STATUSES)).label("confirmed"),
            _count_of(RegistrationStatus.waitlisted).label("waitlisted"),
            _count_of(RegistrationStatus.offered).label("offered"),
            _count_of(RegistrationStatus.cancelled).label("cancelled"),
            _count_of(RegistrationStatus.checked_in).label("checked_in"),
        )
        # Only this organizer's events are counted, not every registration there is.
        .where(Registration.event_id.in_(event_ids(organizer_id, period)))
        .group_by(Registration.event_id)
        .subquery()
    )
    return (
        select(
            Event.title,
            Event.starts_at,
            Event.status,
            Event.capacity,
            func.coalesce(counts.c.confirmed, 0),
            func.coalesce(counts.c.waitlisted, 0),
            func.coalesce(counts.c.cancelled, 0),
            func.coalesce(counts.c.checked_in, 0),
            func.coalesce(counts.c.offered, 0),
        )
        .outerjoin(counts, counts.c.event_id == Event.id)
        .where(Event.organizer_id == organizer_id, *period.of(Event.starts_at))
        .order_by(Event.starts_at, Event.id)
    )


def stream(session: Session, query: Query) -> Iterator[Row[*tuple[Any, ...]]]:
    """Rows through a server-side cursor, FETCH at a time: never the whole result in memory."""
    yield from session.execute(query, execution_options={"yield_per": FETCH})


def count(session: Session, query: Query) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def registrations_by_day(
    session: Session, zone: str, *, event_id: uuid.UUID | None, events: Query | None
) -> list[tuple[date, int]]:
    """Registrations made per day (in `zone`), of one event or of a set of events: the PDF's
    chart, aggregated by PostgreSQL."""
    day = func.date(func.timezone(zone, Registration.created_at))
    query = select(day, func.count()).group_by(day).order_by(day)
    if event_id is not None:
        query = query.where(Registration.event_id == event_id)
    if events is not None:
        query = query.where(Registration.event_id.in_(events.scalar_subquery()))
    return [(row[0], int(row[1])) for row in session.execute(query)]


def event_ids(organizer_id: uuid.UUID, period: Period) -> Query:
    return select(Event.id).where(Event.organizer_id == organizer_id, *period.of(Event.starts_at))


def status_counts(
    session: Session, *, event_id: uuid.UUID | None, events: Query | None
) -> dict[str, int]:
    query = select(Registration.status, func.count()).group_by(Registration.status)
    if event_id is not None:
        query = query.where(Registration.event_id == event_id)
    if events is not None:
        query = query.where(Registration.event_id.in_(events.scalar_subquery()))
    return {str(row[0].value): int(row[1]) for row in session.execute(query)}


def requester(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)
