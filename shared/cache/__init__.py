"""The Redis client. Redis is a cache and a helper, never the source of truth: callers treat
`None` (not configured) and connection errors as "go without"."""

from __future__ import annotations

import redis

from shared import process_state
from shared.config import get_settings


@process_state.cached
def get_redis() -> redis.Redis | None:
    url = get_settings().redis_url
    if not url:
        return None
    # Short timeouts: a Redis outage must degrade a request, not hang it.
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=0.5,
        socket_timeout=0.5,
        health_check_interval=30,
        decode_responses=False,
    )


def redis_answers() -> bool:
    client = get_redis()
    if client is None:
        return False
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
