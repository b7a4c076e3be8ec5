"""A database of its own with one organizer's event and many registrations, for the report
figures (`bench.reports`) and the sample page (`bench.report_picture`)."""

from __future__ import annotations

import os
import tempfile
import uuid

import psycopg

from shared.security.tokens import generate_private_key_pem

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def prepare(database: str) -> str:
    """A fresh, migrated database; the settings point at it (storage in a temporary dir)."""
    url = f"postgresql://postgres@127.0.0.1:5432/{database}"
    os.environ.update(
        DATABASE_URL=url,
        EVENTMGR_DATA_DIR=tempfile.mkdtemp(prefix="eventmgr-bench-reports-"),
        JWT_PRIVATE_KEY=generate_private_key_pem(),
        # Builds run in-process below; what is enqueued waits in a queue of its own.
        CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:5672//",
        CELERY_QUEUE="eventmgr-bench-reports",
        LOG_LEVEL="WARNING",
    )
    with psycopg.connect(ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')
    from shared.migrations import upgrade

    upgrade(url)
    return url


def drop(database: str) -> None:
    from shared.db.engine import dispose

    dispose()
    with psycopg.connect(ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def seed(url: str, people: int, *, title: str, days: int, capacity: int | None) -> uuid.UUID:
    """An organizer's published event and `people` registrations made over `days` days (more
    near the start, as sign-ups go): confirmed up to the capacity, then waitlisted; every
    tenth left again, every third confirmed one checked in. Answers the event's id."""
    event_id = uuid.uuid4()
    with psycopg.connect(url) as connection:
        organizer = connection.execute(
            """
            INSERT INTO users (id, email, password_hash, full_name, role, email_verified,
                               is_active, locale, timezone)
            VALUES (gen_random_uuid(), 'organizer@bench.example', 'x', 'Maria Lopez',
                    'organizer', true, true, 'en', 'Europe/Berlin')
            ON CONFLICT (email) DO UPDATE SET full_name = excluded.full_name
            RETURNING id
            """
        ).fetchone()
        assert organizer is not None
        connection.execute(
            """
            INSERT INTO events (id, organizer_id, title, description, starts_at, ends_at,
                                timezone, category_slug, capacity, seats_taken, waitlist_count,
                                status, moderation, sequence)
            VALUES (%(id)s, %(organizer)s, %(title)s, 'Talks, workshops and a party',
                    date_trunc('day', now()) + interval '2 days 9 hours',
                    date_trunc('day', now()) + interval '2 days 18 hours', 'Europe/Berlin',
                    'conference', %(capacity)s, 0, 0, 'published', 'approved', 0)
            """,
            {"id": event_id, "organizer": organizer[0], "title": title, "capacity": capacity},
        )
        connection.execute(
            """
            WITH people AS (
                INSERT INTO users (id, email, password_hash, full_name, role, email_verified,
                                   is_active, locale, timezone)
                SELECT gen_random_uuid(),
                       'person' || n || '-' || left(md5(%(event)s::text || n), 6)
                           || '@bench.example',
                       'x',
                       (ARRAY['Anna','Ben','Chloé','David','Elena','Farid','Grace','Hiro',
                              'Ирина','Jonas','Kemal','Lena'])[1 + n %% 12] || ' ' ||
                       (ARRAY['Schmidt','Okafor','Novak','Rossi','Ivanova','Smith','Tanaka',
                              'Garcia','Petrov','Müller'])[1 + (n / 12) %% 10],
                       'participant', true, true, 'en', 'UTC'
                FROM generate_series(1, %(people)s) AS n
                RETURNING id
            ),
            arrivals AS (
                SELECT id AS user_id,
                       now() - %(days)s * interval '1 day' * power(random(), 2) AS at
                FROM people
            ),
            ordered AS (
                SELECT user_id, at, row_number() OVER (ORDER BY at) AS n FROM arrivals
            )
            INSERT INTO registrations (id, event_id, user_id, status, created_at, updated_at,
                                       cancelled_at, checked_in_at)
            SELECT gen_random_uuid(), %(event)s, user_id,
                   CASE WHEN n %% 10 = 0 THEN 'cancelled'
                        WHEN %(capacity)s::int IS NOT NULL AND n > %(capacity)s THEN 'waitlisted'
                        WHEN n %% 3 = 0 THEN 'checked_in'
                        ELSE 'confirmed' END,
                   at, at,
                   CASE WHEN n %% 10 = 0 THEN at + interval '1 day' END,
                   CASE WHEN n %% 10 <> 0 AND n %% 3 = 0
                             AND (%(capacity)s::int IS NULL OR n <= %(capacity)s)
                        THEN now() END
            FROM ordered ORDER BY at
            """,
            {"event": event_id, "people": people, "days": days, "capacity": capacity},
        )
        connection.execute("ANALYZE users; ANALYZE registrations")
    return event_id


def attendance_report(event_id: uuid.UUID, report_format: str) -> uuid.UUID:
    """A pending attendance report of the event, asked for by its organizer."""
    from sqlalchemy import select

    from shared.db import unit_of_work
    from shared.events.models import Event
    from shared.reports.models import Report, ReportFormat, ReportKind, ReportStatus

    report_id = uuid.uuid4()
    with unit_of_work() as session:
        organizer = session.scalar(select(Event.organizer_id).where(Event.id == event_id))
        assert organizer is not None
        session.add(
            Report(
                id=report_id,
                requester_id=organizer,
                kind=ReportKind.event_attendance,
                format=ReportFormat(report_format),
                event_id=event_id,
                status=ReportStatus.pending,
                attempts=0,
            )
        )
    return report_id
