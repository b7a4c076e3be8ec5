from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at, updated_at, uuid_pk

# A mail is tried this many times in all, then marked failed with its last error.
MAX_MAIL_ATTEMPTS = 8


class DeliveryStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    # Not to be sent: the person turned the channel off, or the address is suppressed.
    skipped = "skipped"


def _status(name: str) -> Enum:
    return Enum(DeliveryStatus, native_enum=False, length=20, create_constraint=True, name=name)


# The discussion message a reply or mention notice quotes: its index's expression and
# condition, written the same way in the query that uses them (see repository).
QUOTED_MESSAGE = "(payload ->> 'message_id')"
QUOTING_KINDS = "kind IN ('discussion_reply', 'discussion_mention')"


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
        Index(
            "ix_notifications_push_unsent",
            "enqueued_at",
            postgresql_where="push_status IN ('pending', 'sending')",
        ),
        # A person's in-app list, newest first (also every lookup by user).
        Index("ix_notifications_inbox", "user_id", "created_at", "id"),
        # A deleted discussion message withdraws the notices quoting it.
        Index(
            "ix_notifications_message",
            text(QUOTED_MESSAGE),
            postgresql_where=text(QUOTING_KINDS),
        ),
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
        _status("status"), default=DeliveryStatus.pending
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    # When it was last handed to Celery, and until when a worker holds it.
    enqueued_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # Web Push, when the person wants it for this kind: the same lifecycle as the mail.
    push_status: Mapped[DeliveryStatus | None] = mapped_column(_status("push_status"))
    push_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    push_claimed_until: Mapped[datetime | None]
    # When its reader marked it read in the app.
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()


# The reminders a person can ask for, and how long before the start each is sent.
REMINDER_KINDS = ("24h", "1h")
DEFAULT_REMINDERS = list(REMINDER_KINDS)


class NotificationSettings(Base):
    """A person's choices; no row means the defaults (mail and push on, every reminder)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[bool] = mapped_column(default=True)
    push: Mapped[bool] = mapped_column(default=True)
    reminders: Mapped[list[str]] = mapped_column(
        ARRAY(String(8)), default=lambda: list(DEFAULT_REMINDERS)
    )
    updated_at: Mapped[datetime] = updated_at()


class PushSubscription(Base):
    """A browser's Web Push subscription (its endpoint is a capability URL: never logged)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(Text, unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at()


class MailSuppression(Base):
    """An address not to be mailed again (it bounced, complained or was dropped)."""

    __tablename__ = "mail_suppressions"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    reason: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = created_at()


class ReminderSent(Base):
    """One row per registration, reminder kind and start time: the exactly-once guard.

    A moved event has a new start time, so its reminders are due again."""

    __tablename__ = "reminders_sent"

    registration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    # The notification that carried it; none when a nearer reminder went instead.
    notification_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = created_at()
