from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
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
