"""The Redis client. Redis is a cache and a helper, never the source of truth: callers treat
`None` (not configured) and connection errors as "go without".

The client library is imported on first use, here and by every module that talks to Redis
(`import redis` inside the function): a function's cold start does not pay for it before a
request needs it (bench/startup.py)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from shared import process_state
from shared.config import get_settings

if TYPE_CHECKING:
    import redis
    import redis.asyncio

# Short timeouts: a Redis outage must degrade a request, not hang it.
_OPTIONS: dict[str, Any] = {
    "socket_connect_timeout": 0.5,
    "socket_timeout": 0.5,
    "health_check_interval": 30,
    "decode_responses": False,
}
# The asyncio client of the running event loop: its connections belong to that loop. A
# server has one loop; a test client starts another, which gets a client of its own.
_async_client: tuple[asyncio.AbstractEventLoop, redis.asyncio.Redis] | None = None


@process_state.cached
def get_redis() -> redis.Redis | None:
    url = get_settings().redis_url
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, **_OPTIONS)


def get_async_redis() -> redis.asyncio.Redis | None:
    """The client for async paths (a cache hit answered without leaving the event loop)."""
    global _async_client
    url = get_settings().redis_url
    if not url:
        return None
    loop = asyncio.get_running_loop()
    if _async_client is None or _async_client[0] is not loop:
        import redis.asyncio

        _async_client = (loop, redis.asyncio.Redis.from_url(url, **_OPTIONS))
    return _async_client[1]


def redis_answers() -> bool:
    client = get_redis()
    if client is None:
        return False
    import redis

    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@process_state.on_reset
def forget_async_client() -> None:
    """The asyncio client was built from the old settings: build it again on next use."""
    global _async_client
    _async_client = None
