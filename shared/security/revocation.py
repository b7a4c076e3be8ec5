"""Is this access token still good? PostgreSQL decides; Redis only remembers the answers.

Every request's token is checked against three records: its own `jti`, its login session
(`sid`), and its user's floor. Answers are cached in Redis for a short while; a revocation
writes PostgreSQL first and then overwrites the cached answer, so a missing or evicted key
costs a query and never revives a token. With Redis down every check goes to PostgreSQL.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import redis
from sqlalchemy import delete, exists, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.cache import get_redis
from shared.db import after_commit, single_statement
from shared.security import api_keys
from shared.security.models import RevokedAccessToken, RevokedSession, TokenFloor
from shared.security.tokens import AccessClaims

logger = logging.getLogger("eventmgr.security")
CACHE_SECONDS = 60
NONE = b"-"


def _jti_key(jti: str) -> str:
    return f"sec:jti:{jti}"


def _sid_key(session_id: uuid.UUID) -> str:
    return f"sec:sid:{session_id}"


def _floor_key(user_id: uuid.UUID) -> str:
    return f"sec:floor:{user_id}"


def is_revoked(claims: AccessClaims) -> bool:
    keys = [_jti_key(claims.token_id), _floor_key(claims.user_id)]
    if claims.session_id:
        keys.append(_sid_key(claims.session_id))
    cached = _cache_get(keys)
    if any(value is None for value in cached):
        cached = _load(claims, keys)
    jti_revoked, floor = cached[0], cached[1]
    sid_revoked = cached[2] if claims.session_id else NONE
    if jti_revoked != NONE or sid_revoked != NONE:
        return True
    assert floor is not None
    return floor != NONE and claims.issued_at.timestamp() < float(floor)


def _load(claims: AccessClaims, keys: list[str]) -> list[bytes | None]:
    # One statement, one round trip: this runs on the first request of every new token.
    session_revoked = (
        exists().where(RevokedSession.session_id == claims.session_id)
        if claims.session_id
        else literal(False)
    )
    lookup = select(
        exists().where(RevokedAccessToken.jti == claims.token_id),
        select(TokenFloor.valid_after)
        .where(TokenFloor.user_id == claims.user_id)
        .scalar_subquery(),
        session_revoked,
    )
    # One statement is its own snapshot: no BEGIN and ROLLBACK around it (two round trips more
    # on every first request of a token).
    with single_statement() as connection:
        jti, floor, revoked_session = connection.execute(lookup).one()
    values: list[bytes | None] = [
        b"1" if jti else NONE,
        str(floor.timestamp()).encode() if floor else NONE,
    ]
    if claims.session_id:
        values.append(b"1" if revoked_session else NONE)
    # Only where no answer is cached: a revocation written meanwhile must win.
    _cache_set(dict(zip(keys, values, strict=True)), only_new=True)
    return values


def _forget_now(keys: list[str]) -> None:
    """Drop cached answers before the revocation commits: if Redis then refuses the write
    after it, the next check reads PostgreSQL instead of a stale "not revoked"."""
    client = get_redis()
    if client is None:
        return
    try:
        client.delete(*keys)
    except redis.RedisError:
        logger.warning("could not drop cached security state", exc_info=True)


def revoke_token(session: Session, jti: str, expires_at: datetime) -> None:
    _forget_now([_jti_key(jti)])
    session.execute(
        insert(RevokedAccessToken).values(jti=jti, expires_at=expires_at).on_conflict_do_nothing()
    )
    after_commit(session, lambda: _cache_set({_jti_key(jti): b"1"}))


def revoke_sessions(session: Session, session_ids: list[uuid.UUID], expires_at: datetime) -> None:
    if not session_ids:
        return
    _forget_now([_sid_key(sid) for sid in session_ids])
    session.execute(
        insert(RevokedSession)
        .values([{"session_id": sid, "expires_at": expires_at} for sid in session_ids])
        .on_conflict_do_nothing()
    )
    after_commit(session, lambda: _cache_set({_sid_key(sid): b"1" for sid in session_ids}))


def raise_floor(session: Session, user_id: uuid.UUID) -> None:
    """Every access token this user holds now stops working; their API keys are checked
    again (a blocked person's keys stop, a new role applies)."""
    now = datetime.now(UTC)
    api_keys.forget_holder_state(session, user_id)
    _forget_now([_floor_key(user_id)])
    session.execute(
        insert(TokenFloor)
        .values(user_id=user_id, valid_after=now)
        .on_conflict_do_update(index_elements=["user_id"], set_={"valid_after": now})
    )
    after_commit(session, lambda: _cache_set({_floor_key(user_id): str(now.timestamp()).encode()}))


def forget_expired(session: Session) -> None:
    """Revocations of tokens that have expired anyway."""
    now = datetime.now(UTC)
    session.execute(delete(RevokedAccessToken).where(RevokedAccessToken.expires_at < now))
    session.execute(delete(RevokedSession).where(RevokedSession.expires_at < now))


def _cache_get(keys: list[str]) -> list[bytes | None]:
    client = get_redis()
    if client is None:
        return [None] * len(keys)
    try:
        return [value if isinstance(value, bytes) else None for value in client.mget(keys)]
    except redis.RedisError:
        return [None] * len(keys)


def _cache_set(values: dict[str, bytes | None], *, only_new: bool = False) -> None:
    client = get_redis()
    if client is None:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for key, value in values.items():
            pipe.set(key, value or NONE, ex=CACHE_SECONDS, nx=only_new)
        pipe.execute()
    except redis.RedisError:
        # PostgreSQL holds the truth; a stale cached "not revoked" lives CACHE_SECONDS at most.
        logger.warning("could not cache security state", exc_info=True)
