"""Statistics from the rollups against the raw aggregate, at 1,000,000 registrations.

Fills a scratch database with N registrations (default 1,000,000) over 2,000 events and
300,000 people, in SQL (`generate_series`): one big event holds a quarter of them, the rest
share the others; people register during the 120 days before an event starts; 60 % confirmed,
10 % waitlisted, 10 % checked in, 20 % cancelled; 5 % drafts and 1 % hidden events. Then, in
the same run:

- `eventmgr analytics rebuild`'s work on that table (timed once);
- each statistics answer read from the rollups (what the endpoint runs) and computed by the
  raw GROUP BY over `registrations` and `events`, checked equal, median of repeated runs on a
  warm cache: the big event, a typical one, the popular categories over a year, one person;
- one refresh (what `track_activity` does per CloudEvent) of a typical and of the big event.

Needs PostgreSQL on 127.0.0.1. Run: `python -m bench.analytics [N]` (filling takes a minute
or two; `ANALYTICS_REUSE=1` reuses the database of the previous run).
"""

from __future__ import annotations

import functools
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "eventmgr_bench_analytics"
URL = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
os.environ.update(DATABASE_URL=URL, LOG_LEVEL="WARNING", DB_STATEMENT_TIMEOUT_MS="0")
os.environ.pop("REDIS_URL", None)  # the queries are measured, not the cache
EVENTS = 2000
PEOPLE = 300_000

FILL = """
INSERT INTO users (id, email, password_hash, full_name, role, email_verified, is_active,
                   locale, timezone, created_at, updated_at)
SELECT gen_random_uuid(), 'person' || n || '@bench.example', 'x', 'Person ' || n,
       CASE WHEN n <= 100 THEN 'organizer' ELSE 'participant' END, true, true, 'en', 'UTC',
       now(), now()
FROM generate_series(1, %(people)s) AS n;

INSERT INTO events (id, organizer_id, title, description, starts_at, ends_at, timezone,
                    category_slug, capacity, seats_taken, waitlist_count, status, moderation,
                    sequence, created_at, updated_at)
SELECT gen_random_uuid(), organizers.ids[1 + g %% 100], 'Event #' || g, '',
       timestamptz '2031-01-01' + (g %% 730) * interval '1 day' + interval '18 hours',
       timestamptz '2031-01-01' + (g %% 730) * interval '1 day' + interval '21 hours',
       'UTC',
       (ARRAY['conference', 'meetup', 'workshop', 'concert', 'sports', 'exhibition',
              'other'])[1 + g %% 7],
       NULL, 0, 0,
       CASE WHEN g %% 20 = 0 THEN 'draft' ELSE 'published' END,
       CASE WHEN g %% 100 = 7 THEN 'hidden' ELSE 'approved' END,
       0, now(), now()
FROM generate_series(1, %(events)s) AS g,
     (SELECT array_agg(id ORDER BY email) AS ids FROM users WHERE role = 'organizer') AS organizers;

-- Registration g: the big event (events.ids[1]) takes the first quarter; a person appears
-- once per event (7919 is coprime with the number of people). People register during the
-- 120 days before the start, cancel within days, and are checked in when it starts.
INSERT INTO registrations (id, event_id, user_id, status, created_at, updated_at,
                           cancelled_at, checked_in_at)
SELECT gen_random_uuid(), events.ids[pick.e], people.ids[pick.p], pick.status, made, made,
       CASE WHEN pick.status = 'cancelled' THEN made + (g %% 5) * interval '1 day' END,
       CASE WHEN pick.status = 'checked_in' THEN events.starts[pick.e] END
FROM generate_series(1, %(registrations)s) AS g,
     (SELECT array_agg(id ORDER BY id) AS ids, array_agg(starts_at ORDER BY id) AS starts
      FROM events) AS events,
     (SELECT array_agg(id ORDER BY id) AS ids FROM users) AS people,
     LATERAL (SELECT CASE WHEN g <= %(registrations)s / 4 THEN 1
                          ELSE 2 + g %% (%(events)s - 1) END AS e,
                     (1 + (g::bigint * 7919) %% %(people)s)::int AS p,
                     (ARRAY['confirmed', 'confirmed', 'confirmed', 'confirmed', 'confirmed',
                            'confirmed', 'waitlisted', 'checked_in', 'cancelled',
                            'cancelled'])[1 + g %% 10] AS status) AS pick,
     LATERAL (SELECT events.starts[pick.e] - (1 + g %% 120) * interval '1 day'
                     + (g %% 86400) * interval '1 second' AS made) AS moment;
"""


def prepare(registrations: int) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    from shared.migrations import upgrade

    upgrade(URL)
    started = time.perf_counter()
    sizes = {"people": PEOPLE, "events": EVENTS, "registrations": registrations}
    with psycopg.connect(URL, autocommit=True) as connection:
        connection.execute(FILL % sizes)
    print(f"filled {registrations:,} registrations in {time.perf_counter() - started:.0f} s")


def vacuum() -> None:
    with psycopg.connect(URL, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def median_ms(run: Callable[[], Any], times: int) -> float:
    run()  # warm: plans and pages in the cache
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


Answer = Callable[[Session], Any]


def compare(name: str, rollup: Answer, raw: Answer, times: int) -> None:
    """Both answers built in an open transaction (the pool and BEGIN/COMMIT cost the same on
    both sides). The raw aggregate gets a plan for each value it is given, its best case:
    a cached generic plan may start parallel workers even for a small event."""
    from shared.db import unit_of_work

    with unit_of_work() as fast, unit_of_work() as slow:
        slow.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        assert rollup(fast) == raw(slow), f"{name}: the rollups and the raw aggregate disagree"
        quick = median_ms(lambda: rollup(fast), times * 5)
        full = median_ms(lambda: raw(slow), times)
    print(f"{name}: rollups {quick:.2f} ms, raw aggregate {full:.1f} ms, {full / quick:,.0f}x")


def main() -> None:
    from sqlalchemy import and_, func, select

    from shared.analytics import repository
    from shared.analytics.schemas import DayFigures, EventStatistics
    from shared.analytics.service import event_figures, rebuild, refresh
    from shared.db import unit_of_work
    from shared.events.models import Event
    from shared.events.statuses import EventStatus, Moderation
    from shared.registrations.models import Registration

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    if os.environ.get("ANALYTICS_REUSE") != "1":
        prepare(count)
        vacuum()
        started = time.perf_counter()
        built = rebuild()
        took = time.perf_counter() - started
        print(f"rebuild (every rollup from scratch, one transaction): {took:.1f} s, {built}")
        vacuum()

    def raw_figures(session: Session, event_id: uuid.UUID) -> EventStatistics:
        """The same answer from the source tables: the GROUP BY the rollups store."""
        totals = session.execute(repository.totals_source(Event.id == event_id)).one()
        days = session.execute(
            repository.days_source(Registration.event_id == event_id).order_by("day")
        ).all()
        return EventStatistics(
            event_id=event_id,
            registrations=totals[4],
            confirmed=totals[5],
            waitlisted=totals[6],
            offered=totals[7],
            checked_in=totals[8],
            cancelled=totals[9],
            by_day=[
                DayFigures(date=d, registrations=r, cancellations=c, check_ins=k)
                for _, d, r, c, k in days
            ],
        )

    first, last = date(2031, 1, 1), date(2031, 12, 31)

    def raw_popular(session: Session) -> list[tuple[str, int, int]]:
        listed = and_(Event.status != EventStatus.draft, Event.moderation == Moderation.approved)
        day = func.date(func.timezone("UTC", Event.starts_at))
        events = func.count(func.distinct(Event.id))
        made = func.count(Registration.id)
        rows = session.execute(
            select(Event.category_slug, events, made)
            .outerjoin(Registration, Registration.event_id == Event.id)
            .where(listed, day >= first, day <= last)
            .group_by(Event.category_slug)
            .order_by(made.desc(), events.desc(), Event.category_slug)
            .limit(10)
        )
        return [(slug, e, r) for slug, e, r in rows]

    def raw_person(session: Session, user_id: uuid.UUID) -> tuple[int, int, int]:
        rows = session.execute(repository.people_source(Registration.user_id == user_id))
        made = attended = left = 0
        for row in rows:
            made, left, attended = made + row[2], left + row[3], attended + row[4]
        return made, attended, left

    with unit_of_work() as session:
        big, typical = session.execute(
            select(Registration.event_id, func.count())
            .group_by(Registration.event_id)
            .order_by(func.count().desc())
            .limit(2)
        ).all()
        someone = session.scalar(select(Registration.user_id).limit(1))
    assert someone is not None
    print(f"big event: {big[1]:,} registrations; typical event: {typical[1]:,}")
    for name, (event_id, _) in (("big", big), ("typical", typical)):
        compare(
            f"event figures, {name} event",
            functools.partial(event_figures, event_id=event_id),
            functools.partial(raw_figures, event_id=event_id),
            5 if name == "big" else 20,
        )
    compare(
        "popular categories, one year",
        lambda session: repository.popular_categories(session, first, last, 10),
        raw_popular,
        5,
    )
    compare(
        "a person's activity (totals)",
        lambda session: repository.person_totals(session, someone),
        lambda session: raw_person(session, someone),
        20,
    )

    def answer() -> bytes:
        with unit_of_work() as session:
            return event_figures(session, big[0]).model_dump_json().encode()

    whole = median_ms(answer, 50)
    print(f"the big event's answer from the rollups, own transaction and JSON: {whole:.2f} ms")

    for name, event_id in (("typical", typical[0]), ("big", big[0])):

        def one_refresh(event_id: uuid.UUID = event_id) -> None:
            with unit_of_work() as session:
                refresh(session, event_id, someone)

        print(f"refresh per CloudEvent, {name} event: {median_ms(one_refresh, 10):.1f} ms")


if __name__ == "__main__":
    main()
