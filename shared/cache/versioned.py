"""Cached values that a change invalidates at once, and that Redis trouble never makes wrong.

An entry lives under its scope's current version (`cache:<name>:<scope>:<version>:<key>`).
Invalidating a scope increments the version, so a reader that loaded old data from
PostgreSQL before a change files it under a version nobody reads any more: no entry can
outlive the change that made it stale. An increment Redis refuses is written to
PostgreSQL (`cache_invalidations`) and retried by `sweep_tasks` every minute; the entries'
TTL bounds the rest (a process that dies between its commit and the increment).

A hot entry is refreshed ahead of its expiry: a read that finds it in the last part of its
TTL (`Lookup.refresh`) is answered from it while one load files a new one (`shared.events.cache`),
so no request of a busy page waits on the reload its expiry would cost. The TTL itself is
unchanged, so every bound above still holds.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter

from shared import process_state
from shared.cache import get_async_redis, get_redis
from shared.cache.gathered import Gathered
from shared.db import get_engine

if TYPE_CHECKING:
    import redis
    import redis.asyncio

logger = logging.getLogger("eventmgr.cache")

# The scope's version, the entry under it and the entry's remaining TTL in ms (-2: none).
_READ = """
local version = redis.call('GET', KEYS[1]) or '0'
local entry = ARGV[1] .. version .. ':' .. ARGV[2]
return {version, redis.call('GET', entry), redis.call('PTTL', entry)}
"""
_READ_SHA = hashlib.sha1(_READ.encode()).hexdigest()  # noqa: S324 - how Redis names a script
# After a Redis error, go straight to PostgreSQL for a moment instead of waiting on timeouts.
_PAUSE_SECONDS = 5.0
_paused_until = 0.0
# Timeouts of async reads in a row with no answer between them. One late answer may be the event
# loop's backlog; several with none answered is Redis gone quiet (a host that drops packets),
# which would otherwise cost every cached read its full timeout.
_TIMEOUTS_BEFORE_PAUSE = 3
_timeouts_in_row = 0
_VERSION_TTL_SECONDS = 86_400
_RETRY_BATCH = 1000
# An entry read in the last quarter of its TTL is refreshed ahead of its expiry.
_REFRESH_AHEAD_SHARE = 0.25

CACHE_LOOKUPS = Counter(
    "eventmgr_cache_lookups_total",
    "Cache lookups, by cache and result (hit, miss, unavailable).",
    ["cache", "result"],
)
CACHE_INVALIDATIONS_DEFERRED = Counter(
    "eventmgr_cache_invalidations_deferred_total",
    "Cache version bumps Redis refused, left to sweep_tasks.",
)


@dataclass(frozen=True)
class Lookup:
    value: bytes | None
    # The scope's version when read; `store` files the value loaded meanwhile under it.
    version: bytes | None
    # A hit close to its expiry: serve it, and have one load file a fresh one.
    refresh: bool = False


def _usable() -> redis.Redis | None:
    if time.monotonic() < _paused_until:
        return None
    return get_redis()


def _usable_async() -> redis.asyncio.Redis | None:
    if time.monotonic() < _paused_until:
        return None
    return get_async_redis()


def _failed(error: Exception) -> None:
    global _paused_until
    _paused_until = time.monotonic() + _PAUSE_SECONDS
    logger.warning(
        "Redis unavailable; reading from PostgreSQL", extra={"error.message": str(error)}
    )


def _timed_out() -> int:
    global _timeouts_in_row
    _timeouts_in_row += 1
    return _timeouts_in_row


def _answered() -> None:
    global _timeouts_in_row
    _timeouts_in_row = 0


@process_state.on_reset
def forget_failures() -> None:
    global _paused_until
    _paused_until = 0.0
    _answered()


def _bump(client: redis.Redis, version_keys: list[str]) -> None:
    pipe = client.pipeline(transaction=False)
    for key in version_keys:
        pipe.incr(key)
        pipe.expire(key, _VERSION_TTL_SECONDS)
    pipe.execute()


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
        import redis  # loaded with the client: a name lookup (see shared.cache)

        try:
            version, value, ttl_ms = client.eval(
                _READ, 1, self._version_key(scope), self._entry_prefix(scope), key
            )
        except redis.RedisError as error:
            return self._unavailable(error)
        return self._found(version, value, ttl_ms)

    async def get_async(self, scope: str, key: str) -> Lookup:
        """`get` on the event loop, for async routes: a hit costs no hop to the thread pool,
        and the reads of concurrent requests share round trips (gathered)."""
        client = _usable_async()
        if client is None:
            CACHE_LOOKUPS.labels(self.name, "unavailable").inc()
            return Lookup(None, None)
        found = await _READS.read(
            client, (self._version_key(scope), self._entry_prefix(scope), key)
        )
        if found is None:
            CACHE_LOOKUPS.labels(self.name, "unavailable").inc()
            return Lookup(None, None)
        return self._found(*found)

    def _found(self, version: bytes, value: bytes | None, ttl_ms: int) -> Lookup:
        CACHE_LOOKUPS.labels(self.name, "hit" if value is not None else "miss").inc()
        # -1 (no expiry) never happens: `store` always sets one.
        refresh = value is not None and 0 <= ttl_ms < self._ttl() * 1000 * _REFRESH_AHEAD_SHARE
        return Lookup(value, version, refresh)

    def _unavailable(self, error: Exception) -> Lookup:
        _failed(error)
        CACHE_LOOKUPS.labels(self.name, "unavailable").inc()
        return Lookup(None, None)

    def store(self, scope: str, key: str, lookup: Lookup, value: bytes) -> None:
        if lookup.version is None:
            return
        client = _usable()
        if client is None:
            return
        entry = f"{self._entry_prefix(scope)}{lookup.version.decode()}:{key}"
        import redis

        try:
            client.set(entry, value, ex=self._ttl())
        except redis.RedisError as error:
            _failed(error)

    def invalidate(self, *scopes: str) -> None:
        """Call after the change is committed."""
        keys = sorted({self._version_key(scope) for scope in scopes})
        if not keys:
            return
        client = _usable()
        if client is not None:
            import redis

            try:
                _bump(client, keys)
                return
            except redis.RedisError as error:
                _failed(error)
        elif get_redis() is None:
            return  # no Redis configured: nothing is cached
        _defer(keys)


# (version key, entry prefix, key) of one read; its answer (version, value, the value's TTL in
# ms), or None when Redis did not answer.
_ScriptRead = tuple[str, str, str]
_ScriptAnswer = tuple[bytes, bytes | None, int] | None


async def _send_reads(client: object, reads: list[_ScriptRead]) -> list[_ScriptAnswer]:
    """A batch of reads, as one command or one pipeline; a failure is counted once for the
    batch, whatever the number of requests waiting on it."""
    import redis.asyncio  # loaded with the client: a name lookup (see shared.cache)

    assert isinstance(client, redis.asyncio.Redis)
    try:
        answers = await _evaluate(client, reads)
    except (redis.TimeoutError, TimeoutError) as error:
        # On the event loop a late answer may be the loop's backlog, not Redis: these reads go
        # without, but pausing Redis on one would send every request to PostgreSQL, the
        # costlier path, just when the process is overloaded.
        if _timed_out() >= _TIMEOUTS_BEFORE_PAUSE:
            _failed(error)
        return [None] * len(reads)
    except (redis.RedisError, OSError) as error:
        # OSError: the asyncio client may let a socket error through unwrapped.
        _failed(error)
        return [None] * len(reads)
    _answered()
    return answers


async def _evaluate(client: redis.asyncio.Redis, reads: list[_ScriptRead]) -> list[_ScriptAnswer]:
    import redis

    if len(reads) == 1:
        try:
            # By its hash: the script's text is not sent and hashed by Redis on every read.
            version, value, ttl_ms = await client.evalsha(_READ_SHA, 1, *reads[0])
        except redis.exceptions.NoScriptError:
            version, value, ttl_ms = await client.eval(_READ, 1, *reads[0])  # Redis keeps it now
        return [(version, value, ttl_ms)]
    answers = await _pipelined(client, reads)
    if any(isinstance(answer, redis.exceptions.NoScriptError) for answer in answers):
        await client.script_load(_READ)  # Redis lost its scripts (a restart)
        answers = await _pipelined(client, reads)
    found: list[_ScriptAnswer] = []
    for answer in answers:
        if isinstance(answer, Exception):
            raise answer
        version, value, ttl_ms = answer
        found.append((version, value, ttl_ms))
    return found


async def _pipelined(client: redis.asyncio.Redis, reads: list[_ScriptRead]) -> list[Any]:
    pipe = client.pipeline(transaction=False)
    for read in reads:
        pipe.evalsha(_READ_SHA, 1, *read)
    answers: list[Any] = await pipe.execute(raise_on_error=False)
    return answers


_READS: Gathered[_ScriptRead, _ScriptAnswer] = Gathered(_send_reads)


def _defer(version_keys: list[str]) -> None:
    CACHE_INVALIDATIONS_DEFERRED.inc(len(version_keys))
    # PostgreSQL's side of the cache is imported when used: a read answered from Redis, and a
    # function's cold start, do without SQLAlchemy (bench/startup.py).
    from sqlalchemy.dialects.postgresql import insert

    from shared.cache.models import PendingInvalidation

    try:
        with get_engine().begin() as connection:
            connection.execute(
                insert(PendingInvalidation)
                .values([{"version_key": key} for key in version_keys])
                .on_conflict_do_nothing()
            )
    except Exception:
        # Both stores failing at once: the TTL is the last bound.
        logger.exception("could not record a cache invalidation to retry")


def retry_deferred() -> int:
    """Bump what Redis refused earlier (run by `sweep_tasks`); how many were done."""
    from sqlalchemy import delete, select

    from shared.cache.models import PendingInvalidation

    client = get_redis()
    if client is None:
        return 0
    with get_engine().begin() as connection:
        keys = list(
            connection.scalars(
                select(PendingInvalidation.version_key)
                .order_by(PendingInvalidation.created_at)
                .limit(_RETRY_BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        if not keys:
            return 0
        _bump(client, keys)  # a RedisError leaves the rows for the next run
        connection.execute(
            delete(PendingInvalidation).where(PendingInvalidation.version_key.in_(keys))
        )
    return len(keys)
