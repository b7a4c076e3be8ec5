"""The sweep that publishes what was left behind (a crash, a broker outage).

Rows are claimed with `FOR UPDATE SKIP LOCKED` and a short lease, committed, published outside
the lock, then marked sent: two sweeps at once never take the same row, and a sweep that dies
mid-way only delays its rows until the lease ends. No global order is promised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, or_, select, update

from shared.config import get_settings
from shared.db import unit_of_work
from shared.outbox.models import OutboxMessage
from shared.outbox.publishing import get_publisher, publish_and_mark

# Published (and marked sent) a slice at a time: a slice's confirms must come within one
# publish timeout even on a busy broker. A whole batch of 500 did not, within 2 s, on a loaded
# machine (bench/eventing.py), and a timed-out batch waits out its lease to be sent again.
PUBLISH_SLICE = 100


@dataclass(frozen=True)
class RelayResult:
    claimed: int
    published: int
    deleted: int


def claim(limit: int, *, now: datetime | None = None) -> list[OutboxMessage]:
    settings = get_settings()
    now = now or datetime.now(UTC)
    eligible = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.sent_at.is_(None),
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            # Fresh rows are being published by the function that wrote them.
            OutboxMessage.created_at < now - timedelta(seconds=settings.outbox_grace_seconds),
        )
        .order_by(OutboxMessage.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with unit_of_work() as session:
        rows = session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(eligible.scalar_subquery()))
            .values(
                claimed_until=now + timedelta(seconds=settings.outbox_lease_seconds),
                attempts=OutboxMessage.attempts + 1,
            )
            .returning(OutboxMessage),
            execution_options={"synchronize_session": False},
        ).all()
    return list(rows)


def relay_once() -> RelayResult:
    """Publish one batch of leftovers and forget sent rows past their retention."""
    settings = get_settings()
    if get_publisher() is None:
        return RelayResult(0, 0, 0)
    rows = claim(settings.outbox_relay_batch)
    published = sum(
        publish_and_mark(rows[start : start + PUBLISH_SLICE])
        for start in range(0, len(rows), PUBLISH_SLICE)
    )
    with unit_of_work() as session:
        expired = delete(OutboxMessage).where(
            OutboxMessage.sent_at < func.now() - timedelta(hours=settings.outbox_retention_hours)
        )
        deleted = cast(CursorResult[Any], session.execute(expired)).rowcount
    return RelayResult(len(rows), published, deleted)


def pending_count() -> int:
    with unit_of_work() as session:
        return int(session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None))) or 0)
