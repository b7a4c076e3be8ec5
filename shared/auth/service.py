"""Logging in and rotating refresh tokens.

A login opens a session; each refresh token is good for one exchange. Presenting one that was
already exchanged means it leaked (or a client misbehaves), so the whole session is revoked.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from shared.auth import repository
from shared.auth.errors import (
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshTokenReused,
    UserBlocked,
)
from shared.auth.models import LoginSession, RefreshToken
from shared.auth.schemas import TokenPair
from shared.config import get_settings
from shared.security import revocation
from shared.security.passwords import (
    burn_verification_time,
    hash_password,
    needs_rehash,
    verify_password,
)
from shared.security.secrets import digest, new_secret
from shared.security.tokens import issue_access_token
from shared.users import repository as users
from shared.users.models import User


def login(session: Session, email: str, password: str) -> TokenPair:
    user = users.by_email(session, email, lock=True)
    if user is None:
        burn_verification_time(password)
        raise InvalidCredentials("Wrong email or password.")
    if not verify_password(user.password_hash, password):
        raise InvalidCredentials("Wrong email or password.")
    if not user.is_active:
        raise UserBlocked("This account is blocked.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    now = datetime.now(UTC)
    settings = get_settings()
    login_session = LoginSession(
        user_id=user.id,
        last_used_at=now,
        expires_at=now + timedelta(days=settings.refresh_absolute_ttl_days),
    )
    session.add(login_session)
    session.flush()
    return _pair(session, user, login_session, now)


def refresh(session: Session, refresh_token: str) -> TokenPair:
    token = repository.refresh_token_for_update(session, digest(refresh_token))
    # The clock is read after the lock: a request that waited must not see an earlier "now".
    now = datetime.now(UTC)
    if token is None or token.expires_at <= now:
        raise InvalidRefreshToken("The refresh token is unknown or expired.")
    login_session = repository.login_session_for_update(session, token.session_id)
    if login_session is None or login_session.revoked_at or login_session.expires_at <= now:
        raise InvalidRefreshToken("This login session has ended.")
    if token.rotated_at is not None:
        grace = timedelta(seconds=get_settings().refresh_reuse_grace_seconds)
        if not grace or now - token.rotated_at > grace:
            raise RefreshTokenReused(login_session.id)
    user = users.by_id(session, login_session.user_id, lock=True)
    if user is None or not user.is_active:
        raise InvalidRefreshToken("This account can no longer sign in.")
    if token.rotated_at is None:  # a retry within the grace keeps the first rotation's clock
        token.rotated_at = now
    login_session.last_used_at = now
    return _pair(session, user, login_session, now)


def revoke_session(session: Session, session_id: uuid.UUID, reason: str) -> None:
    """End a login session: its refresh tokens and its access tokens stop working."""
    now = datetime.now(UTC)
    repository.revoke_login_sessions(session, [session_id], reason, now)
    revocation.revoke_sessions(session, [session_id], _access_tokens_end(now))


def logout(
    session: Session,
    user_id: uuid.UUID,
    session_id: uuid.UUID | None,
    token_id: str,
    token_expires_at: datetime,
    refresh_token: str | None,
) -> None:
    """The caller's access token and its session end; a refresh token sent along (of another
    session of the same user) ends its session too."""
    revocation.revoke_token(session, token_id, token_expires_at)
    ended = {session_id} if session_id else set()
    if refresh_token:
        token = repository.refresh_token_for_update(session, digest(refresh_token))
        if token is not None:
            owner = repository.login_session_for_update(session, token.session_id)
            if owner is not None and owner.user_id == user_id:
                ended.add(owner.id)
    for sid in ended:
        revoke_session(session, sid, "logout")


def end_other_sessions(
    session: Session, user_id: uuid.UUID, keep: uuid.UUID | None, reason: str
) -> None:
    """Every session but `keep` ends, with its access tokens."""
    now = datetime.now(UTC)
    others = [sid for sid in repository.open_session_ids(session, user_id, now) if sid != keep]
    repository.revoke_login_sessions(session, others, reason, now)
    revocation.revoke_sessions(session, others, _access_tokens_end(now))


def end_all_sessions(session: Session, user_id: uuid.UUID, reason: str) -> None:
    """Every session and every access token of the user ends (password change or reset)."""
    now = datetime.now(UTC)
    open_ids = repository.open_session_ids(session, user_id, now)
    repository.revoke_login_sessions(session, open_ids, reason, now)
    revocation.raise_floor(session, user_id)


def _access_tokens_end(now: datetime) -> datetime:
    """No access token minted before `now` outlives this."""
    return now + timedelta(seconds=get_settings().access_token_ttl_seconds + 60)


def _pair(session: Session, user: User, login_session: LoginSession, now: datetime) -> TokenPair:
    settings = get_settings()
    secret = new_secret()
    idle_deadline = now + timedelta(days=settings.refresh_idle_ttl_days)
    session.add(
        RefreshToken(
            session_id=login_session.id,
            token_hash=digest(secret),
            expires_at=min(idle_deadline, login_session.expires_at),
        )
    )
    access_token, expires_in = issue_access_token(user.id, user.role.value, login_session.id)
    return TokenPair(access_token=access_token, refresh_token=secret, expires_in=expires_in)
