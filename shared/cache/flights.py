"""One load at a time per missing entry in a process, the others waiting for its answer.

When a popular entry expires, every request of that moment misses it; each loading it from
PostgreSQL would queue them all on the connection pool (a stampede) for the same answer. A
load is keyed by the entry *and the scope's version its lookup read*: a request whose lookup
saw a newer version (a change made since) never waits for an older load, so joining one never
answers a request with data older than a change acknowledged before it arrived.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class Flights(Generic[Value]):
    def __init__(self) -> None:
        self._flying: dict[Hashable, tuple[asyncio.AbstractEventLoop, asyncio.Task[Value]]] = {}

    async def load(self, key: Hashable, load: Callable[[], Awaitable[Value]]) -> Value:
        return await asyncio.shield(self.start(key, load))

    def start(self, key: Hashable, load: Callable[[], Awaitable[Value]]) -> asyncio.Task[Value]:
        """The load under way for `key`, or a new one: to wait on (`load`), or to let run
        in the background (a refresh ahead of an expiry, which nobody waits on)."""
        loop = asyncio.get_running_loop()
        flying = self._flying.get(key)
        if flying is not None and flying[0] is loop:
            return flying[1]
        # A task of its own: a first caller that goes away does not cancel the others' load.
        task = loop.create_task(_awaited(load))
        self._flying[key] = (loop, task)
        task.add_done_callback(lambda done: self._landed(key, done))
        return task

    def under_way(self) -> list[asyncio.Task[Value]]:
        """The loads of the running event loop not landed yet."""
        loop = asyncio.get_running_loop()
        return [task for task_loop, task in self._flying.values() if task_loop is loop]

    def _landed(self, key: Hashable, task: asyncio.Task[Value]) -> None:
        if self._flying.get(key, (None, None))[1] is task:
            del self._flying[key]
        if not task.cancelled():
            task.exception()  # retrieved: every caller may have gone away


async def _awaited(load: Callable[[], Awaitable[Value]]) -> Value:
    return await load()
