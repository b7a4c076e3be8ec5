"""What a use case recorded in the outbox, read back from PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from shared.db import unit_of_work
from shared.outbox.models import OutboxMessage


def emitted(kind: str) -> list[dict]:
    with unit_of_work() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.type == f"org.eventmanager.{kind}")
            .order_by(OutboxMessage.created_at)
        )
        return [row.data for row in rows]


def recorded(types: Iterable[str]) -> list[OutboxMessage]:
    """The outbox rows of these CloudEvent types (full names, as a consumer's `consumes`),
    oldest first: what the dispatcher would deliver to that consumer."""
    with unit_of_work() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.type.in_(tuple(types)))
                .order_by(OutboxMessage.created_at)
            )
        )
