"""Outbox → RabbitMQ → dispatcher → function, over the real broker and real HTTP."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections import Counter

import aio_pika
import pytest
from cloudevents.core.bindings.rabbitmq import to_binary
from cloudevents.core.formats.json import JSONFormat
from sqlalchemy import func, select

from eventing.topology import dead_queue
from shared import process_state
from shared.db import unit_of_work
from shared.outbox.background import wait_idle
from shared.outbox.models import OutboxMessage
from shared.outbox.rabbitmq import RabbitPublisher, connect_robust
from shared.outbox.relay import pending_count, relay_once
from tests.support.consumers import JOINED, REGISTERED, side_effects, wait_until
from tests.support.factories import bearer, create_event, sign_up
from tests.support.services import rabbitmq_url

RABBITMQ = rabbitmq_url()
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def broker(monkeypatch, eventing_env):
    monkeypatch.setenv("RABBITMQ_URL", RABBITMQ)
    process_state.reset()


def test_publish_route_deliver_handle(broker, dispatcher, client):
    sign_up(client, 1, traceparent=f"00-{TRACE}-00f067aa0ba902b7-01")
    event = create_event(client, bearer(client, "organizer"))
    client.post(f"/api/v1/events/{event['id']}/registrations", headers=bearer(client))
    wait_until(lambda: len([e for e in side_effects() if e[0] == "recorder"]) == 2)
    recorded = [e for e in side_effects() if e[0] == "recorder"]
    assert sorted(e[2] for e in recorded) == [JOINED, REGISTERED]
    # Published right after commit (in the background): nothing left for the relay.
    assert wait_idle()
    assert pending_count() == 0
    # The trace of the sign-up request travelled with its CloudEvent.
    with unit_of_work() as session:
        from sqlalchemy import text

        traces = session.scalars(
            text("SELECT traceparent FROM side_effects WHERE consumer = 'recorder' AND type = :t"),
            {"t": REGISTERED},
        ).all()
    assert any(trace and trace.startswith(f"00-{TRACE}-") for trace in traces)


def test_flaky_consumer_applied_once_and_broken_one_dead_letters_without_blocking(
    broker, dispatcher, client, eventing_env
):
    sign_up(client, 3)
    wait_until(lambda: Counter(e[0] for e in side_effects())["flaky"] == 3)
    effects = Counter(e[0] for e in side_effects())
    assert effects == {"recorder": 3, "flaky": 3}
    # `broken` ends in its dead-letter queue, with the last error, after 5 tries each.
    dead = asyncio.run(_drain(dead_queue(eventing_env, "broken"), expect=3))
    assert len(dead) == 3
    for message in dead:
        assert message["attempt"] == "5"
        assert "HTTP 500" in message["error"]


def test_cloudevents_not_from_the_outbox_are_never_applied(
    broker, dispatcher, client, eventing_env
):
    """Whoever can publish to the exchange still cannot make a consumer act: an unsigned
    CloudEvent and a signed one whose data was changed are refused (401, 403), retried and
    dead-lettered; the outbox's own, signed, pass the same dispatcher."""
    from tests.support.delivery import signed_cloudevent

    data = {
        "user_id": "7d1f6a9e-5b1c-4c44-9a55-0a2f8b8e2b10",
        "email": "forged@x.org",
        "full_name": "F",
        "role": "admin",
        "locale": "en",
    }
    genuine = signed_cloudevent(type=REGISTERED, id="altered", data=data)
    altered = to_binary(genuine, JSONFormat())
    body = altered.body.replace(b"forged@x.org", b"victim@x.org")
    unsigned = dict(
        to_binary(
            signed_cloudevent(type=REGISTERED, id="unsigned", data=data), JSONFormat()
        ).headers
    )
    del unsigned["ce-eventmgrsig"]
    asyncio.run(
        _publish_raw(eventing_env, [(dict(altered.headers), body), (unsigned, altered.body)])
    )
    sign_up(client, 1)
    wait_until(lambda: Counter(e[0] for e in side_effects())["recorder"] == 1)
    dead = asyncio.run(_drain(dead_queue(eventing_env, "recorder"), expect=2))
    assert sorted(message["error"].split(":")[0] for message in dead) == ["HTTP 401", "HTTP 403"]
    # Retried first (a key may be rolling out), dead-lettered after the last try.
    assert [message["attempt"] for message in dead] == ["5", "5"]
    assert {e[1] for e in side_effects()} & {"altered", "unsigned"} == set()


async def _publish_raw(exchange: str, messages: list[tuple[dict[str, str], bytes]]) -> None:
    connection = await aio_pika.connect(RABBITMQ)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        target = await channel.get_exchange(exchange)
        for headers, body in messages:
            await target.publish(
                aio_pika.Message(
                    body, headers=dict(headers.items()), content_type="application/json"
                ),
                routing_key=REGISTERED,
            )


async def _drain(queue: str, expect: int, within: float = 20) -> list[dict]:
    connection = await aio_pika.connect(RABBITMQ)
    found: list[dict] = []
    async with connection:
        channel = await connection.channel()
        deadline = asyncio.get_running_loop().time() + within
        while len(found) < expect and asyncio.get_running_loop().time() < deadline:
            message = await (await channel.get_queue(queue)).get(fail=False)
            if message is None:
                await asyncio.sleep(0.1)
                continue
            headers = message.headers or {}
            found.append(
                {
                    "attempt": str(headers.get("x-eventmgr-attempt")),
                    "error": str(headers.get("x-eventmgr-error")),
                    "type": str(headers.get("ce-type")),
                }
            )
            await message.ack()
    return found


def test_broker_outage_loses_nothing_and_duplicates_nothing(
    eventing_env, dispatcher, client, monkeypatch
):
    # The platform points at a port where no broker answers: writes still succeed.
    from local.embedded import free_port

    monkeypatch.setenv("RABBITMQ_URL", rabbitmq_url(free_port()))
    process_state.reset()
    sign_up(client, 5)
    assert wait_idle()
    assert pending_count() == 5
    assert side_effects() == []
    # The broker is back: the relay publishes the backlog, each consumer applies it once.
    monkeypatch.setenv("RABBITMQ_URL", RABBITMQ)
    process_state.reset()
    result = relay_once()
    assert (result.claimed, result.published) == (5, 5)
    assert pending_count() == 0
    wait_until(lambda: Counter(e[0] for e in side_effects()) == {"recorder": 5, "flaky": 5})
    assert relay_once().claimed == 0
    by_consumer = Counter((e[0], e[1]) for e in side_effects())
    assert set(by_consumer.values()) == {1}


def test_a_connection_that_failed_to_open_is_closed_at_once():
    """aio_pika leaves it to its __del__, which schedules the close on the collecting thread's
    loop: a stray loop in the main thread, the close never awaited (the warnings later tests
    showed). Ours close it where it was tried."""
    from local.embedded import free_port

    port = free_port()
    publisher = RabbitPublisher(rabbitmq_url(port), "nowhere")
    try:
        with pytest.raises(aio_pika.exceptions.AMQPConnectionError):
            publisher.publish([])
    finally:  # after what the failure scheduled there (forgetting the connection)
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0.1), publisher.loop).result(5)
        publisher.loop.call_soon_threadsafe(publisher.loop.stop)
        publisher.thread.join(5)
        publisher.loop.close()
    with pytest.raises(aio_pika.exceptions.AMQPConnectionError):
        asyncio.run(connect_robust(rabbitmq_url(port), reconnect_interval=1))
    gc.collect()
    lingering = [
        found
        for found in gc.get_objects()
        if isinstance(found, aio_pika.Connection) and found.url.port == port
    ]
    assert all(connection.is_closed for connection in lingering)


def _leftovers(count: int) -> None:
    """`count` outbox rows old enough for the relay, as a crash would leave them."""
    from datetime import UTC, datetime, timedelta
    from uuid import uuid4

    with unit_of_work() as session:
        for i in range(count):
            session.add(
                OutboxMessage(
                    id=uuid4(),
                    type=REGISTERED,
                    source="/eventmanager/test",
                    subject=None,
                    data={
                        "user_id": str(uuid4()),
                        "email": f"{i}@x.org",
                        "full_name": "x",
                        "role": "participant",
                        "locale": "en",
                    },
                    traceparent=None,
                    created_at=datetime.now(UTC) - timedelta(minutes=1),
                    attempts=0,
                )
            )


def test_a_batch_past_one_slice_is_published_whole_each_row_once(broker, eventing_env):
    # The default batch (500) is published 100 at a time: one sweep still sends every row
    # it claimed, once, and marks each sent.
    asyncio.run(_bind_probe_queue(eventing_env))
    _leftovers(250)
    result = relay_once()
    assert (result.claimed, result.published) == (250, 250)
    ids = asyncio.run(_drain_ids(f"{eventing_env}.probe", 250))
    assert len(set(ids)) == len(ids) == 250
    assert pending_count() == 0


def test_two_sweeps_at_once_publish_each_row_once(broker, eventing_env):
    asyncio.run(_bind_probe_queue(eventing_env))
    _leftovers(300)
    monkeypatch_batch = 40
    import os

    os.environ["OUTBOX_RELAY_BATCH"] = str(monkeypatch_batch)
    process_state.reset()
    try:
        results: list[int] = []

        def sweep() -> None:
            while (outcome := relay_once()).claimed:
                results.append(outcome.published)

        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        del os.environ["OUTBOX_RELAY_BATCH"]
        process_state.reset()
    assert sum(results) == 300
    ids = asyncio.run(_drain_ids(f"{eventing_env}.probe", 300))
    assert len(ids) == 300
    assert len(set(ids)) == 300
    with unit_of_work() as session:
        unsent = session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None)))
    assert unsent == 0


async def _bind_probe_queue(exchange: str) -> None:
    connection = await aio_pika.connect(RABBITMQ)
    async with connection:
        channel = await connection.channel()
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(f"{exchange}.probe", auto_delete=False)
        await queue.bind(ex, routing_key="#")


async def _drain_ids(queue: str, expect: int) -> list[str]:
    connection = await aio_pika.connect(RABBITMQ)
    ids: list[str] = []
    async with connection:
        channel = await connection.channel()
        source = await channel.get_queue(queue)
        for _ in range(expect + 50):
            message = await source.get(fail=False)
            if message is None:
                break
            ids.append(str((message.headers or {}).get("ce-id")))
            await message.ack()
        await channel.queue_delete(queue)
    return ids


def test_redelivered_cloudevent_is_applied_once(consumers, client):
    """The same CloudEvent twice at a consumer (a redelivery): acknowledged, applied once."""
    import httpx

    from tests.support.delivery import binary_mode, signed_cloudevent

    data = {
        "user_id": "7d1f6a9e-5b1c-4c44-9a55-0a2f8b8e2b10",
        "email": "a@x.org",
        "full_name": "A",
        "role": "participant",
        "locale": "en",
    }
    headers, body = binary_mode(
        signed_cloudevent(type=REGISTERED, id="same-id", source="/test", data=data)
    )
    headers["authorization"] = "Bearer internal-test-token"

    def post() -> int:
        return httpx.post(
            f"{consumers}/function/recorder/", content=body, headers=headers
        ).status_code

    with __import__("concurrent.futures").futures.ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(lambda _: post(), range(8)))
    assert codes == [204] * 8
    assert side_effects() == [("recorder", "same-id", REGISTERED)]
    # Data that does not match the catalog is refused for good (no retry would help).
    bad_headers, bad_body = binary_mode(
        signed_cloudevent(type=REGISTERED, id="other", source="/test", data={"user_id": "nope"})
    )
    bad = httpx.post(
        f"{consumers}/function/recorder/",
        content=bad_body,
        headers={**bad_headers, "authorization": headers["authorization"]},
    )
    assert bad.status_code == 422


def test_dispatcher_survives_the_broker_going_away(broker, consumers, client):
    """The dispatcher's connection is cut mid-stream; it reconnects and delivers everything."""
    from eventing.dispatcher import start_in_thread
    from eventing.triggers import Trigger
    from tests.eventing.tcp_proxy import TcpProxy
    from tests.support.consumers import CONSUMERS

    proxy = TcpProxy(5672)
    proxy.start()
    triggers = [Trigger("recorder", t) for t in CONSUMERS["recorder"].consumes]
    running, stop = start_in_thread(triggers, rabbitmq_url(proxy.port))
    try:
        wait_until(running.ready.is_set, 15)
        sign_up(client, 2)
        wait_until(lambda: len(side_effects()) == 2)
        proxy.cut()
        for i in range(3):  # published while the dispatcher is cut off
            client.post(
                "/api/v1/auth/register",
                json={"email": f"later{i}@example.org", "password": "0123456789", "full_name": "L"},
            )
        proxy.start()  # same port: the broker is "back"
        wait_until(lambda: len(side_effects()) == 5, 30)
        assert len({e[1] for e in side_effects()}) == 5
    finally:
        stop()
        proxy.cut()


def test_dispatcher_started_before_the_broker_waits_for_it(consumers):
    from eventing.dispatcher import start_in_thread
    from eventing.triggers import Trigger
    from local.embedded import free_port
    from tests.eventing.tcp_proxy import TcpProxy

    proxy = TcpProxy(5672, port=free_port())  # nothing listens there yet
    running, stop = start_in_thread([Trigger("recorder", REGISTERED)], rabbitmq_url(proxy.port))
    try:
        time.sleep(1.5)
        assert not running.ready.is_set()
        proxy.start()
        wait_until(running.ready.is_set, 20)
    finally:
        stop()
        proxy.cut()


def test_topology_is_declared_before_anything_publishes(broker, eventing_env):
    from eventing.topology import declare_topology, retry_delays_ms, work_queue
    from eventing.triggers import Trigger

    declare_topology(
        RABBITMQ, eventing_env, [Trigger("recorder", REGISTERED)], retry_delays_ms(5, 0.05)
    )

    async def depth() -> int:
        connection = await aio_pika.connect(RABBITMQ)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(work_queue(eventing_env, "recorder"), passive=True)
            return queue.declaration_result.message_count or 0

    import uuid as _uuid

    from shared.catalog import UserRegistered
    from shared.db import unit_of_work as uow
    from shared.outbox.writer import emit

    with uow() as session:  # published at commit, with no dispatcher running: it must queue
        emit(
            session,
            UserRegistered(
                user_id=_uuid.uuid4(),
                email="q@x.org",
                full_name="Q",
                role="participant",
                locale="en",
            ),
        )
    assert wait_idle()  # published after the commit by the process's background publisher
    assert asyncio.run(depth()) == 1
