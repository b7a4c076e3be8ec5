from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at


class MessageKind(StrEnum):
    message = "message"
    announcement = "announcement"


class DiscussionMessage(Base):
    """One message of an event's discussion. A deletion keeps the row as a tombstone, so a
    stream resumed after it still learns that the message is gone."""

    __tablename__ = "discussion_messages"
    __table_args__ = (
        # The stream's order: `seq` numbers every change of one event's discussion.
        UniqueConstraint("event_id", "seq"),
        Index("ix_discussion_messages_deleted_seq", "event_id", "deleted_seq"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[MessageKind] = mapped_column(
        Enum(MessageKind, native_enum=False, length=20, create_constraint=True, name="message_kind")
    )
    title: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    reply_to: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("discussion_messages.id", ondelete="SET NULL")
    )
    pinned: Mapped[bool] = mapped_column(default=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = created_at()
    deleted_at: Mapped[datetime | None]
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    deleted_seq: Mapped[int | None] = mapped_column(BigInteger)


class DiscussionCounter(Base):
    """The last `seq` handed out in one event's discussion. Taking the next one locks this
    row until commit, so one event's changes commit in `seq` order: a reader who has seen
    `seq` n never finds a smaller one committed later (what makes a resume lose nothing)."""

    __tablename__ = "discussion_counters"

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
