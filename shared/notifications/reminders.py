"""Event reminders, each sent exactly once per registration, kind and start time.

A run records what is due in `reminders_sent` (primary key: registration, kind, start time)
with ON CONFLICT DO NOTHING, and creates notifications only for the rows it inserted, in the
same transaction. Two overlapping runs, or a retried one, therefore never remind anyone twice;
a moved event has a new start time, so its reminders are due again.

A reminder whose moment has passed is still due while the event has not started (a run was
missed, or the person registered late). When several are due at once, only the nearest is
sent; the others are recorded as covered by it, so nobody gets "in 24 hours" and "in 1 hour"
in the same minute.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import Interval, Select, String, cast, column, exists, func, select, text, values
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from shared.config import get_settings
from shared.db import unit_of_work
from shared.events.models import Event
from shared.events.statuses import EventStatus, Moderation
from shared.metrics import REMINDERS
from shared.notifications import kinds
from shared.notifications.models import (
    DEFAULT_REMINDERS,
    NotificationSettings,
    ReminderSent,
)
from shared.notifications.preferences import reach_of
from shared.notifications.schemas import ReminderNotice
from shared.notifications.service import (
    INSERT_MANY_SQL,
    Addressee,
    deliver_after_commit,
    notification_arrays,
)
from shared.registrations.models import Registration, RegistrationStatus
from shared.users.models import User

LEADS = {"24h": timedelta(hours=24), "1h": timedelta(hours=1)}
FARTHEST = max(LEADS.values())

# The reminder kinds as a table to join: (kind, how long before the start).
KINDS = values(column("kind", String), column("lead", Interval), name="reminder_kinds").data(
    list(LEADS.items())
)


def run(now: datetime | None = None) -> int:
    """Send every reminder due now, a page of registrations at a time (in id order, so each
    page's query starts where the last one ended); answers how many were sent."""
    moment = now or datetime.now(UTC)
    total, after = 0, None
    while True:
        with unit_of_work() as session:
            page = _page(session, moment, after)
            if not page:
                return total
            total += _batch(session, moment, page)
        after = page[-1]


def _due(now: datetime) -> Select[tuple[uuid.UUID, str, datetime]]:
    """(registration, kind, start time) of every reminder due now and not yet recorded."""
    wanted = func.coalesce(NotificationSettings.reminders, cast(DEFAULT_REMINDERS, ARRAY(String)))
    done = exists().where(
        ReminderSent.registration_id == Registration.id,
        ReminderSent.kind == KINDS.c.kind,
        ReminderSent.starts_at == Event.starts_at,
    )
    return (
        select(Registration.id, KINDS.c.kind, Event.starts_at)
        .select_from(Event)
        .join(Registration, Registration.event_id == Event.id)
        .join(KINDS, Event.starts_at - KINDS.c.lead <= now)
        .outerjoin(NotificationSettings, NotificationSettings.user_id == Registration.user_id)
        .where(
            # Written like `ix_events_listed_start`'s predicate, so that index finds them.
            Event.status == EventStatus.published,
            Event.moderation == Moderation.approved,
            Event.starts_at > now,
            Event.starts_at <= now + FARTHEST,
            Registration.status == RegistrationStatus.confirmed,
            KINDS.c.kind == func.any(wanted),
            ~done,
        )
    )


def _page(session: Session, now: datetime, after: uuid.UUID | None) -> list[uuid.UUID]:
    """The next registrations with a reminder due. A page holds every due reminder of its
    registrations, so the nearest of them is known before any is sent."""
    due = _due(now).subquery()
    query = select(due.c.id).distinct().order_by(due.c.id).limit(get_settings().mail_batch_size)
    if after is not None:
        query = query.where(due.c.id > after)
    return list(session.scalars(query))


def _batch(session: Session, now: datetime, page: list[uuid.UUID]) -> int:
    """Record the page's due reminders and create the notifications that carry them, in one
    statement: each record is written once, already pointing at its notification (before, an
    INSERT of the records, one of the notifications, and an UPDATE writing every record again:
    a second version of each row, in both of its indexes)."""
    due = list(
        session.execute(
            _due(now)
            .where(Registration.id.in_(page))
            .join(User, User.id == Registration.user_id)
            .add_columns(
                User.id,
                User.email,
                User.locale,
                User.timezone,
                User.is_active,
                Event.id,
                Event.title,
                Event.venue_name,
                Event.venue_address,
                Event.online_url,
            )
        )
    )
    if not due:
        return 0
    kinds_due: dict[uuid.UUID, list[str]] = defaultdict(list)
    for row in due:
        kinds_due[row[0]].append(row[1])
    reach = reach_of(session, {row[3] for row in due if row[7]})
    notices: list[tuple[Addressee, ReminderNotice]] = []
    carried_by: dict[tuple[uuid.UUID, str], int] = {}
    for registration_id, kind, starts_at, user_id, email, locale, timezone, active, *rest in due:
        event_id, title, *place = rest
        if not active or kind != min(kinds_due[registration_id], key=lambda k: LEADS[k]):
            continue  # recorded as covered by the nearest (or the person is gone)
        carried_by[registration_id, kind] = len(notices)
        notices.append(
            (
                Addressee(user_id, email, locale, reach[user_id].email, reach[user_id].push),
                ReminderNotice(
                    event_id=event_id,
                    title=title,
                    starts_at=starts_at.isoformat(),
                    reminder=kind,
                    where=_where(*place),
                    reader_timezone=timezone,
                ),
            )
        )
    ids, arrays = notification_arrays(kinds.EVENT_REMINDER, notices)
    recorded = session.execute(
        _RECORD_AND_NOTIFY,
        {
            **arrays,
            "registrations": [row[0] for row in due],
            "kinds": [row[1] for row in due],
            "starts": [row[2] for row in due],
            "notifications": [
                ids[carried_by[row[0], row[1]]] if (row[0], row[1]) in carried_by else None
                for row in due
            ],
        },
    ).all()
    # What an overlapping run recorded first is not this run's to send.
    written = {notification_id for _, _, notification_id in recorded if notification_id}
    deliver_after_commit(
        session,
        [(new, person) for new, (person, _) in zip(ids, notices, strict=True) if new in written],
    )
    gone = {row[0] for row in due if not row[7]}
    for registration_id, kind, notification_id in recorded:
        if registration_id not in gone:
            REMINDERS.labels(kind, "notified" if notification_id else "covered").inc()
    return len(written)


# The records first, in one order for every run (overlapping runs meet on rows in the same
# order; `ON CONFLICT DO NOTHING`: exactly once, whichever run gets there first), then the
# notifications of the records this run wrote. Both in one statement: the foreign key from a
# record to its notification is checked at its end.
_RECORD_AND_NOTIFY = text(
    "WITH recorded AS ("  # noqa: S608 - built of constants only
    " INSERT INTO reminders_sent (registration_id, kind, starts_at, notification_id)"
    " SELECT * FROM unnest(CAST(:registrations AS uuid[]), CAST(:kinds AS text[]),"
    " CAST(:starts AS timestamptz[]), CAST(:notifications AS uuid[]))"
    " ORDER BY 1, 2"
    " ON CONFLICT DO NOTHING"
    " RETURNING registration_id, kind, notification_id),"
    " notified AS ("
    + INSERT_MANY_SQL.format(only=" WHERE rows.id IN (SELECT notification_id FROM recorded)")
    + ") SELECT registration_id, kind, notification_id FROM recorded"
)


def _where(venue_name: str | None, venue_address: str | None, online_url: str | None) -> str | None:
    place = ", ".join(part for part in (venue_name, venue_address) if part)
    return place or online_url
