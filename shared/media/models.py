from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at, uuid_pk


class Media(Base):
    """A file attached to an event. The bytes live in object storage under `storage_key`;
    rows go with their event (the objects are removed by the `event.deleted` consumer)."""

    __tablename__ = "media"
    __table_args__ = (Index("ix_media_event_created", "event_id", "created_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Sanitized; what downloads are named.
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None]
    height: Mapped[int | None]
    storage_key: Mapped[str] = mapped_column(String(512), unique=True)
    created_at: Mapped[datetime] = created_at()


def storage_prefix(event_id: uuid.UUID) -> str:
    """Every object of one event lives under this prefix, so deleting the event removes them
    all by prefix, whatever rows are left."""
    return f"events/{event_id}/"


def storage_key(event_id: uuid.UUID, media_id: uuid.UUID) -> str:
    return f"{storage_prefix(event_id)}{media_id}"
