"""The public list's query plans at 1M events: every filter stays on an index.

Fills a scratch database with N events (default 1,000,000; English and Russian titles, seven
categories, 60 tags, 2,000 organizers, ten years of dates, some drafts, cancelled and hidden
ones), then runs `EXPLAIN (ANALYZE, BUFFERS)` on the exact SQL `browse_events` sends for each
filter and prints the plan and its execution time.

Needs PostgreSQL on 127.0.0.1. Run: `python -m bench.explain_events [N]` (1M takes a few
minutes to fill, most of it computing the search vectors).
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from datetime import UTC, datetime

import psycopg

from shared.events.filters import EventFilters
from shared.events.repository import listed_query

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "eventmgr_bench_explain"
URL = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
NOW = datetime(2027, 6, 1, tzinfo=UTC)

FILL = """
INSERT INTO users (id, email, password_hash, full_name, role, email_verified, is_active,
                   locale, timezone, created_at, updated_at)
SELECT gen_random_uuid(), 'organizer' || n || '@bench.example', 'x', 'Organizer ' || n,
       'organizer', true, true, 'en', 'UTC', now(), now()
FROM generate_series(1, 2000) AS n;

INSERT INTO tags (id, name) SELECT gen_random_uuid(), 'tag' || n FROM generate_series(1, 60) n;

INSERT INTO events (id, organizer_id, title, description, starts_at, ends_at, timezone,
                    category_slug, capacity, seats_taken, waitlist_count, status, moderation,
                    sequence, created_at, updated_at)
SELECT gen_random_uuid(),
       organizers.ids[1 + g % 2000],
       (ARRAY['Python workshop', 'Data engineering meetup', 'Jazz concert', 'City marathon',
              'Машинное обучение на практике', 'Встреча разработчиков', 'Art exhibition',
              'Cloud conference', 'Концерт камерной музыки', 'Startup pitch night'])[1 + g % 10]
         || ' #' || g,
       (ARRAY['Hands-on sessions about testing and deployment.',
              'Доклады о машинном обучении и анализе данных.',
              'An evening of live music with local bands.',
              'Networking, talks and pizza for developers.'])[1 + g % 4],
       timestamptz '2022-01-01' + (g % 3650) * interval '1 day' + (g % 24) * interval '1 hour',
       timestamptz '2022-01-01' + (g % 3650) * interval '1 day' + (g % 24 + 3) * interval '1 hour',
       'Europe/Berlin',
       (ARRAY['conference', 'meetup', 'workshop', 'concert', 'sports', 'exhibition',
              'other'])[1 + g % 7],
       CASE WHEN g % 3 = 0 THEN NULL ELSE 50 + g % 500 END, 0, 0,
       CASE WHEN g % 20 = 0 THEN 'draft' WHEN g % 50 = 1 THEN 'cancelled' ELSE 'published' END,
       CASE WHEN g % 200 = 7 THEN 'hidden' ELSE 'approved' END,
       0, now(), now()
FROM generate_series(1, %(count)s) AS g, (SELECT array_agg(id) AS ids FROM users) AS organizers;

INSERT INTO event_tags (event_id, tag_id)
SELECT e.id, t.id FROM events e
JOIN tags t ON t.name = 'tag' || (1 + abs(hashtext(e.id::text)) % 60);

ANALYZE;
"""


def prepare(count: int) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    from shared.migrations import upgrade

    upgrade(URL)
    started = time.perf_counter()
    with psycopg.connect(URL, autocommit=True) as connection:
        connection.execute(FILL.replace("%(count)s", str(int(count))))
    print(f"filled {count:,} events in {time.perf_counter() - started:.0f} s")


def cases(connection: psycopg.Connection[tuple[object, ...]]) -> dict[str, EventFilters]:
    row = connection.execute("SELECT id FROM users ORDER BY email LIMIT 1").fetchone()
    assert row is not None
    organizer = uuid.UUID(str(row[0]))
    return {
        "default: upcoming, soonest first": EventFilters(),
        "category": EventFilters(category="concert"),
        "tag": EventFilters(tag="tag7"),
        "organizer": EventFilters(organizer_id=organizer),
        "date range (one week)": EventFilters(
            starts_from=datetime(2028, 3, 1, tzinfo=UTC),
            starts_before=datetime(2028, 3, 8, tzinfo=UTC),
        ),
        "search, English word form ('workshops')": EventFilters(q="workshops"),
        "search, Russian word form ('машинному обучению')": EventFilters(q="машинному обучению"),
        "search + category + date range": EventFilters(
            q="music",
            category="concert",
            starts_from=datetime(2027, 1, 1, tzinfo=UTC),
            starts_before=datetime(2029, 1, 1, tzinfo=UTC),
        ),
    }


def explain(connection: psycopg.Connection[tuple[object, ...]], filters: EventFilters) -> str:
    from sqlalchemy.dialects.postgresql import psycopg as dialect

    query = listed_query(filters, now=NOW, after=None, limit=21)
    compiled = query.compile(dialect=dialect.dialect())
    rows = connection.execute(
        f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {compiled}",
        compiled.params,
    ).fetchall()
    return "\n".join(str(row[0]) for row in rows)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    if os.environ.get("EXPLAIN_REUSE") != "1":
        prepare(count)
    with psycopg.connect(URL) as connection:
        for name, filters in cases(connection).items():
            explain(connection, filters)  # warm the cache: plans on a cold disk are noise
            plan = explain(connection, filters)
            took = plan.rsplit("Execution Time: ", 1)[1]
            print(f"\n=== {name}: {took}\n{plan}")


if __name__ == "__main__":
    main()
