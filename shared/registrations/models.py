from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Identity, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, created_at, updated_at, uuid_pk


class RegistrationStatus(StrEnum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    # Offer mode: a freed seat held for this person until `offer_expires_at` (see offers.py).
    offered = "offered"
    checked_in = "checked_in"
    cancelled = "cancelled"


# "Confirmed", in every figure shown (statistics, reports), counts the people holding a seat:
# a check-in is a confirmed seat that was used, so checked-in people are confirmed too (and
# `seats_taken` counts them the same way). Defined here once; see docs/analytics.md.
CONFIRMED_STATUSES = (RegistrationStatus.confirmed, RegistrationStatus.checked_in)

ACTIVE_STATUSES = (
    RegistrationStatus.confirmed,
    RegistrationStatus.waitlisted,
    RegistrationStatus.offered,
    RegistrationStatus.checked_in,
)


class Registration(Base):
    __tablename__ = "registrations"
    __table_args__ = (
        # One active registration per person and event; someone who cancelled may come back.
        Index(
            "uq_registrations_active_person",
            "event_id",
            "user_id",
            unique=True,
            postgresql_where="status <> 'cancelled'",
        ),
        # The waitlist in arrival order.
        Index(
            "ix_registrations_waitlist",
            "event_id",
            "queue_seq",
            postgresql_where="status = 'waitlisted'",
        ),
        # The offers to expire, soonest first (the sweep's scan).
        Index(
            "ix_registrations_offer_expiry",
            "offer_expires_at",
            postgresql_where="status = 'offered'",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # Indexed for what reads one event's every registration, cancelled ones too: the
    # analytics recount and the cascade of an event's deletion.
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[RegistrationStatus] = mapped_column(
        Enum(
            RegistrationStatus,
            native_enum=False,
            length=20,
            create_constraint=True,
            name="status",
        )
    )
    # Arrival order, which is the waitlist order.
    queue_seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True))
    # The answers to the event's questions as they were asked: `[{question_id, label, kind,
    # value}]` in the form's order, so they stay readable when the questions change later.
    answers: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    cancelled_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    # Until when an offered seat is held; kept after a claim or an expiry, for the record.
    offer_expires_at: Mapped[datetime | None]
