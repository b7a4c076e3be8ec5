from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at


class OutboxMessage(Base):
    """A CloudEvent waiting to be published; its id is the CloudEvent id."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unsent", "created_at", postgresql_where="sent_at IS NULL"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    traceparent: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at()
    # A relay sweep leases a row until then; publishing happens outside the lock.
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]


class ProcessedCloudEvent(Base):
    """A consumer handled this CloudEvent: written in the consumer's own transaction."""

    __tablename__ = "processed_cloudevents"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    cloudevent_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    processed_at: Mapped[datetime] = created_at()


class LocalDelivery(Base):
    """Embedded mode without RabbitMQ: one row per (CloudEvent, consuming function) to deliver."""

    __tablename__ = "local_deliveries"
    __table_args__ = (Index("ix_local_deliveries_due", "due_at"),)

    outbox_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True
    )
    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(1000))


class DeadLetter(Base):
    """A CloudEvent a consumer still refused after the last retry, with the last error."""

    __tablename__ = "dead_letters"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    cloudevent_id: Mapped[str] = mapped_column(String(200), index=True)
    consumer: Mapped[str] = mapped_column(String(100))
    cloudevent_type: Mapped[str] = mapped_column(String(200))
    cloudevent: Mapped[dict[str, Any]] = mapped_column(JSONB)
    attempts: Mapped[int]
    error: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = created_at()
