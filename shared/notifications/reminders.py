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
from sqlalchemy.dialects.postgresql import ARRAY, insert
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
from shared.notifications.service import Addressee, notify_many
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
    inserted = list(
        session.execute(
            insert(ReminderSent)
            .from_select(
                ["registration_id", "kind", "starts_at"],
                # One order for every run: overlapping runs meet on rows in the same order.
                _due(now).where(Registration.id.in_(page)).order_by(Registration.id, KINDS.c.kind),
            )
            .on_conflict_do_nothing()
            .returning(ReminderSent.registration_id, ReminderSent.kind, ReminderSent.starts_at)
        )
    )
    if not inserted:
        return 0  # an overlapping run recorded them first
    due: dict[uuid.UUID, list[str]] = defaultdict(list)
    for registration_id, kind, _ in inserted:
        due[registration_id].append(kind)
    rows = session.execute(
        select(
            Registration.id,
            User.id,
            User.email,
            User.locale,
            User.timezone,
            Event.id,
            Event.title,
            Event.starts_at,
            Event.venue_name,
            Event.venue_address,
            Event.online_url,
        )
        .join(User, User.id == Registration.user_id)
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.id.in_(due), User.is_active.is_(True))
    ).all()
    reach = reach_of(session, [row[1] for row in rows])
    notices: list[tuple[Addressee, ReminderNotice]] = []
    nearest_of: list[tuple[uuid.UUID, str, datetime]] = []
    for (
        registration_id,
        user_id,
        email,
        locale,
        timezone,
        event_id,
        title,
        starts_at,
        *place,
    ) in rows:
        nearest = min(due[registration_id], key=lambda kind: LEADS[kind])
        notices.append(
            (
                Addressee(user_id, email, locale, reach[user_id].email, reach[user_id].push),
                ReminderNotice(
                    event_id=event_id,
                    title=title,
                    starts_at=starts_at.isoformat(),
                    reminder=nearest,
                    where=_where(*place),
                    reader_timezone=timezone,
                ),
            )
        )
        nearest_of.append((registration_id, nearest, starts_at))
        REMINDERS.labels(nearest, "notified").inc()
        for kind in due[registration_id]:
            if kind != nearest:
                REMINDERS.labels(kind, "covered").inc()
    # The notifications in one INSERT, then each record pointed at its own in one UPDATE.
    carried_by = notify_many(session, kinds.EVENT_REMINDER, notices)
    if carried_by:
        session.execute(
            _CARRIED_BY,
            {
                "registrations": [registration for registration, _, _ in nearest_of],
                "kinds": [kind for _, kind, _ in nearest_of],
                "starts": [starts_at for _, _, starts_at in nearest_of],
                "notifications": carried_by,
            },
        )
    return len(carried_by)


_CARRIED_BY = text(
    "UPDATE reminders_sent SET notification_id = carried.notification_id"
    " FROM unnest(CAST(:registrations AS uuid[]), CAST(:kinds AS text[]),"
    " CAST(:starts AS timestamptz[]), CAST(:notifications AS uuid[]))"
    " AS carried (registration_id, kind, starts_at, notification_id)"
    " WHERE reminders_sent.registration_id = carried.registration_id"
    " AND reminders_sent.kind = carried.kind AND reminders_sent.starts_at = carried.starts_at"
)


def _where(venue_name: str | None, venue_address: str | None, online_url: str | None) -> str | None:
    place = ", ".join(part for part in (venue_name, venue_address) if part)
    return place or online_url
