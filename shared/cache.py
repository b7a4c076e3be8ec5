"""The Redis client. Redis is a cache and a helper, never the source of truth: callers treat
`None` (not configured) and connection errors as "go without"."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import redis
from prometheus_client import Counter

from shared.config import get_settings

logger = logging.getLogger("eventmgr.cache")


@lru_cache
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


# --- versioned entries ---------------------------------------------------------------------
#
# An entry lives under its scope's current version (`<prefix>:<scope>:<version>:<key>`).
# Invalidating a scope only increments the version, so a reader that loaded old data from
# PostgreSQL before a change stores it under a version nobody reads any more: no stale entry
# can outlive the change that made it stale (short of a lost increment, which the TTL bounds).

_READ = """
local version = redis.call('GET', KEYS[1]) or '0'
return {version, redis.call('GET', ARGV[1] .. version .. ':' .. ARGV[2])}
"""
# After a Redis error, go straight to PostgreSQL for a moment instead of waiting on timeouts.
_PAUSE_SECONDS = 5.0
_paused_until = 0.0
_VERSION_TTL_SECONDS = 86_400

CACHE_LOOKUPS = Counter(
    "eventmgr_cache_lookups_total",
    "Cache lookups, by cache and result (hit, miss, unavailable).",
    ["cache", "result"],
)


@dataclass(frozen=True)
class Lookup:
    value: bytes | None
    # The scope's version when read; `store` files the value loaded meanwhile under it.
    version: bytes | None


# Version keys whose increment failed: retried before this process reads the cache again.
_unbumped: set[str] = set()


def _bump(client: redis.Redis, version_keys: set[str]) -> None:
    pipe = client.pipeline(transaction=False)
    for key in version_keys:
        pipe.incr(key)
        pipe.expire(key, _VERSION_TTL_SECONDS)
    pipe.execute()


def _usable() -> redis.Redis | None:
    if time.monotonic() < _paused_until:
        return None
    client = get_redis()
    if client is not None and _unbumped:
        try:
            _bump(client, _unbumped)
        except redis.RedisError as error:
            _failed(error)
            return None
        _unbumped.clear()
    return client


def _failed(error: redis.RedisError) -> None:
    global _paused_until
    _paused_until = time.monotonic() + _PAUSE_SECONDS
    logger.warning("Redis unavailable; reading from PostgreSQL", extra={"error": str(error)})


class VersionedCache:
    def __init__(self, name: str, ttl: Callable[[], int]) -> None:
        self.name = name
        self._ttl = ttl

    def _version_key(self, scope: str) -> str:
        return f"cache:{self.name}:v:{scope}"

    def _entry_prefix(self, scope: str) -> str:
        return f"cache:{self.name}:{scope}:"

    def get(self, scope: str, key: str) -> Lookup:
        client = _usable()
        if client is None:
            CACHE_LOOKUPS.labels(self.name, "unavailable").inc()
            return Lookup(None, None)
        try:
            version, value = client.eval(
                _READ, 1, self._version_key(scope), self._entry_prefix(scope), key
            )
        except redis.RedisError as error:
            _failed(error)
            CACHE_LOOKUPS.labels(self.name, "unavailable").inc()
            return Lookup(None, None)
        CACHE_LOOKUPS.labels(self.name, "hit" if value is not None else "miss").inc()
        return Lookup(value, version)

    def store(self, scope: str, key: str, lookup: Lookup, value: bytes) -> None:
        if lookup.version is None:
            return
        client = _usable()
        if client is None:
            return
        entry = f"{self._entry_prefix(scope)}{lookup.version.decode()}:{key}"
        try:
            client.set(entry, value, ex=self._ttl())
        except redis.RedisError as error:
            _failed(error)

    def invalidate(self, *scopes: str) -> None:
        """Call after the change is committed."""
        client = get_redis()
        if client is None or not scopes:
            return
        keys = {self._version_key(scope) for scope in scopes}
        try:
            _bump(client, keys)
        except redis.RedisError as error:
            _unbumped.update(keys)
            _failed(error)


def forget_state() -> None:
    """Forget the Redis client and any failure remembered (settings changed)."""
    global _paused_until
    get_redis.cache_clear()
    _paused_until = 0.0
    _unbumped.clear()
