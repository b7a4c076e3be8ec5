"""The rollups as they are, and as they should be: recounted in Python from the source rows,
independently of the SQL that maintains them."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from eventing.delivery import request_parts
from functions.track_activity.handler import fn as track_activity
from shared.analytics.models import CategoryDay, EventDay, EventTotals, PersonEvent
from shared.db import unit_of_work
from shared.events.models import Event
from shared.outbox.models import OutboxMessage
from shared.outbox.wire import to_cloudevent
from shared.registrations.models import Registration
from tests.support import outbox


@dataclass
class Rollups:
    totals: dict
    days: dict
    people: dict
    categories: dict


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def actual() -> Rollups:
    with unit_of_work() as session:
        return Rollups(
            totals={
                t.event_id: (
                    t.category_slug,
                    t.start_day,
                    t.listed,
                    t.registrations,
                    t.confirmed,
                    t.waitlisted,
                    t.offered,
                    t.checked_in,
                    t.cancelled,
                )
                for t in session.scalars(select(EventTotals))
            },
            days={
                (d.event_id, d.day): (d.registrations, d.cancellations, d.check_ins)
                for d in session.scalars(select(EventDay))
            },
            people={
                (p.user_id, p.event_id): (
                    p.registrations,
                    p.cancelled,
                    p.checked_in,
                    p.status,
                    p.registered_at,
                )
                for p in session.scalars(select(PersonEvent))
            },
            categories={
                (c.day, c.category_slug): (c.events, c.registrations)
                for c in session.scalars(select(CategoryDay))
            },
        )


def expected() -> Rollups:
    with unit_of_work() as session:
        events = list(session.scalars(select(Event)))
        registrations = list(session.scalars(select(Registration)))
    by_event: dict = defaultdict(Counter)
    days: dict = defaultdict(lambda: [0, 0, 0])
    people: dict = defaultdict(list)
    for r in registrations:
        by_event[r.event_id][r.status.value] += 1
        days[(r.event_id, _day(r.created_at))][0] += 1
        if r.cancelled_at is not None:
            days[(r.event_id, _day(r.cancelled_at))][1] += 1
        if r.checked_in_at is not None:
            days[(r.event_id, _day(r.checked_in_at))][2] += 1
        people[(r.user_id, r.event_id)].append(r)
    totals = {}
    categories: dict = defaultdict(lambda: [0, 0])
    for e in events:
        counts = by_event[e.id]
        listed = e.status.value != "draft" and e.moderation.value == "approved"
        made = sum(counts.values())
        totals[e.id] = (
            e.category_slug,
            _day(e.starts_at),
            listed,
            made,
            counts["confirmed"] + counts["checked_in"],  # people holding a seat
            counts["waitlisted"],
            counts["offered"],
            counts["checked_in"],
            counts["cancelled"],
        )
        if listed:
            categories[(_day(e.starts_at), e.category_slug)][0] += 1
            categories[(_day(e.starts_at), e.category_slug)][1] += made
    return Rollups(
        totals=totals,
        days={key: tuple(value) for key, value in days.items()},
        people={
            key: (
                len(rows),
                sum(r.status.value == "cancelled" for r in rows),
                sum(r.status.value == "checked_in" for r in rows),
                max(rows, key=lambda r: r.queue_seq).status.value,
                max(r.created_at for r in rows),
            )
            for key, rows in people.items()
        },
        categories={key: tuple(value) for key, value in categories.items()},
    )


def recorded() -> list[OutboxMessage]:
    """The CloudEvents written so far that `track_activity` consumes, oldest first."""
    return outbox.recorded(track_activity.consumes)


def deliver(client, row: OutboxMessage):
    """POST one recorded CloudEvent to `track_activity` as the dispatcher does (binary mode,
    signed, internal token); `client` is a TestClient or an httpx client on a live gateway."""
    headers, body = request_parts(to_cloudevent(row))
    return client.post("/function/track_activity/", content=body, headers=headers)


def deliver_all(client) -> None:
    for row in recorded():
        response = deliver(client, row)
        assert response.status_code == 204, response.text
