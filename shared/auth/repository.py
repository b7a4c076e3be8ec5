"""All SQL about login sessions and refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared.auth.models import LoginSession, RefreshToken


def refresh_token_for_update(session: Session, token_hash: bytes) -> RefreshToken | None:
    return session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    )


def login_session_for_update(session: Session, session_id: uuid.UUID) -> LoginSession | None:
    return session.get(LoginSession, session_id, with_for_update=True)


def revoke_login_sessions(
    session: Session, session_ids: list[uuid.UUID], reason: str, now: datetime
) -> None:
    """One statement for all of them, however many sessions a user has open."""
    if not session_ids:
        return
    session.execute(
        update(LoginSession)
        .where(LoginSession.id.in_(session_ids), LoginSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


def open_session_ids(session: Session, user_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(LoginSession.id).where(
                LoginSession.user_id == user_id,
                LoginSession.revoked_at.is_(None),
                LoginSession.expires_at > now,
            )
        )
    )
