from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at, uuid_pk

# A mail is tried this many times in all, then marked failed with its last error.
MAX_MAIL_ATTEMPTS = 8


class DeliveryStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class Notification(Base):
    """One message to one person. The mail task gets only this row's id."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The sweep's question: what is still pending (or stuck sending) since when?
        Index(
            "ix_notifications_unsent",
            "enqueued_at",
            postgresql_where="email_status IN ('pending', 'sending')",
        ),
        # A person's in-app list, newest first (also every lookup by user).
        Index("ix_notifications_inbox", "user_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Which template renders it (e.g. "message", "verify_email").
    kind: Mapped[str] = mapped_column(String(50))
    recipient: Mapped[str] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(16), default="en")
    # Template variables; never a secret (secrets are minted by the task when it sends).
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    email_status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=20, create_constraint=True, name="status"),
        default=DeliveryStatus.pending,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    # When it was last handed to Celery, and until when a worker holds it.
    enqueued_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # When its reader marked it read in the app.
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
