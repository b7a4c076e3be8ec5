"""API keys: who holds this key, and is it still good? PostgreSQL decides; Redis remembers.

A key is `emk_` and 256 random bits. Only its SHA-256 is stored: a slow password hash
(Argon2id) protects guessable secrets, but nobody can guess or brute-force 256 random bits,
so a fast hash loses nothing and lets every request find its key by one indexed lookup.

Like the revocation state of access tokens, a key's state is cached in Redis for a short
while, shared by every function: revoking a key writes PostgreSQL and then overwrites the
cached answer, so it stops working at once everywhere; anything that changes a person's access
(blocking, a role change: `revocation.raise_floor`) drops the cached state of all their keys.
A missing or evicted entry costs one query and never revives a key.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
import sqlalchemy as sa
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared import ratelimit
from shared.cache import get_redis
from shared.db import after_commit, get_engine
from shared.security.models import ApiKey
from shared.security.secrets import digest, new_secret

logger = logging.getLogger("eventmgr.security")
PREFIX = "emk_"
CACHE_SECONDS = 60
REFUSED = b"-"
# How often a key's `last_used_at` is written at most: a write per request would cost more
# than the request.
USE_RECORD_SECONDS = 60
# The person a key acts for, read without importing the users domain (security is below it).
_users = sa.table("users", sa.column("id"), sa.column("role"), sa.column("is_active"))


@dataclass(frozen=True)
class KeyHolder:
    key_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    scopes: frozenset[str]
    expires_at: datetime | None


def is_api_key(token: str) -> bool:
    return token.startswith(PREFIX)


def mint() -> tuple[str, bytes]:
    """A new key and the hash to store; the key itself is shown once and never kept."""
    key = PREFIX + new_secret()
    return key, digest(key)


def holder_of(key: str) -> KeyHolder | None:
    """The key's holder while the key is live (not revoked, not expired, person not blocked)."""
    key_hash = digest(key)
    cached = _cache_get(_cache_key(key_hash))
    if cached is None:
        holder = _load(key_hash)
        _cache_set({_cache_key(key_hash): _encode(holder)}, only_new=True)
    elif cached == REFUSED:
        return None
    else:
        holder = _decode(cached)
    if holder is None or (holder.expires_at and holder.expires_at <= datetime.now(UTC)):
        return None
    return holder


def note_use(holder: KeyHolder) -> None:
    """Record that the key was used, at most once a minute (the counter's window)."""
    if ratelimit.add(f"api-key-used:{holder.key_id}", USE_RECORD_SECONDS).value != 1:
        return
    with get_engine().begin() as connection:
        connection.execute(
            update(ApiKey).where(ApiKey.id == holder.key_id).values(last_used_at=datetime.now(UTC))
        )


def revoke(session: Session, key: ApiKey) -> None:
    """The key stops working in every function as soon as this commits."""
    name = _cache_key(key.key_hash)
    _forget_now([name])
    key.revoked_at = datetime.now(UTC)
    after_commit(session, lambda: _cache_set({name: REFUSED}))


def forget_holder_state(session: Session, user_id: uuid.UUID) -> None:
    """The person's access changed: their keys' cached state is read again from PostgreSQL."""
    names = [
        _cache_key(key_hash)
        for key_hash in session.scalars(select(ApiKey.key_hash).where(ApiKey.user_id == user_id))
    ]
    if names:
        _forget_now(names)
        after_commit(session, lambda: _forget_now(names))


def _load(key_hash: bytes) -> KeyHolder | None:
    lookup = (
        select(ApiKey.id, ApiKey.user_id, ApiKey.scopes, ApiKey.expires_at, _users.c.role)
        .join(_users, _users.c.id == ApiKey.user_id)
        .where(
            ApiKey.key_hash == key_hash,
            ApiKey.revoked_at.is_(None),
            _users.c.is_active.is_(True),
        )
    )
    with get_engine().connect() as connection:
        row = connection.execute(lookup).one_or_none()
    if row is None:
        return None
    return KeyHolder(row.id, row.user_id, str(row.role), frozenset(row.scopes), row.expires_at)


def _cache_key(key_hash: bytes) -> str:
    return f"sec:api-key:{key_hash.hex()}"


def _encode(holder: KeyHolder | None) -> bytes:
    if holder is None:
        return REFUSED
    return json.dumps(
        {
            "id": str(holder.key_id),
            "user_id": str(holder.user_id),
            "role": holder.role,
            "scopes": sorted(holder.scopes),
            "expires_at": holder.expires_at.isoformat() if holder.expires_at else None,
        }
    ).encode()


def _decode(raw: bytes) -> KeyHolder:
    data = json.loads(raw)
    expires_at = data["expires_at"]
    return KeyHolder(
        uuid.UUID(data["id"]),
        uuid.UUID(data["user_id"]),
        data["role"],
        frozenset(data["scopes"]),
        datetime.fromisoformat(expires_at) if expires_at else None,
    )


def _cache_get(name: str) -> bytes | None:
    client = get_redis()
    if client is None:
        return None
    try:
        value = client.get(name)
    except redis.RedisError:
        return None
    return value if isinstance(value, bytes) else None


def _cache_set(values: dict[str, bytes], *, only_new: bool = False) -> None:
    client = get_redis()
    if client is None:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for name, value in values.items():
            pipe.set(name, value, ex=CACHE_SECONDS, nx=only_new)
        pipe.execute()
    except redis.RedisError:
        # PostgreSQL holds the truth; a stale cached answer lives CACHE_SECONDS at most.
        logger.warning("could not cache API key state", exc_info=True)


def _forget_now(names: list[str]) -> None:
    client = get_redis()
    if client is None:
        return
    try:
        client.delete(*names)
    except redis.RedisError:
        logger.warning("could not drop cached API key state", exc_info=True)
