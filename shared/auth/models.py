from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at, uuid_pk


class LoginSession(Base):
    """One login: every refresh token rotated from it belongs to this family."""

    __tablename__ = "login_sessions"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = created_at()
    last_used_at: Mapped[datetime]
    # The session dies at the absolute lifetime however actively it is used.
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(64))


class RefreshToken(Base):
    """A refresh token is stored only as its SHA-256; the client holds the secret."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("login_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime]
    # Set when this token was exchanged for the next one: a second use is a reuse.
    rotated_at: Mapped[datetime | None]
