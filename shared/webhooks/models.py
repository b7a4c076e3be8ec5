from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Identity, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at, uuid_pk

# The Celery task that sends a webhook's due deliveries (`tasks.py`), enqueued by this name.
SEND_TASK = "webhooks.send"
# Webhooks one person may keep: each one is a consumer of every CloudEvent of its types.
MAX_WEBHOOKS_PER_OWNER = 20


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class Webhook(Base):
    """A URL subscribed to catalog types. The secret signs every delivery; the receiver was
    shown it once, so it is kept to sign with."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_owner", "owner_id", "created_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    types: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    description: Mapped[str | None] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at()
    # One sender at a time per webhook: whoever holds this lease sends its due deliveries, so a
    # slow or dead receiver holds one worker slot at most (see sending.py).
    sending_until: Mapped[datetime | None]


class WebhookDelivery(Base):
    """One CloudEvent for one webhook, exactly once per (webhook, CloudEvent id). Its id is the
    `webhook-id` header, the same on every attempt and redelivery."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "cloudevent_id", name="uq_webhook_deliveries_cloudevent"),
        Index("ix_webhook_deliveries_log", "webhook_id", "created_at", "id"),
        # The sender's and the sweep's question: what is due, oldest first?
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where="status = 'pending'",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    cloudevent_id: Mapped[str] = mapped_column(String(200))
    cloudevent_type: Mapped[str] = mapped_column(String(200))
    # The CloudEvent in structured mode: the body of every attempt.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(
            DeliveryStatus,
            native_enum=False,
            length=20,
            create_constraint=True,
            name="status",
        ),
        default=DeliveryStatus.pending,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None]
    last_attempt_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()


class WebhookAttempt(Base):
    """What one attempt got: the receiver's status code (none when it could not be reached),
    how long it took, and a short prefix of its answer for the owner to debug with."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "attempted_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(200))
    duration_ms: Mapped[int]
    response_prefix: Mapped[str | None] = mapped_column(String(256))
