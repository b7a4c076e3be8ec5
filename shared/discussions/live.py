"""The live stream of a discussion: Server-Sent Events read from PostgreSQL, woken by Redis.

Redis pub/sub carries only "something changed in event X"; the rows say what, numbered by
their stream `seq`, so `Last-Event-ID` resumes exactly where a client left off, on any
instance. A stream subscribes before it reads, so a change committed in between still wakes
it; without Redis (or after losing it) it reads every second instead. Nothing is kept in the
process between requests: an instance may scale to zero at any time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from shared.cache import get_async_redis, get_redis
from shared.config import get_settings
from shared.db import read_on_thread, unit_of_work
from shared.discussions import repository
from shared.discussions.models import DiscussionMessage
from shared.discussions.schemas import MessagePublic
from shared.metrics import DISCUSSION_STREAMS

if TYPE_CHECKING:
    from redis.asyncio.client import PubSub

logger = logging.getLogger("eventmgr.discussions")
PAGE = 200
# How often a stream without Redis looks for changes.
POLL_SECONDS = 1.0


def channel(event_id: uuid.UUID) -> str:
    return f"discussion:{event_id}"


def wake(event_id: uuid.UUID) -> None:
    """Tell every stream of this event to read (after a commit). Lost, it costs a delay."""
    client = get_redis()
    if client is None:
        return
    import redis

    try:
        client.publish(channel(event_id), b"1")
    except redis.RedisError:
        logger.warning("Redis unavailable; discussion streams will find the change by polling")


def last_seq(event_id: uuid.UUID) -> int:
    with unit_of_work() as session:
        return repository.last_seq(session, event_id)


def frames_after(event_id: uuid.UUID, after: int) -> tuple[list[str], int]:
    """The SSE frames of the changes after stream number `after`, in order, and the number
    the next read starts after."""
    with unit_of_work() as session:
        rows = repository.changed_since(session, event_id, after, PAGE)
        entries = [entry for row, name in rows for entry in _entries(row, name, after)]
    entries.sort(key=lambda entry: entry[0])
    if len(rows) == PAGE:
        # A later page may hold numbers below a deletion seen here: stop at this page's end.
        boundary = rows[-1][0].seq
        entries = [entry for entry in entries if entry[0] <= boundary]
        after = boundary
    if entries:
        after = max(after, entries[-1][0])
    return [_frame(*entry) for entry in entries], after


def _entries(
    row: DiscussionMessage, author_name: str | None, after: int
) -> list[tuple[int, str, str]]:
    entries = []
    if row.seq > after and row.deleted_at is None:
        entries.append(
            (row.seq, row.kind.value, MessagePublic.of(row, author_name).model_dump_json())
        )
    if row.deleted_seq is not None and row.deleted_seq > after:
        gone = {"id": str(row.id), "event_id": str(row.event_id)}
        entries.append((row.deleted_seq, "deletion", json.dumps(gone)))
    return entries


def _frame(seq: int, kind: str, data: str) -> str:
    return f"id: {seq}\nevent: {kind}\ndata: {data}\n\n"


async def stream(event_id: uuid.UUID, after: int | None) -> AsyncIterator[str]:
    """New messages, deletions and announcements after `after` (from now when None), with a
    comment whenever the stream was quiet for a heartbeat, so proxies keep it open. It ends
    after `discussion_stream_seconds`; the client resumes with the last id it saw."""
    settings = get_settings()
    heartbeat = settings.discussion_heartbeat_seconds
    ends = time.monotonic() + settings.discussion_stream_seconds
    DISCUSSION_STREAMS.inc()
    pubsub = await _subscribe(event_id)
    try:
        seen = after if after is not None else await read_on_thread(last_seq, event_id)
        # Browsers reconnect after this long, sending the last id they saw.
        yield "retry: 3000\n\n"
        quiet_since = time.monotonic()
        while time.monotonic() < ends:
            frames, seen = await read_on_thread(frames_after, event_id, seen)
            for frame in frames:
                yield frame
            if frames:
                quiet_since = time.monotonic()
                continue  # there may be a next page
            left = min(quiet_since + heartbeat, ends) - time.monotonic()
            if time.monotonic() - quiet_since >= heartbeat:
                yield ": heartbeat\n\n"
                quiet_since = time.monotonic()
                continue
            left = max(left, 0.0)
            pubsub = await _wait(pubsub, min(left, POLL_SECONDS) if pubsub is None else left)
    finally:
        DISCUSSION_STREAMS.dec()
        if pubsub is not None:
            await _close(pubsub)


async def _subscribe(event_id: uuid.UUID) -> PubSub | None:
    client = get_async_redis()
    if client is None:
        return None
    import redis

    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.subscribe(channel(event_id))
    except redis.RedisError:
        logger.warning("Redis unavailable; a discussion stream polls instead")
        await _close(pubsub)
        return None
    return pubsub


async def _wait(pubsub: PubSub | None, seconds: float) -> PubSub | None:
    """Until a wake-up or `seconds`; answers the subscription still usable."""
    import asyncio

    if pubsub is None:
        await asyncio.sleep(seconds)
        return None
    import redis

    try:
        await pubsub.get_message(timeout=seconds)
    except (redis.RedisError, OSError):
        logger.warning("Redis subscription lost; a discussion stream polls instead")
        await _close(pubsub)
        return None
    return pubsub


async def _close(pubsub: PubSub) -> None:
    import redis

    with contextlib.suppress(redis.RedisError, OSError):
        await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
