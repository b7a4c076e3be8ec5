"""Counting attempts per key in fixed windows: in Redis, shared by every instance; in this
process when Redis is down (the limit then holds per instance, which is better than none).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from shared import process_state
from shared.cache import get_redis
from shared.errors import DomainError
from shared.metrics import RATE_LIMIT_FALLBACKS

logger = logging.getLogger("eventmgr.ratelimit")


class TooManyRequests(DomainError):
    status = 429
    title = "Too many requests"
    slug = "too-many-requests"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(detail or "Too many attempts; try again later.")
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Count:
    value: int
    # Seconds until the window (and the count) ends.
    resets_in: int


class _LocalCounters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counters: dict[str, tuple[int, float]] = {}

    def add(self, key: str, amount: int, window: int) -> Count:
        now = time.monotonic()
        with self.lock:
            if len(self.counters) > 100_000:  # bounded memory: forget ended windows
                self.counters = {k: v for k, v in self.counters.items() if v[1] > now}
            value, ends = self.counters.get(key, (0, now + window))
            if ends <= now:
                value, ends = 0, now + window
            value += amount
            self.counters[key] = (value, ends)
        return Count(value, max(1, math.ceil(ends - now)))

    def reset(self, key: str) -> None:
        with self.lock:
            self.counters.pop(key, None)

    def forget_all(self) -> None:
        with self.lock:
            self.counters = {}


_local = _LocalCounters()
process_state.on_reset(_local.forget_all)


def add(key: str, window: int, amount: int = 1) -> Count:
    """Add to the key's count in its current window (amount 0 only reads it)."""
    client = get_redis()
    if client is not None:
        import redis  # loaded with the client (see shared.cache)

        name = f"rl:{key}"
        try:
            pipe = client.pipeline(transaction=True)
            pipe.set(name, 0, ex=window, nx=True)
            pipe.incrby(name, amount)
            pipe.ttl(name)
            _, value, ttl = pipe.execute()
            return Count(int(value), max(1, int(ttl)))
        except redis.RedisError:
            RATE_LIMIT_FALLBACKS.inc()
            logger.warning("Redis unavailable; rate limit counted in this process only")
    return _local.add(key, amount, window)


def reset(key: str) -> None:
    client = get_redis()
    if client is not None:
        import redis  # loaded with the client (see shared.cache)

        try:
            client.delete(f"rl:{key}")
        except redis.RedisError:
            RATE_LIMIT_FALLBACKS.inc()
    _local.reset(key)


def lock(key: str, seconds: int) -> None:
    """Refuse the key for `seconds` (see `locked_for`)."""
    client = get_redis()
    if client is not None:
        import redis  # loaded with the client (see shared.cache)

        try:
            client.set(f"lock:{key}", 1, ex=seconds)
            return
        except redis.RedisError:
            RATE_LIMIT_FALLBACKS.inc()
    _local.reset(f"lock:{key}")
    _local.add(f"lock:{key}", 1, seconds)


def locked_for(key: str) -> int:
    """Seconds the key stays locked, 0 when it is not."""
    client = get_redis()
    if client is not None:
        import redis  # loaded with the client (see shared.cache)

        try:
            return max(0, int(client.ttl(f"lock:{key}")))
        except redis.RedisError:
            RATE_LIMIT_FALLBACKS.inc()
    count = _local.add(f"lock:{key}", 0, 1)
    return count.resets_in if count.value else 0


def limit(key: str, allowed: int, window: int, detail: str | None = None) -> None:
    """Count one attempt; past `allowed` in the window, refuse with 429 and Retry-After."""
    count = add(key, window)
    if count.value > allowed:
        raise TooManyRequests(count.resets_in, detail)
