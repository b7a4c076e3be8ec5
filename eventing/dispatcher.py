"""The dispatcher: CloudEvents from RabbitMQ to the functions' internal `POST /` over HTTP.

Used where no Knative broker delivers (compose, OpenFaaS Community Edition, `eventmgr up` with
RABBITMQ_URL). Each consuming function has a durable queue bound to its types. A delivery is
acknowledged only once the function answered 2xx, or once the message sits safely (publisher
confirm) in a retry queue or the dead-letter queue: nothing is lost if the dispatcher dies.
Several dispatchers may consume the same queues; the connection is robust and reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

import aio_pika
import httpx
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection
from cloudevents.core.bindings.rabbitmq import RabbitMQMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from eventing.delivery import Outcome, deliver
from eventing.topology import FunctionQueues, declare, retry_delays_ms
from eventing.triggers import Trigger, by_function
from shared.config import get_settings
from shared.metrics import DISPATCHER_DELIVERIES, announce_consumers
from shared.outbox.rabbitmq import connect_robust

logger = logging.getLogger("eventmgr.dispatcher")
ATTEMPT_HEADER = "x-eventmgr-attempt"
ERROR_HEADER = "x-eventmgr-error"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _cloudevent_headers(message: AbstractIncomingMessage) -> dict[str, str]:
    """The CloudEvent's own headers; the broker's (`x-death`, ...) are not ours to copy."""
    return {
        key: _text(value)
        for key, value in (message.headers or {}).items()
        if key.lower().startswith("ce-")
    }


class Dispatcher:
    def __init__(self, triggers: list[Trigger], url: str | None = None) -> None:
        settings = get_settings()
        self.url = url or settings.rabbitmq_url or ""
        if not self.url:
            raise ValueError("the dispatcher needs RABBITMQ_URL")
        self.exchange = settings.rabbitmq_exchange
        announce_consumers(sorted({trigger.function for trigger in triggers}))
        self.attempts = settings.dispatcher_attempts
        self.delays = retry_delays_ms(
            settings.dispatcher_attempts, settings.dispatcher_backoff_base_seconds
        )
        self.prefetch = settings.dispatcher_prefetch
        self.timeout = settings.dispatcher_http_timeout_seconds
        self.grouped = by_function(triggers)
        self.ready = asyncio.Event()
        # The thread it runs in, when started by `start_in_thread` (a supervisor watches it).
        self.thread: threading.Thread | None = None

    async def _connect(self, stop: asyncio.Event) -> AbstractRobustConnection | None:
        """The first connection, retried: the broker may start after us (compose)."""
        wait = 0.5
        while not stop.is_set():
            try:
                return await connect_robust(self.url, reconnect_interval=1)
            except (OSError, aio_pika.exceptions.AMQPError) as error:
                logger.warning(
                    "RabbitMQ not reachable yet; retrying", extra={"error.message": str(error)}
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
                wait = min(wait * 2, 10)
        return None

    async def run(self, stop: asyncio.Event) -> None:
        connection = await self._connect(stop)
        if connection is None:
            return
        # Afterwards the robust connection reconnects and restores queues and consumers itself.
        async with connection, httpx.AsyncClient(timeout=self.timeout) as http:
            channel = await connection.channel(publisher_confirms=True)
            await channel.set_qos(prefetch_count=self.prefetch)
            for function, triggers in sorted(self.grouped.items()):
                _, queues = await declare(channel, self.exchange, function, triggers, self.delays)
                sources = {t.type: t.source for t in triggers}
                await queues.work.consume(self._handler(channel, http, queues, sources))
            self.ready.set()
            logger.info("dispatcher consuming", extra={"functions": sorted(self.grouped)})
            await stop.wait()

    def _handler(
        self,
        channel: AbstractChannel,
        http: httpx.AsyncClient,
        queues: FunctionQueues,
        sources: dict[str, str | None],
    ) -> Any:
        async def on_message(message: AbstractIncomingMessage) -> None:
            await self._on_message(channel, http, queues, sources, message)

        return on_message

    async def _on_message(
        self,
        channel: AbstractChannel,
        http: httpx.AsyncClient,
        queues: FunctionQueues,
        sources: dict[str, str | None],
        message: AbstractIncomingMessage,
    ) -> None:
        function = queues.function
        headers = _cloudevent_headers(message)
        attempt = int(_text((message.headers or {}).get(ATTEMPT_HEADER, "1")))
        try:
            cloudevent = from_binary(
                RabbitMQMessage(headers, message.content_type, message.body), JSONFormat()
            )
        except Exception as error:
            await self._dead_letter(channel, queues, message, attempt, f"unreadable: {error}")
            return
        wanted = sources.get(cloudevent.get_type())
        if wanted and cloudevent.get_source() != wanted:
            await message.ack()  # bound by type, filtered by source here
            return
        result = await deliver(http, function, cloudevent)
        if result.outcome is Outcome.delivered:
            DISPATCHER_DELIVERIES.labels(function, "delivered").inc()
            await message.ack()
        elif result.outcome is Outcome.retry and attempt < self.attempts:
            DISPATCHER_DELIVERIES.labels(function, "retried").inc()
            await self._republish(
                channel,
                queues.retry_names[attempt - 1],
                message,
                headers,
                attempt + 1,
                result.error,
            )
            await message.ack()
        else:
            await self._dead_letter(channel, queues, message, attempt, result.error or "")

    async def _dead_letter(
        self,
        channel: AbstractChannel,
        queues: FunctionQueues,
        message: AbstractIncomingMessage,
        attempt: int,
        error: str,
    ) -> None:
        DISPATCHER_DELIVERIES.labels(queues.function, "dead_lettered").inc()
        logger.warning(
            "CloudEvent dead-lettered",
            extra={"function": queues.function, "attempts": attempt, "error.message": error},
        )
        await self._republish(
            channel, queues.dead_name, message, _cloudevent_headers(message), attempt, error
        )
        await message.ack()

    @staticmethod
    async def _republish(
        channel: AbstractChannel,
        queue: str,
        message: AbstractIncomingMessage,
        headers: dict[str, str],
        attempt: int,
        error: str | None,
    ) -> None:
        """A confirmed copy first, the ack of the original after: never zero copies."""
        await channel.default_exchange.publish(
            aio_pika.Message(
                message.body,
                headers={**headers, ATTEMPT_HEADER: str(attempt), ERROR_HEADER: error or ""},
                content_type=message.content_type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=message.message_id,
            ),
            routing_key=queue,
        )


def start_in_thread(
    triggers: list[Trigger], url: str | None = None
) -> tuple[Dispatcher, Callable[[], None]]:
    """A dispatcher on its own event loop in a daemon thread; answers it and its stop."""
    dispatcher = Dispatcher(triggers, url=url)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(
        target=loop.run_until_complete,
        args=(dispatcher.run(stop),),
        daemon=True,
        name="dispatcher",
    )
    dispatcher.thread = thread
    thread.start()

    def halt() -> None:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        if not thread.is_alive():
            loop.close()  # else "unclosed event loop" when it is collected

    return dispatcher, halt


def run_forever(triggers: list[Trigger], stop: asyncio.Event | None = None) -> None:
    """`eventmgr dispatcher`: consume until interrupted."""

    async def main() -> None:
        await Dispatcher(triggers).run(stop or asyncio.Event())

    asyncio.run(main())
