"""Concurrent reads of one event loop, sent to Redis together.

Under load, many requests of one process want the same few entries at the same moment (a
popular event's page). The reads asked during one round of the event loop go to Redis in one
batch right after that round, and identical reads as one: a burst costs one round trip and one
command per distinct read, not one of each per request. Every read is sent after it was asked,
so it sees every change made before it: no caller is answered from a read already under way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

Read = TypeVar("Read", bound=Hashable)
Answer = TypeVar("Answer")
# Sends a batch of distinct reads on a client; one answer per read, in order. It handles its
# own errors (an answer may say "unavailable"): what it raises reaches every caller.
Send = Callable[[object, list[Read]], Awaitable[list[Answer]]]


class Gathered(Generic[Read, Answer]):
    def __init__(self, send: Send[Read, Answer]) -> None:
        self._send = send
        # Per client: a client belongs to one event loop, so a batch never mixes loops.
        self._waiting: WeakKeyDictionary[object, dict[Read, list[asyncio.Future[Answer]]]] = (
            WeakKeyDictionary()
        )
        self._sending: set[asyncio.Task[None]] = set()

    async def read(self, client: object, read: Read) -> Answer:
        loop = asyncio.get_running_loop()
        waiting = self._waiting.get(client)
        if waiting is None:
            waiting = self._waiting[client] = {}
            # A task's first step runs after the callbacks already due: the requests that
            # arrived with this one ask their reads first and join this batch.
            task = loop.create_task(self._flush(client, waiting))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        answer: asyncio.Future[Answer] = loop.create_future()
        waiting.setdefault(read, []).append(answer)
        return await answer

    async def _flush(
        self, client: object, waiting: dict[Read, list[asyncio.Future[Answer]]]
    ) -> None:
        if self._waiting.get(client) is waiting:
            del self._waiting[client]  # reads asked from now on make the next batch
        reads = list(waiting)
        try:
            answers = await self._send(client, reads)
        except BaseException as error:
            cancelled = isinstance(error, asyncio.CancelledError)
            for futures in waiting.values():
                for future in futures:
                    if future.done():  # a caller that gave up (its client went away)
                        continue
                    if cancelled:
                        future.cancel()
                    else:
                        future.set_exception(error)
            if cancelled:
                raise
            return
        for read, answer in zip(reads, answers, strict=True):
            for future in waiting[read]:
                if not future.done():
                    future.set_result(answer)
