"""CloudEvents per second from the outbox to a consuming function, end to end.

outbox rows → relay (claim, publish with batched confirms, mark sent) → RabbitMQ →
dispatcher → HTTP POST → kit (idempotency record + handler, one transaction) → PostgreSQL.

Baseline, in the same run: the same CloudEvents POSTed straight to the same consumer over
HTTP with the same concurrency (no outbox, no broker). Needs PostgreSQL and RabbitMQ on
127.0.0.1 (as `make test` does). Run: `python -m bench.eventing [N]`.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "eventmgr_bench"
EXCHANGE = f"eventmgr-bench-{uuid.uuid4().hex[:6]}"
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    PORT = probe.getsockname()[1]
# Set before anything reads the settings (they are read once per process).
os.environ.update(
    FUNCTION_URL_TEMPLATE=f"http://127.0.0.1:{PORT}/function/{{name}}/",
    DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{DATABASE}",
    RABBITMQ_URL="amqp://guest:guest@127.0.0.1:5672/",
    RABBITMQ_EXCHANGE=EXCHANGE,
    INTERNAL_TOKEN="bench",  # noqa: S106 - a throwaway token for a local benchmark
    CLOUDEVENT_KEY="bench",
    OUTBOX_GRACE_SECONDS="0",
    LOG_LEVEL="WARNING",
    DB_POOL_SIZE="10",
)
TYPE = "org.eventmanager.user.registered"


def prepare() -> None:
    with psycopg.connect(ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    from shared.migrations import upgrade

    upgrade(os.environ["DATABASE_URL"])


def serve_consumer() -> subprocess.Popen[bytes]:
    """The consumer in a process of its own, as a deployed function would be."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.eventing_consumer:app",
            "--port",
            str(PORT),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", PORT)) == 0:
                return server
        time.sleep(0.1)
    raise RuntimeError("the consumer did not start")


def insert_rows(n: int) -> list[uuid.UUID]:
    from shared.db import unit_of_work
    from shared.outbox.models import OutboxMessage

    ids = [uuid.uuid4() for _ in range(n)]
    past = datetime.now(UTC) - timedelta(minutes=1)
    with unit_of_work() as session:
        session.add_all(
            OutboxMessage(
                id=i,
                type=TYPE,
                source="/eventmanager/bench",
                subject=None,
                data={
                    "user_id": str(uuid.uuid4()),
                    "email": "b@x.org",
                    "full_name": "B",
                    "role": "participant",
                    "locale": "en",
                },
                traceparent=None,
                created_at=past,
                attempts=0,
            )
            for i in ids
        )
    return ids


def processed(consumer: str = "bench_consumer") -> int:
    from sqlalchemy import func, select

    from shared.db import unit_of_work
    from shared.outbox.models import ProcessedCloudEvent

    with unit_of_work() as session:
        return int(
            session.scalar(select(func.count()).where(ProcessedCloudEvent.consumer == consumer))
            or 0
        )


def through_the_broker(n: int) -> float:
    from eventing.dispatcher import start_in_thread
    from eventing.triggers import Trigger
    from shared.outbox.relay import relay_once

    dispatcher, stop = start_in_thread([Trigger("bench_consumer", TYPE)])
    while not dispatcher.ready.is_set():
        time.sleep(0.02)
    insert_rows(n)
    started = time.perf_counter()
    while relay_once().claimed:
        pass
    while processed() < n:
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    stop()
    return elapsed


def straight_http(n: int, url: str, concurrency: int) -> float:
    import json

    import httpx

    from shared.outbox.signing import SIGNATURE_EXTENSION, signature_of

    body = (
        b'{"user_id": "7d1f6a9e-5b1c-4c44-9a55-0a2f8b8e2b10", "email": "b@x.org",'
        b' "full_name": "B", "role": "participant", "locale": "en"}'
    )

    async def main() -> float:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(n):
            queue.put_nowait(i)
        async with httpx.AsyncClient() as http:

            async def worker() -> None:
                while not queue.empty():
                    queue.get_nowait()
                    cloudevent_id = str(uuid.uuid4())
                    signature = signature_of(
                        id=cloudevent_id,
                        type=TYPE,
                        source="/bench",
                        subject=None,
                        time=None,
                        data=json.loads(body),
                    )
                    await http.post(
                        f"{url}/function/bench_consumer/",
                        content=body,
                        headers={
                            "ce-specversion": "1.0",
                            "ce-type": TYPE,
                            "ce-source": "/bench",
                            "ce-id": cloudevent_id,
                            f"ce-{SIGNATURE_EXTENSION}": signature,
                            "content-type": "application/json",
                            "authorization": "Bearer bench",
                        },
                    )

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return time.perf_counter() - started

    return asyncio.run(main())


def publishing(n: int = 1000) -> tuple[float, float]:
    """Seconds to publish n rows with confirms awaited as one batch, and one at a time."""
    from shared.outbox.models import OutboxMessage
    from shared.outbox.rabbitmq import RabbitPublisher

    publisher = RabbitPublisher.shared(os.environ["RABBITMQ_URL"], EXCHANGE)
    rows = [
        OutboxMessage(
            id=uuid.uuid4(),
            type="org.eventmanager.bench.unrouted",
            source="/bench",
            subject=None,
            data={"n": i},
            traceparent=None,
            created_at=datetime.now(UTC),
        )
        for i in range(n)
    ]
    publisher.publish(rows[:1])  # connect first
    started = time.perf_counter()
    assert len(publisher.publish(rows)) == n
    batch = time.perf_counter() - started
    started = time.perf_counter()
    for row in rows:
        publisher.publish([row])
    return batch, time.perf_counter() - started


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    prepare()
    consumer = serve_consumer()
    url = f"http://127.0.0.1:{PORT}"
    from shared.config import get_settings

    concurrency = get_settings().dispatcher_prefetch
    broker = through_the_broker(n)
    baseline = straight_http(n, url, concurrency)
    print(
        f"{n} CloudEvents, outbox → RabbitMQ → dispatcher → function: {broker:.2f} s "
        f"= {n / broker:.0f}/s"
    )
    print(
        f"same CloudEvents POSTed straight to the function ({concurrency} at once): "
        f"{baseline:.2f} s = {n / baseline:.0f}/s"
    )
    print(f"ratio end-to-end / straight HTTP: {(n / broker) / (n / baseline):.2f}")
    batch, one_by_one = publishing()
    print(
        f"publish 1000 with confirms as one batch: {batch:.2f} s = {1000 / batch:.0f}/s; "
        f"one confirm at a time: {one_by_one:.2f} s = {1000 / one_by_one:.0f}/s "
        f"({one_by_one / batch:.1f}x slower)"
    )
    consumer.terminate()
    consumer.wait()
    with psycopg.connect(ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    main()
