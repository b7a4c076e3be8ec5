"""A registration rush against a baseline (the read path is measured by bench/reads.py).

Rush: N people (default 2,000) register for one event with 200 seats, 200 at a time, over
HTTP through the gateway with its bounded pool (10 + 5 connections); checked afterwards:
exactly 200 confirmed and waitlist positions 1..N-200 each once. Baseline: the same client
POSTing to a bare FastAPI endpoint, and to one that commits a single row (aiohttp as the
client: httpx would be the bottleneck).

Needs PostgreSQL, Redis and RabbitMQ on 127.0.0.1 (as `make test` does).
Run: `python -m bench.events [N]`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import httpx
import psycopg
import redis

from local.embedded import free_port
from shared.security.tokens import generate_private_key_pem

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "eventmgr_bench_events"
REDIS_URL = "redis://127.0.0.1:6379/14"
CAPACITY = 200
CONCURRENCY = 200
os.environ.update(
    DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{DATABASE}",
    REDIS_URL=REDIS_URL,
    # Every join publishes its CloudEvent after commit, as in production (nothing consumes it).
    RABBITMQ_URL="amqp://guest:guest@127.0.0.1:5672/",
    RABBITMQ_EXCHANGE="eventmgr-bench-events",
    JWT_PRIVATE_KEY=generate_private_key_pem(),
    CURSOR_SECRET="bench-cursor-secret",  # noqa: S106 - a throwaway secret for a local run
    LOG_LEVEL="WARNING",
    DB_POOL_SIZE="10",
)


def prepare() -> None:
    with psycopg.connect(ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    from shared.migrations import upgrade

    upgrade(os.environ["DATABASE_URL"])
    redis.Redis.from_url(REDIS_URL).flushdb()
    from eventing.topology import declare_topology

    declare_topology(os.environ["RABBITMQ_URL"], os.environ["RABBITMQ_EXCHANGE"], [], [])


def seed(people: int) -> tuple[str, list[str]]:
    """One published event with CAPACITY seats, and tokens for `people` participants."""
    from shared.db import unit_of_work
    from shared.events.schemas import EventCreate
    from shared.events.service import create_event
    from shared.security.passwords import hash_password
    from shared.security.tokens import issue_access_token
    from shared.users.models import Role, User

    password_hash = hash_password("bench password")

    def user(role: Role) -> User:
        return User(
            email=f"{role.value}-{uuid.uuid4().hex}@bench.example",
            password_hash=password_hash,
            full_name="Bench Person",
            role=role,
            email_verified=True,
            is_active=True,
            locale="en",
            timezone="UTC",
        )

    organizer = user(Role.organizer)
    participants = [user(Role.participant) for _ in range(people)]
    with unit_of_work() as session:
        session.add_all([organizer, *participants])
    starts = datetime.now(UTC) + timedelta(days=30)
    data = EventCreate(
        title="Bench conference",
        description="A day of talks about systems that stay correct under load. " * 5,
        starts_at=starts,
        ends_at=starts + timedelta(hours=8),
        timezone="Europe/Berlin",
        category="conference",
        tags=["python", "databases"],
        capacity=CAPACITY,
        status="published",
    )
    with unit_of_work() as session:
        event_id = str(create_event(session, organizer.id, data).id)
    tokens = [issue_access_token(p.id, p.role.value, uuid.uuid4())[0] for p in participants]
    return event_id, tokens


def serve(kind: str, env: dict[str, str], *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.serve", kind, str(port), *extra],
        env={**os.environ, **env},
    )
    url = f"http://127.0.0.1:{port}"
    probe = "/document" if kind == "bare" else "/healthz"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + probe, timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{kind} did not start")


async def rush(url: str, tokens: list[str], expected: int) -> tuple[float, Counter[int]]:
    """Every token POSTs once, CONCURRENCY at a time; joins per second and the statuses."""
    gate = asyncio.Semaphore(CONCURRENCY)
    statuses: Counter[int] = Counter()
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as client:

        async def one(token: str) -> None:
            async with gate:
                headers = {"Authorization": f"Bearer {token}"}
                async with client.post(url, headers=headers) as response:
                    await response.read()
                    statuses[response.status] += 1

        started = time.perf_counter()
        await asyncio.gather(*(one(token) for token in tokens))
        elapsed = time.perf_counter() - started
    assert statuses == Counter({expected: len(tokens)}), statuses
    return len(tokens) / elapsed, statuses


def check_rush(event_id: str, people: int) -> None:
    with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
        counts: dict[str, int] = dict(
            connection.execute(
                "SELECT status, count(*) FROM registrations WHERE event_id = %s GROUP BY status",
                (event_id,),
            ).fetchall()
        )
        seats = connection.execute(
            "SELECT seats_taken, waitlist_count FROM events WHERE id = %s", (event_id,)
        ).fetchone()
    assert counts == {"confirmed": CAPACITY, "waitlisted": people - CAPACITY}, counts
    assert seats == (CAPACITY, people - CAPACITY), seats


def main() -> None:
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    prepare()
    event_id, tokens = seed(people)
    page_path = f"/api/v1/events/{event_id}"
    cached, cached_url = serve("gateway", {})
    with tempfile.TemporaryDirectory() as scratch:
        document = Path(scratch, "event.json")
        document.write_bytes(httpx.get(cached_url + page_path).content)
        bare, bare_url = serve("bare", {}, str(document))
        try:
            joins, _ = asyncio.run(
                rush(f"{cached_url}{page_path}/registrations", tokens, expected=201)
            )
            check_rush(event_id, people)
            baseline, _ = asyncio.run(rush(bare_url + "/document", tokens, expected=201))
            one_row, _ = asyncio.run(rush(bare_url + "/row", tokens, expected=201))
        finally:
            for process in (cached, bare):
                process.terminate()
                process.wait(30)
    print(f"\nRush: {people} people, {CAPACITY} seats, {CONCURRENCY} at a time")
    print(f"  joins through the gateway          {joins:>9,.0f} /s")
    print(
        f"  bare FastAPI POST, same client     {baseline:>9,.0f} /s  (ratio {joins / baseline:.2f})"
    )
    print(
        f"  bare FastAPI POST committing 1 row {one_row:>9,.0f} /s  (ratio {joins / one_row:.2f})"
    )
    print(f"  result: {CAPACITY} confirmed, {people - CAPACITY} waitlisted, no errors")


if __name__ == "__main__":
    main()
