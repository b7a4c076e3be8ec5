"""Mail and push share one delivery lifecycle on a notification row, each in its own columns:
pending → sending (claimed with a lease, attempt counted) → sent, failed or skipped."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, update
from sqlalchemy.orm import InstrumentedAttribute

from shared.db import unit_of_work
from shared.notifications.models import MAX_MAIL_ATTEMPTS, DeliveryStatus, Notification

LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Channel:
    name: str
    status: InstrumentedAttribute[Any]
    attempts: InstrumentedAttribute[int]
    claimed_until: InstrumentedAttribute[datetime | None]
    # Mail keeps its last error and when it went; push only logs them.
    last_error: InstrumentedAttribute[str | None] | None = None
    sent_at: InstrumentedAttribute[datetime | None] | None = None

    def unsent(self, now: datetime) -> ColumnElement[bool]:
        """Pending, or held by a worker whose lease ran out (it died mid-send)."""
        return or_(
            self.status == DeliveryStatus.pending,
            (self.status == DeliveryStatus.sending) & (self.claimed_until < now),
        )

    def claim(self, ids: Iterable[uuid.UUID]) -> list[Notification]:
        """Take the rows still to send, so a duplicate task finds nothing to do."""
        now = datetime.now(UTC)
        with unit_of_work() as session:
            return list(
                session.scalars(
                    update(Notification)
                    .where(
                        Notification.id.in_(list(ids)),
                        self.attempts < MAX_MAIL_ATTEMPTS,
                        self.unsent(now),
                    )
                    .values(
                        {
                            self.status: DeliveryStatus.sending,
                            self.claimed_until: now + LEASE,
                            self.attempts: self.attempts + 1,
                        }
                    )
                    .returning(Notification),
                    execution_options={"synchronize_session": False},
                )
            )

    def finish(
        self, ids: Iterable[uuid.UUID], status: DeliveryStatus, error: str | None = None
    ) -> None:
        ids = list(ids)
        if not ids:
            return
        values: dict[Any, Any] = {self.status: status, self.claimed_until: None}
        if self.last_error is not None:
            values[self.last_error] = error[:1000] if error else None
        if self.sent_at is not None:
            values[self.sent_at] = datetime.now(UTC) if status == DeliveryStatus.sent else None
        with unit_of_work() as session:
            session.execute(update(Notification).where(Notification.id.in_(ids)).values(values))


EMAIL = Channel(
    "email",
    Notification.email_status,
    Notification.attempts,
    Notification.claimed_until,
    Notification.last_error,
    Notification.sent_at,
)
PUSH = Channel(
    "push", Notification.push_status, Notification.push_attempts, Notification.push_claimed_until
)
