"""Security state, in PostgreSQL so that a lost cache entry never revives a token."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at, uuid_pk


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


class ApiKey(Base):
    """A person's named key for scripts and apps: acts as them within its scopes.

    Only the SHA-256 of the key is kept (see `shared.security.api_keys` for why that is enough);
    `hint` is the first characters, so a person can tell their keys apart in a list.
    """

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime | None]
    # Written at most once a minute per key, not on every request.
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
