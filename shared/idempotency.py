"""`Idempotency-Key`: a retried POST gets the first answer instead of acting twice.

The first request with a key takes it (Redis `SET NX`, 24 h) and stores its answer when done;
a retry with the same key replays that answer; one arriving while the first is still running
gets 409. With Redis down requests just run: the use cases are idempotent by themselves (a
second join answers 200 with the existing registration), only the exact replay is lost.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import redis

from shared.cache import get_redis
from shared.errors import Conflict

logger = logging.getLogger("eventmgr.idempotency")
TTL_SECONDS = 24 * 3600
PENDING = b"pending"


class StillInProgress(Conflict):
    title = "The first request with this Idempotency-Key is still running"
    slug = "idempotency-in-progress"


@dataclass(frozen=True)
class Replay:
    status: int
    body: Any


def _name(scope: str, key: str) -> str:
    return f"idem:{scope}:{key}"


def begin(scope: str, key: str) -> Replay | None:
    """None: this request goes ahead and owns the key. A Replay: answer that instead."""
    client = get_redis()
    if client is None:
        return None
    try:
        if client.set(_name(scope, key), PENDING, nx=True, ex=TTL_SECONDS):
            return None
        stored = client.get(_name(scope, key))
    except redis.RedisError:
        logger.warning("Redis unavailable; Idempotency-Key not enforced")
        return None
    if stored is None:  # expired just now: take it
        return begin(scope, key)
    if stored == PENDING:
        raise StillInProgress("Retry in a moment to get its answer.")
    first = json.loads(stored)
    return Replay(first["status"], first["body"])


def finish(scope: str, key: str, status: int, body: Any) -> None:
    _write(scope, key, json.dumps({"status": status, "body": body}).encode())


def abandon(scope: str, key: str) -> None:
    """The request failed: a retry with the same key may run again."""
    client = get_redis()
    if client is None:
        return
    try:
        client.delete(_name(scope, key))
    except redis.RedisError:
        logger.warning("could not release an Idempotency-Key", exc_info=True)


def _write(scope: str, key: str, value: bytes) -> None:
    client = get_redis()
    if client is None:
        return
    try:
        client.set(_name(scope, key), value, ex=TTL_SECONDS)
    except redis.RedisError:
        logger.warning("could not store an idempotent answer", exc_info=True)
