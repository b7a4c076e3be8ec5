"""Fixtures for the eventing tests: the consumer functions of tests/support/consumers.py served
on a real port, a real RabbitMQ, and the dispatcher between them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
import uvicorn
from sqlalchemy import text

from local.embedded import free_port
from local.gateway import Gateway
from local.registry import Deployed
from shared import process_state
from shared.db import unit_of_work
from tests.support.consumers import CONSUMERS, ticker, ticks, tries, wait_until
from tests.support.services import rabbitmq_url


@pytest.fixture
def eventing_env(db_url, rabbitmq, monkeypatch) -> Iterator[str]:
    """The default exchange in the run's vhost, fast retries, and the side-effects table."""
    from shared.config import get_settings

    monkeypatch.setenv("DISPATCHER_BACKOFF_BASE_SECONDS", "0.05")
    monkeypatch.setenv("DISPATCHER_ATTEMPTS", "5")
    monkeypatch.setenv("OUTBOX_GRACE_SECONDS", "0")
    process_state.reset()
    exchange = get_settings().rabbitmq_exchange
    tries.clear()
    with unit_of_work() as session:
        session.execute(
            text(
                "CREATE TABLE IF NOT EXISTS side_effects (consumer text, cloudevent_id text,"
                " type text, traceparent text, at timestamptz DEFAULT now())"
            )
        )
        session.execute(text("DELETE FROM side_effects"))
    yield exchange
    process_state.reset()
    with unit_of_work() as session:
        session.execute(text("DROP TABLE side_effects"))
    # The next test starts from an empty vhost: no queue left holding this one's messages.
    asyncio.run(_delete_exchange_and_queues(rabbitmq, exchange))


async def _delete_exchange_and_queues(url: str, exchange: str) -> None:
    import aio_pika

    from eventing.topology import dead_queue, retry_delays_ms, retry_queue, work_queue

    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        for function in CONSUMERS:
            names = [work_queue(exchange, function), dead_queue(exchange, function)]
            names += [retry_queue(exchange, function, d) for d in retry_delays_ms(5, 0.05)]
            for name in names:
                await channel.queue_delete(name)
        await channel.exchange_delete(exchange)


@pytest.fixture
def consumers(eventing_env, monkeypatch) -> Iterator[str]:
    """The three consumer functions behind a gateway on a real port."""
    ticks.clear()
    served = {**CONSUMERS, "ticker": ticker}
    gateway = Gateway({name: Deployed(f, f.app()) for name, f in served.items()})
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(gateway, host="127.0.0.1", port=port, lifespan="off", log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 10)
    monkeypatch.setenv("FUNCTION_URL_TEMPLATE", f"http://127.0.0.1:{port}/function/{{name}}/")
    process_state.reset()
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def dispatcher(consumers) -> Iterator[None]:
    """The real RabbitMQ dispatcher, in a thread, over the test's triggers."""
    from eventing.dispatcher import start_in_thread
    from eventing.triggers import Trigger

    triggers = [Trigger(name, t) for name, f in CONSUMERS.items() for t in f.consumes]
    running, stop = start_in_thread(triggers, url=rabbitmq_url())
    wait_until(running.ready.is_set, 15)
    yield
    stop()
