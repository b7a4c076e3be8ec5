"""Embedded delivery, for `eventmgr up` without RabbitMQ: PostgreSQL is the queue.

Publishing fans each outbox row out into `local_deliveries`, one row per consuming function,
in one transaction. A delivery thread claims due rows (SKIP LOCKED, with a lease), POSTs the
CloudEvent to the function over HTTP exactly as the dispatcher does, and deletes the row only
after a 2xx. Failures are retried with backoff; after the last try the CloudEvent lands in
`dead_letters` with its error. Ctrl-C loses nothing: every step is a committed row.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import and_, delete, select, update
from sqlalchemy.dialects.postgresql import insert

from eventing.delivery import Outcome, deliver
from eventing.triggers import Trigger, consumers_of
from shared.config import get_settings
from shared.db import unit_of_work
from shared.metrics import DISPATCHER_DELIVERIES, announce_consumers
from shared.outbox.models import DeadLetter, LocalDelivery, OutboxMessage
from shared.outbox.wire import to_cloudevent

logger = logging.getLogger("eventmgr.dispatcher")
LEASE = timedelta(seconds=60)


class LocalPublisher:
    """Publishing = recording who must receive each CloudEvent; confirmed on commit."""

    def __init__(self, triggers: list[Trigger], wake: threading.Event) -> None:
        self.triggers = triggers
        announce_consumers(sorted({trigger.function for trigger in triggers}))
        self.wake = wake

    def publish(self, messages: Sequence[OutboxMessage]) -> set[uuid.UUID]:
        now = datetime.now(UTC)
        rows = [
            {"outbox_id": m.id, "consumer": consumer, "attempts": 0, "due_at": now}
            for m in messages
            for consumer in consumers_of(self.triggers, m.type, m.source)
        ]
        if rows:
            with unit_of_work() as session:
                session.execute(insert(LocalDelivery).values(rows).on_conflict_do_nothing())
            self.wake.set()
        return {m.id for m in messages}


class LocalDispatcher:
    def __init__(self, wake: threading.Event, *, batch: int = 50) -> None:
        settings = get_settings()
        self.wake = wake
        self.batch = batch
        self.attempts = settings.dispatcher_attempts
        self.base = settings.dispatcher_backoff_base_seconds
        self.timeout = settings.dispatcher_http_timeout_seconds
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="local-dispatcher", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.thread.join(self.timeout + 5)

    def _run(self) -> None:
        asyncio.run(self._loop())

    async def _loop(self) -> None:
        async with httpx.AsyncClient(timeout=self.timeout) as http:
            while not self.stopping.is_set():
                try:
                    handled = await self.deliver_due(http)
                except Exception:
                    logger.exception("local delivery round failed")
                    handled = 0
                if not handled:
                    self.wake.clear()
                    await asyncio.to_thread(self.wake.wait, 0.5)

    async def deliver_due(self, http: httpx.AsyncClient) -> int:
        claimed = await asyncio.to_thread(self._claim)
        await asyncio.gather(*(self._deliver_one(http, row, msg) for row, msg in claimed))
        return len(claimed)

    def _claim(self) -> list[tuple[LocalDelivery, OutboxMessage]]:
        now = datetime.now(UTC)
        with unit_of_work() as session:
            due = session.execute(
                select(LocalDelivery, OutboxMessage)
                .join(OutboxMessage, OutboxMessage.id == LocalDelivery.outbox_id)
                .where(LocalDelivery.due_at <= now)
                .order_by(LocalDelivery.due_at)
                .limit(self.batch)
                .with_for_update(of=LocalDelivery, skip_locked=True)
            ).all()
            for delivery, _ in due:
                delivery.due_at = now + LEASE  # the lease: another round skips it meanwhile
        return [(delivery, message) for delivery, message in due]

    async def _deliver_one(
        self, http: httpx.AsyncClient, delivery: LocalDelivery, message: OutboxMessage
    ) -> None:
        result = await deliver(http, delivery.consumer, to_cloudevent(message))
        await asyncio.to_thread(self._record, delivery, message, result.outcome, result.error)

    def _record(
        self, delivery: LocalDelivery, message: OutboxMessage, outcome: Outcome, error: str | None
    ) -> None:
        key = and_(
            LocalDelivery.outbox_id == delivery.outbox_id,
            LocalDelivery.consumer == delivery.consumer,
        )
        attempt = delivery.attempts + 1
        with unit_of_work() as session:
            if outcome is Outcome.delivered:
                DISPATCHER_DELIVERIES.labels(delivery.consumer, "delivered").inc()
                session.execute(delete(LocalDelivery).where(key))
            elif outcome is Outcome.retry and attempt < self.attempts:
                DISPATCHER_DELIVERIES.labels(delivery.consumer, "retried").inc()
                wait = timedelta(seconds=self.base * 2 ** (attempt - 1))
                session.execute(
                    update(LocalDelivery)
                    .where(key)
                    .values(
                        attempts=attempt,
                        due_at=datetime.now(UTC) + wait,
                        last_error=(error or "")[:1000],
                    )
                )
            else:
                DISPATCHER_DELIVERIES.labels(delivery.consumer, "dead_lettered").inc()
                logger.warning(
                    "CloudEvent dead-lettered",
                    extra={
                        "function": delivery.consumer,
                        "attempts": attempt,
                        "error.message": error,
                    },
                )
                session.add(
                    DeadLetter(
                        cloudevent_id=str(message.id),
                        consumer=delivery.consumer,
                        cloudevent_type=message.type,
                        cloudevent={
                            "source": message.source,
                            "subject": message.subject,
                            "data": message.data,
                        },
                        attempts=attempt,
                        error=(error or "")[:1000],
                    )
                )
                session.execute(delete(LocalDelivery).where(key))
