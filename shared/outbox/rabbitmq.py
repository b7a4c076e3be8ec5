"""Publishing to RabbitMQ: a durable topic exchange, routing key = CloudEvent type, persistent
messages in the CloudEvents RabbitMQ binding (binary mode), publisher confirms.

aio-pika rather than pika's blocking channel: a blocking channel waits for each message's
confirm, while here a batch is written at once and its confirms are awaited together. The
connection lives on one event loop in a daemon thread; callers block on a future with a timeout.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import uuid
from collections.abc import Sequence
from typing import ClassVar

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractExchange,
    AbstractRobustConnection,
    TimeoutType,
)
from cloudevents.core.bindings.rabbitmq import to_binary
from cloudevents.core.formats.json import JSONFormat

from shared.config import get_settings
from shared.outbox.models import OutboxMessage
from shared.outbox.wire import to_cloudevent

logger = logging.getLogger("eventmgr.outbox")


# aio_pika leaves a connection that failed to open to its __del__, which schedules its close
# on whatever loop the collecting thread has: in the main thread a stray loop that never runs
# ("coroutine 'Connection.close' was never awaited", "unclosed event loop"). These close it
# at once, on the loop that tried. Every connection we open goes through `connect` or
# `connect_robust`.


class _Connection(aio_pika.Connection):
    async def connect(self, timeout: TimeoutType = None) -> None:  # noqa: ASYNC109 (aio_pika's)
        try:
            await super().connect(timeout)
        except BaseException:
            await self.close()
            raise


class _RobustConnection(aio_pika.RobustConnection):
    async def connect(self, timeout: TimeoutType = None) -> None:  # noqa: ASYNC109 (aio_pika's)
        try:
            await super().connect(timeout)
        except BaseException:
            await self.close()
            raise


async def connect(url: str, timeout: TimeoutType = None) -> AbstractConnection:  # noqa: ASYNC109
    return await aio_pika.connect(url, timeout=timeout, connection_class=_Connection)


async def connect_robust(url: str, reconnect_interval: float) -> AbstractRobustConnection:
    return await aio_pika.connect_robust(
        url, reconnect_interval=reconnect_interval, connection_class=_RobustConnection
    )


async def declare_exchange(channel: AbstractChannel, name: str) -> AbstractExchange:
    return await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)


def message_of(row: OutboxMessage) -> aio_pika.Message:
    """The row as a persistent message in the CloudEvents RabbitMQ binding (binary mode)."""
    binary = to_binary(to_cloudevent(row), JSONFormat())
    return aio_pika.Message(
        binary.body,
        headers=dict(binary.headers),
        content_type=binary.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=str(row.id),
    )


class RabbitPublisher:
    _instances: ClassVar[dict[tuple[int, str, str], RabbitPublisher]] = {}
    _guard = threading.Lock()

    @classmethod
    def shared(cls, url: str, exchange: str) -> RabbitPublisher:
        """One per process (and per fork: a connection must not cross a fork)."""
        key = (os.getpid(), url, exchange)
        with cls._guard:
            if key not in cls._instances:
                cls._instances[key] = cls(url, exchange)
            return cls._instances[key]

    def __init__(self, url: str, exchange: str) -> None:
        self.url = url
        self.exchange_name = exchange
        self.timeout = get_settings().publish_timeout_seconds
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="rabbitmq-publisher", daemon=True
        )
        self.thread.start()
        self._connection: AbstractConnection | None = None
        self._exchange: AbstractExchange | None = None
        self._lock: asyncio.Lock | None = None

    def publish(self, messages: Sequence[OutboxMessage]) -> set[uuid.UUID]:
        future = asyncio.run_coroutine_threadsafe(self._publish(messages), self.loop)
        try:
            return future.result(self.timeout)
        except Exception:
            future.cancel()
            asyncio.run_coroutine_threadsafe(self._forget(), self.loop)
            raise

    async def _exchange_ready(self) -> AbstractExchange:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._exchange is None or self._connection is None or self._connection.is_closed:
                await self._forget()
                self._connection = await connect(self.url, timeout=self.timeout)
                channel = await self._connection.channel(publisher_confirms=True)
                self._exchange = await declare_exchange(channel, self.exchange_name)
            return self._exchange

    async def _forget(self) -> None:
        connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None and not connection.is_closed:
            try:
                await connection.close()
            except Exception:
                logger.debug("closing a broken RabbitMQ connection failed", exc_info=True)

    async def _publish(self, messages: Sequence[OutboxMessage]) -> set[uuid.UUID]:
        exchange = await self._exchange_ready()

        async def one(row: OutboxMessage) -> uuid.UUID:
            await exchange.publish(message_of(row), routing_key=row.type)
            return row.id

        # All written at once; each awaits its confirm, which the broker may batch.
        results = await asyncio.gather(*(one(row) for row in messages), return_exceptions=True)
        refused = [result for result in results if isinstance(result, BaseException)]
        if refused:
            # A connection the broker dropped (a restart) can still look open here: start
            # afresh next time, or every later publish would fail the same way. Only the one
            # this call used: a concurrent call may already have connected afresh.
            logger.warning(
                "RabbitMQ took %d of %d CloudEvents; reconnecting",
                len(results) - len(refused),
                len(results),
                exc_info=refused[0],
            )
            if self._exchange is exchange:
                await self._forget()
        return {result for result in results if isinstance(result, uuid.UUID)}
