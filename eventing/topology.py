"""RabbitMQ topology: the exchange, and per consuming function a work queue, its retry queues
and its dead-letter queue.

    exchange (topic, durable) --type--> <exchange>.<function>             work queue
    failed delivery, attempt n  ------> <exchange>.<function>.retry.<ms>  TTL, then back
    after the last attempt      ------> <exchange>.<function>.dead        for operators

A retry queue holds messages for one delay and dead-letters them back into the work queue,
so a failing CloudEvent waits without blocking the ones behind it. Each delay has its own
queue (named by its delay) because RabbitMQ expires only at a queue's head.
"""

from __future__ import annotations

from dataclasses import dataclass

from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

from eventing.triggers import Trigger
from shared.outbox.rabbitmq import declare_exchange


def work_queue(exchange: str, function: str) -> str:
    """Queues are named after the exchange, so two platforms can share one broker."""
    return f"{exchange}.{function}"


def dead_queue(exchange: str, function: str) -> str:
    return f"{exchange}.{function}.dead"


def retry_delays_ms(attempts: int, base_seconds: float) -> list[int]:
    """The wait before attempt 2, 3, ... attempts: base, 2·base, 4·base, ..."""
    return [int(base_seconds * 1000 * 2**n) for n in range(attempts - 1)]


def retry_queue(exchange: str, function: str, delay_ms: int) -> str:
    return f"{exchange}.{function}.retry.{delay_ms}ms"


@dataclass
class FunctionQueues:
    function: str
    work: AbstractQueue
    retry_names: list[str]
    dead_name: str


async def declare(
    channel: AbstractChannel,
    exchange_name: str,
    function: str,
    triggers: list[Trigger],
    delays_ms: list[int],
) -> tuple[AbstractExchange, FunctionQueues]:
    exchange = await declare_exchange(channel, exchange_name)
    work = await channel.declare_queue(work_queue(exchange_name, function), durable=True)
    for cloudevent_type in sorted({trigger.type for trigger in triggers}):
        await work.bind(exchange, routing_key=cloudevent_type)
    retry_names = []
    for delay in delays_ms:
        name = retry_queue(exchange_name, function, delay)
        await channel.declare_queue(
            name,
            durable=True,
            arguments={
                "x-message-ttl": delay,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": work.name,
            },
        )
        retry_names.append(name)
    dead = dead_queue(exchange_name, function)
    await channel.declare_queue(dead, durable=True)
    return exchange, FunctionQueues(function, work, retry_names, dead)


def declare_topology(
    url: str, exchange_name: str, triggers: list[Trigger], delays_ms: list[int]
) -> None:
    """Declare every queue before anything publishes (a deploy step: `eventmgr migrate`).

    A CloudEvent published while no queue is bound to its type is dropped by the broker, as
    one nobody consumes should be; declaring up front makes sure that is the only case.
    """
    import asyncio

    from eventing.triggers import by_function
    from shared.outbox.rabbitmq import connect

    async def run() -> None:
        connection = await connect(url)
        async with connection:
            channel = await connection.channel()
            for function, function_triggers in sorted(by_function(triggers).items()):
                await declare(channel, exchange_name, function, function_triggers, delays_ms)

    asyncio.run(run())
