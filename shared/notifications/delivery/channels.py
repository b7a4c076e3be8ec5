"""Mail and push share one delivery lifecycle on a notification row, each in its own columns:
pending → sending (claimed with a lease, attempt counted) → sent, failed or skipped.

A claim is known by the row's attempt number: a worker finishes or extends only the rows it
still holds with the attempt it claimed, so a worker that outlived its lease (and whose rows a
sweep handed to another) can no longer overwrite what the other one did. While a worker sends,
a heartbeat keeps its lease alive, so a long batch is not handed over under it. A worker killed
mid-send stops beating: its task, redelivered by the broker, takes the rows once the lease has
run out (`NOTIFICATION_LEASE_SECONDS`).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, tuple_, update
from sqlalchemy.orm import InstrumentedAttribute

from shared.config import get_settings
from shared.db import unit_of_work
from shared.notifications.models import MAX_MAIL_ATTEMPTS, DeliveryStatus, Notification


def lease() -> timedelta:
    return timedelta(seconds=get_settings().notification_lease_seconds)


def retry_delay(attempts: int) -> timedelta:
    """When to try again after a refusal that may pass: 30 s doubling to an hour, so the
    attempts a row is allowed span about two hours of a backend's outage."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


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

    def attempts_of(self, row: Notification) -> int:
        return int(getattr(row, self.attempts.key))

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
                            self.claimed_until: now + lease(),
                            self.attempts: self.attempts + 1,
                        }
                    )
                    .returning(Notification),
                    execution_options={"synchronize_session": False},
                )
            )

    def held_elsewhere_until(self, ids: Iterable[uuid.UUID]) -> datetime | None:
        """When the last lease another claim holds on these rows runs out (None: no such row)."""
        with unit_of_work() as session:
            return session.scalar(
                select(func.max(self.claimed_until)).where(
                    Notification.id.in_(list(ids)),
                    self.status == DeliveryStatus.sending,
                    self.claimed_until >= datetime.now(UTC),
                )
            )

    def _held(self, rows: list[Notification]) -> ColumnElement[bool]:
        """The rows as this worker claimed them, and still holds them."""
        claims = [(row.id, self.attempts_of(row)) for row in rows]
        return (tuple_(Notification.id, self.attempts).in_(claims)) & (
            self.status == DeliveryStatus.sending
        )

    def finish(
        self,
        rows: list[Notification],
        status: DeliveryStatus,
        error: str | None = None,
        *,
        not_before: datetime | None = None,
    ) -> None:
        """Set the outcome of rows this worker holds. `not_before`: for a retry, when it is
        due, so the sweep does not hand it over before its backoff has passed."""
        if not rows:
            return
        values: dict[Any, Any] = {self.status: status, self.claimed_until: None}
        if self.last_error is not None:
            values[self.last_error] = error[:1000] if error else None
        if self.sent_at is not None:
            values[self.sent_at] = datetime.now(UTC) if status == DeliveryStatus.sent else None
        if not_before is not None:
            values[Notification.enqueued_at] = not_before
        with unit_of_work() as session:
            session.execute(update(Notification).where(self._held(rows)).values(values))

    @contextmanager
    def held(self, rows: list[Notification]) -> Iterator[None]:
        """Keep the lease of these rows alive while the block sends them."""
        stop = threading.Event()
        length = lease()

        def beat() -> None:
            while not stop.wait(length.total_seconds() / 3):
                with unit_of_work() as session:
                    session.execute(
                        update(Notification)
                        .where(self._held(rows))
                        .values({self.claimed_until: datetime.now(UTC) + length})
                    )

        heart = threading.Thread(target=beat, name=f"{self.name}-lease", daemon=True)
        if rows:
            heart.start()
        try:
            yield
        finally:
            stop.set()
            if rows:
                heart.join()


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
