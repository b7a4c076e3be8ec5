"""Registration rushes through the gateway, each against an endpoint committing one row.

1,000 people register, 200 at a time, over HTTP (aiohttp as the client: httpx would be the
bottleneck), with the defaults a deployment gets (INFO access log, metrics, auth, tracing, every
join's CloudEvent published to RabbitMQ after its commit):
- one event with 100 seats: checked afterwards, exactly 100 confirmed and waitlist places
  1..900 each once, each the place the database gives it, and no error;
- the same 1,000 people spread over 50 events of 2 seats each (the same 100 seats in all);
- the one-event rush again with the gateway and the baseline both going through a PgBouncer
  in transaction mode (started here, own port and config); measured once (no goal).

Baseline, in the same run, same client, same concurrency: a FastAPI endpoint that commits one
row through a pool the size of ours (`bench/serve.py bare`, `POST /row`).

Needs PostgreSQL, Redis and RabbitMQ on 127.0.0.1 (as `make test` does) and `pgbouncer` for
the last figure (`apt-get install pgbouncer`; left out, with a note, when missing).
Run: `python -m bench.rush [REPEATS]`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import psycopg

from bench.results import Figure
from local.embedded import free_port
from local.pgbouncer import PgBouncer
from shared.security.tokens import generate_private_key_pem

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "eventmgr_bench_rush"
DIRECT_URL = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/15"
PEOPLE = 1000
SEATS = 100
EVENTS_SPREAD = 50
CONCURRENCY = 200


def _environment() -> None:
    # Set before anything reads the settings (they are read once per process). No LOG_LEVEL:
    # the gateway logs every request at INFO, as deployed.
    os.environ.update(
        DATABASE_URL=DIRECT_URL,
        REDIS_URL=REDIS_URL,
        RABBITMQ_URL="amqp://guest:guest@127.0.0.1:5672/",
        RABBITMQ_EXCHANGE="eventmgr-bench-rush",
        JWT_PRIVATE_KEY=os.environ.get("JWT_PRIVATE_KEY") or generate_private_key_pem(),
        CURSOR_SECRET="bench-cursor-secret",  # noqa: S106 - a throwaway secret for a local run
        # Every deployment signs its CloudEvents; without a key each publish failed (and
        # reconnected to RabbitMQ) instead of being confirmed.
        CLOUDEVENT_KEY="bench-cloudevent-key",
    )


def prepare() -> None:
    import redis

    with psycopg.connect(ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    from shared.migrations import upgrade

    upgrade(DIRECT_URL)
    redis.Redis.from_url(REDIS_URL).flushdb()
    from eventing.topology import declare_topology

    declare_topology(os.environ["RABBITMQ_URL"], os.environ["RABBITMQ_EXCHANGE"], [], [])


def seed_people() -> tuple[uuid.UUID, list[str]]:
    """An organizer, and access tokens for PEOPLE participants (rows inserted in one go)."""
    from sqlalchemy import insert

    from bench.people import person_row
    from shared.db import unit_of_work
    from shared.security.tokens import issue_access_token
    from shared.users.models import Role, User

    organizer = person_row(Role.organizer)
    people = [person_row(Role.participant) for _ in range(PEOPLE)]
    with unit_of_work() as session:
        session.execute(insert(User), [organizer, *people])
    tokens = [issue_access_token(p["id"], "participant", uuid.uuid4())[0] for p in people]  # type: ignore[arg-type]
    return organizer["id"], tokens  # type: ignore[return-value]


def new_event(organizer_id: uuid.UUID, capacity: int) -> str:
    from shared.db import unit_of_work
    from shared.events.schemas import EventCreate
    from shared.events.service import create_event

    starts = datetime.now(UTC) + timedelta(days=30)
    data = EventCreate(
        title="Bench conference",
        description="A day of talks about systems that stay correct under load.",
        starts_at=starts,
        ends_at=starts + timedelta(hours=8),
        timezone="Europe/Berlin",
        category="conference",
        capacity=capacity,
        status="published",
    )
    with unit_of_work() as session:
        return str(create_event(session, organizer_id, data).id)


@contextmanager
def serving(kind: str, database_url: str) -> Iterator[str]:
    """`bench.serve` in a process of its own; its access log goes where a container's would
    (a pipe nobody reads slowly: /dev/null), written at the deployed level."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.serve", kind, str(port), _document()],
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    probe = "/document" if kind == "bare" else "/healthz"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + probe, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{kind} did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(30)


def _document() -> str:
    """The bare app's GET document (unused by the rush, which POSTs to /row)."""
    path = Path(tempfile.gettempdir()) / "eventmgr-bench-rush.json"
    path.write_text('{"status": "confirmed"}')
    return str(path)


async def _rush(
    urls: list[str], tokens: list[str]
) -> tuple[float, list[tuple[int, dict[str, Any]]]]:
    """Token i POSTs once to urls[i % len(urls)], CONCURRENCY at a time: joins/s and answers."""
    gate = asyncio.Semaphore(CONCURRENCY)
    answers: list[tuple[int, dict[str, Any]]] = []
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as client:

        async def one(i: int, token: str) -> None:
            async with gate:
                headers = {"Authorization": f"Bearer {token}"}
                async with client.post(urls[i % len(urls)], headers=headers) as response:
                    answers.append((response.status, await response.json(content_type=None)))

        started = time.perf_counter()
        await asyncio.gather(*(one(i, token) for i, token in enumerate(tokens)))
        elapsed = time.perf_counter() - started
    statuses = Counter(status for status, _ in answers)
    assert statuses == Counter({201: len(tokens)}), statuses
    return len(tokens) / elapsed, answers


def rush(urls: list[str], tokens: list[str]) -> tuple[float, list[tuple[int, dict[str, Any]]]]:
    return asyncio.run(_rush(urls, tokens))


def check(event_ids: list[str], answers: list[tuple[int, dict[str, Any]]]) -> None:
    """No oversell, nobody lost, and the waitlist in order: per event, the places answered are
    1..n each once, each the place the database gives that registration now."""
    from sqlalchemy import text

    from shared.db import unit_of_work
    from shared.registrations import repository

    seats = SEATS // len(event_ids)
    waiting = (PEOPLE - SEATS) // len(event_ids)
    for event_id in event_ids:
        mine = [body for _, body in answers if body["event_id"] == event_id]
        statuses = Counter(body["status"] for body in mine)
        assert statuses == {"confirmed": seats, "waitlisted": waiting}, statuses
        places = {
            body["id"]: body["waitlist_position"] for body in mine if body["waitlist_position"]
        }
        assert sorted(places.values()) == list(range(1, waiting + 1)), "waitlist places"
        with unit_of_work() as session:
            rows = repository.active_of_event(session, uuid.UUID(event_id))
            stored = repository.waitlist_positions(session, rows)
            counters = session.execute(
                text("SELECT seats_taken, waitlist_count FROM events WHERE id = :id"),
                {"id": event_id},
            ).one()
        assert {str(k): v for k, v in stored.items()} == places, "places differ from the database"
        assert tuple(counters) == (seats, waiting), counters
        assert len(rows) == seats + waiting


def figures(repeats: int) -> list[Figure]:
    _environment()
    prepare()
    organizer, tokens = seed_people()
    one: list[float] = []
    spread: list[float] = []
    one_pooled: list[float] = []
    base, base_pooled = [], []
    bouncer_missing = shutil.which("pgbouncer") is None
    with ExitStack() as stack:
        gateway = stack.enter_context(serving("gateway", DIRECT_URL))
        bare = stack.enter_context(serving("bare", DIRECT_URL))
        if not bouncer_missing:
            bouncer = stack.enter_context(PgBouncer.running(DIRECT_URL))
            pooled_url = bouncer.url(DATABASE)
            gateway_pooled = stack.enter_context(serving("gateway", pooled_url))
            bare_pooled = stack.enter_context(serving("bare", pooled_url))
        # Warm up: pools open, caches and imports done, on an event of its own.
        rush([f"{gateway}/api/v1/events/{new_event(organizer, SEATS)}/registrations"], tokens[:50])
        rush([f"{bare}/row"], tokens[:50])
        for _ in range(repeats):
            event = new_event(organizer, SEATS)
            rate, answers = rush([f"{gateway}/api/v1/events/{event}/registrations"], tokens)
            check([event], answers)
            one.append(rate)
            base.append(rush([f"{bare}/row"], tokens)[0])
            events = [new_event(organizer, SEATS // EVENTS_SPREAD) for _ in range(EVENTS_SPREAD)]
            urls = [f"{gateway}/api/v1/events/{e}/registrations" for e in events]
            rate, answers = rush(urls, tokens)
            check(events, answers)
            spread.append(rate)
            # Once: an informative figure with no goal, and a rush of its own each time.
            if not bouncer_missing and not one_pooled:
                event = new_event(organizer, SEATS)
                rate, answers = rush(
                    [f"{gateway_pooled}/api/v1/events/{event}/registrations"], tokens
                )
                check([event], answers)
                one_pooled.append(rate)
                base_pooled.append(rush([f"{bare_pooled}/row"], tokens)[0])
    row = "POST committing one row (same client, pool)"
    result = [
        Figure(
            name=f"rush: {PEOPLE:,} people on {SEATS} seats of one event",
            unit="joins/s",
            ours=one,
            baseline=base,
            baseline_name=row,
            goal=">= 0.4x",
            notes=f"{SEATS} confirmed, {PEOPLE - SEATS} waitlisted in order, no errors; "
            f"{CONCURRENCY} at a time",
        ),
        Figure(
            name=f"rush spread over {EVENTS_SPREAD} events",
            unit="joins/s",
            ours=spread,
            baseline=base,
            baseline_name=row,
            goal=">= 0.6x",
            notes=f"{SEATS // EVENTS_SPREAD} seats each, every waitlist checked",
        ),
    ]
    result.append(
        Figure(
            name="rush of one event through PgBouncer (transaction mode)",
            unit="joins/s",
            ours=one_pooled,
            baseline=base_pooled,
            baseline_name=f"{row}, through the same PgBouncer",
            notes="pgbouncer not installed: not measured" if bouncer_missing else "",
        )
    )
    with psycopg.connect(ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    return result


def main() -> None:
    from bench.results import table

    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(table(figures(repeats)))


if __name__ == "__main__":
    main()
