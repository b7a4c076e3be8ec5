"""Security state, in PostgreSQL so that a lost cache entry never revives a token."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class RevokedAccessToken(Base):
    """One access token (by `jti`) that must not work any more, until it would expire anyway."""

    __tablename__ = "revoked_access_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class RevokedSession(Base):
    """A login session ended: every access token carrying its `sid` stops working."""

    __tablename__ = "revoked_sessions"

    session_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class TokenFloor(Base):
    """Access tokens of this user issued before `valid_after` are refused (password change,
    reset, role change, blocking)."""

    __tablename__ = "token_floors"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    valid_after: Mapped[datetime]
