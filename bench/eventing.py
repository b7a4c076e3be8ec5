"""CloudEvents per second from the outbox to a consuming function's commit, end to end.

outbox rows → relay (claim, publish with batched confirms, mark sent) → RabbitMQ → dispatcher
→ HTTP POST → kit (signature, idempotency record + handler, one transaction) → PostgreSQL.

Baseline, in the same run and on the same broker: aio-pika publishing the same messages (the
same CloudEvents in the same binary binding, persistent) with publisher confirms to a queue,
and a consumer with the dispatcher's prefetch acking each one after committing one row through
a pool the size of ours. Both sides write one row per application of a message into
`bench_applied` (no unique key): afterwards every message must be there exactly once — none
lost, none applied twice — which is counted and asserted for both.

Everything runs inside a RabbitMQ vhost of its own (made and removed as the test suite makes
its own, tests/support/services.py), with the default exchange name, and a database of its
own. Defaults a deployment gets: INFO logs, the consumer served by uvicorn with the
Dockerfile's flags. Needs PostgreSQL and RabbitMQ on 127.0.0.1 (as `make test` does).
Run: `python -m bench.eventing [REPEATS]`.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import aio_pika
import psycopg

from bench.results import Figure
from local.embedded import free_port
from tests.support.services import rabbitmq_url, rabbitmq_vhost

if TYPE_CHECKING:
    from shared.outbox.models import OutboxMessage

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "eventmgr_bench_eventing"
DATABASE_URL = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
# A run's messages: four of the relay's publish slices; on a loaded machine about a minute of
# steady flow for ours (1,000 took two minutes a run). The warm-up only opens connections and
# pools and imports what a delivery needs.
MESSAGES = 400
WARM_UP = 50
TYPE = "org.eventmanager.user.registered"
BASELINE_QUEUE = "bench-baseline"
# One row per application of a message, on both sides: counted for "lost" and "twice".
APPLIED = "CREATE TABLE bench_applied (cloudevent_id text NOT NULL, side text NOT NULL)"
INSERT_APPLIED = "INSERT INTO bench_applied (cloudevent_id, side) VALUES (%s, %s)"


def _environment(port: int) -> None:
    # Set before anything reads the settings (they are read once per process); the consumer
    # process inherits them. No LOG_LEVEL: INFO, as deployed.
    os.environ.update(
        FUNCTION_URL_TEMPLATE=f"http://127.0.0.1:{port}/function/{{name}}/",
        DATABASE_URL=DATABASE_URL,
        RABBITMQ_URL=rabbitmq_url(),
        INTERNAL_TOKEN="bench",  # noqa: S106 - a throwaway token for a local benchmark
        CLOUDEVENT_KEY="bench",
        OUTBOX_GRACE_SECONDS="0",  # rows are relayed at once, not left to their writer
    )


def prepare() -> None:
    with psycopg.connect(ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    from shared.migrations import upgrade

    upgrade(DATABASE_URL)
    with psycopg.connect(DATABASE_URL, autocommit=True) as connection:
        connection.execute(APPLIED)


def drop() -> None:
    with psycopg.connect(ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def serve_consumer(port: int) -> subprocess.Popen[bytes]:
    """The consumer in a process of its own, as a deployed function is (the Dockerfile's
    uvicorn flags)."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.eventing_consumer:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-proxy-headers",
            "--no-access-log",
            "--no-server-header",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.1)
    server.terminate()
    raise RuntimeError("the consumer did not start")


def outbox_rows(n: int) -> list[OutboxMessage]:
    from shared.outbox.models import OutboxMessage

    past = datetime.now(UTC) - timedelta(minutes=1)
    return [
        OutboxMessage(
            id=uuid.uuid4(),
            type=TYPE,
            source="/eventmanager/bench",
            subject=None,
            data={
                "user_id": str(uuid.uuid4()),
                "email": "b@bench.example",
                "full_name": "B",
                "role": "participant",
                "locale": "en",
            },
            traceparent=None,
            created_at=past,
            attempts=0,
        )
        for _ in range(n)
    ]


def applications(connection: psycopg.Connection[tuple[int]], side: str) -> int:
    row = connection.execute("SELECT count(*) FROM bench_applied WHERE side = %s", (side,))
    return row.fetchall()[0][0]


def check(side: str, ids: set[str]) -> None:
    """Every message applied, none twice."""
    with psycopg.connect(DATABASE_URL) as connection:
        rows = connection.execute(
            "SELECT cloudevent_id, count(*) FROM bench_applied WHERE side = %s "
            "GROUP BY cloudevent_id",
            (side,),
        ).fetchall()
    seen: dict[str, int] = dict(rows)
    lost = ids - seen.keys()
    twice = [i for i, count in seen.items() if count > 1]
    strangers = seen.keys() - ids
    assert not lost, f"{side}: {len(lost)} lost"
    assert not twice, f"{side}: {len(twice)} applied twice"
    assert not strangers, f"{side}: {len(strangers)} applied that were never sent"


def through_the_platform(n: int) -> float:
    """Seconds from the relay's first claim to the consumer's last commit."""
    from shared.db import unit_of_work
    from shared.outbox.relay import relay_once

    rows = outbox_rows(n)
    with unit_of_work() as session:
        session.add_all(rows)
    started = time.perf_counter()
    # The relay sweeps until everything is applied, as a deployed relay keeps sweeping: a
    # slice it failed to publish is sent again once its lease ends.
    deadline = time.monotonic() + 300
    with psycopg.connect(DATABASE_URL, autocommit=True) as polling:
        while (done := applications(polling, "platform")) < n:
            if time.monotonic() > deadline:
                raise RuntimeError(f"platform: {done} of {n} applied in 300 s")
            if not relay_once().claimed:
                time.sleep(0.02)
    elapsed = time.perf_counter() - started
    check("platform", {str(row.id) for row in rows})
    return elapsed


def bare_aio_pika(n: int) -> float:
    """Seconds for the same messages, published with confirms straight to a queue, each
    acked by a consumer after one commit."""
    from shared.config import get_settings
    from shared.outbox.rabbitmq import message_of
    from shared.outbox.relay import PUBLISH_SLICE

    rows = outbox_rows(n)
    settings = get_settings()

    async def main() -> float:
        async with AsyncExitStack() as stack:
            # A pool the size of ours: connections taken from and given back to a queue.
            pool: asyncio.Queue[psycopg.AsyncConnection[tuple[object, ...]]] = asyncio.Queue()
            for _ in range(settings.db_pool_size):
                connection = await psycopg.AsyncConnection.connect(DATABASE_URL)
                stack.push_async_callback(connection.close)
                pool.put_nowait(connection)
            publishing = await stack.enter_async_context(await aio_pika.connect(rabbitmq_url()))
            consuming = await stack.enter_async_context(await aio_pika.connect(rabbitmq_url()))
            publisher = await publishing.channel(publisher_confirms=True)
            channel = await consuming.channel()
            await channel.set_qos(prefetch_count=settings.dispatcher_prefetch)
            queue = await channel.declare_queue(BASELINE_QUEUE, durable=True)
            done = asyncio.Event()
            count = 0

            async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                nonlocal count
                connection = await pool.get()
                try:
                    await connection.execute(INSERT_APPLIED, (message.message_id, "baseline"))
                    await connection.commit()
                finally:
                    pool.put_nowait(connection)
                await message.ack()  # after the commit
                count += 1
                if count == n:
                    done.set()

            await queue.consume(on_message)
            started = time.perf_counter()
            # As the relay publishes: a slice written at once, its confirms awaited together.
            batch = PUBLISH_SLICE
            for start in range(0, n, batch):
                await asyncio.gather(
                    *(
                        publisher.default_exchange.publish(
                            message_of(row), routing_key=BASELINE_QUEUE
                        )
                        for row in rows[start : start + batch]
                    )
                )
            await asyncio.wait_for(done.wait(), 300)
            return time.perf_counter() - started

    elapsed = asyncio.run(main())
    check("baseline", {str(row.id) for row in rows})
    return elapsed


def figures(repeats: int) -> list[Figure]:
    port = free_port()
    _environment(port)
    rabbitmq_vhost(create=False)  # left by an earlier run whose process had this pid
    rabbitmq_vhost(create=True)
    prepare()
    consumer = serve_consumer(port)
    from eventing.dispatcher import start_in_thread
    from eventing.triggers import Trigger

    dispatcher, stop = start_in_thread([Trigger("bench_consumer", TYPE)])
    try:
        while not dispatcher.ready.is_set():
            time.sleep(0.02)
        # Warm up both paths: connections, pools, imports.
        through_the_platform(WARM_UP)
        bare_aio_pika(WARM_UP)
        ours: list[float] = []
        bare: list[float] = []
        for _ in range(repeats):
            with psycopg.connect(DATABASE_URL, autocommit=True) as connection:
                connection.execute("TRUNCATE bench_applied")
            ours.append(MESSAGES / through_the_platform(MESSAGES))
            bare.append(MESSAGES / bare_aio_pika(MESSAGES))
    finally:
        stop()
        consumer.terminate()
        consumer.wait(30)
        rabbitmq_vhost(create=False)
        drop()
    return [
        Figure(
            name="CloudEvents end to end: outbox → RabbitMQ → dispatcher → consumer → its commit",
            unit="msg/s",
            ours=ours,
            baseline=bare,
            baseline_name="aio-pika, confirms, a consumer acking after one commit each",
            goal=">= 0.3x",
            notes=f"{MESSAGES:,} messages a run; 0 lost and 0 applied twice, checked on both",
        )
    ]


if __name__ == "__main__":
    from bench.results import table

    print(table(figures(int(sys.argv[1]) if len(sys.argv) > 1 else 3)))
