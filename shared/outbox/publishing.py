"""Publishing outbox rows: to RabbitMQ, to the Knative broker ingress (K_SINK), or to a
publisher the local runner installs. A row is marked sent only after the broker confirmed it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import update

from shared import process_state
from shared.config import get_settings
from shared.db import unit_of_work
from shared.metrics import OUTBOX_PUBLISHED
from shared.outbox.models import OutboxMessage
from shared.outbox.signing import SIGNATURE_EXTENSION, signature_of

logger = logging.getLogger("eventmgr.outbox")


class Publisher(Protocol):
    def publish(self, messages: Sequence[OutboxMessage]) -> set[uuid.UUID]:
        """Hand the messages to the broker; answer the ids it confirmed."""


_installed: Publisher | None = None


def install_publisher(publisher: Publisher | None) -> None:
    """The local runner's in-process delivery, used when no broker is configured."""
    global _installed
    _installed = publisher
    get_publisher.cache_clear()


@process_state.cached
def get_publisher() -> Publisher | None:
    settings = get_settings()
    if settings.k_sink:
        from shared.outbox.http_sink import HttpSinkPublisher

        return HttpSinkPublisher(settings.k_sink, timeout=settings.publish_timeout_seconds)
    if settings.rabbitmq_url:
        from shared.outbox.rabbitmq import RabbitPublisher

        return RabbitPublisher.shared(settings.rabbitmq_url, settings.rabbitmq_exchange)
    return _installed


def to_cloudevent(row: OutboxMessage) -> CloudEvent:
    attributes: dict[str, object] = {
        "id": str(row.id),
        "type": row.type,
        "source": row.source,
        "specversion": "1.0",
        "time": row.created_at,
        "datacontenttype": "application/json",
    }
    if row.subject:
        attributes["subject"] = row.subject
    if row.traceparent:
        attributes["traceparent"] = row.traceparent
    attributes[SIGNATURE_EXTENSION] = signature_of(
        id=str(row.id),
        type=row.type,
        source=row.source,
        subject=row.subject,
        time=row.created_at,
        data=row.data,
    )
    return CloudEvent(attributes=attributes, data=row.data)


def publish_and_mark(rows: Sequence[OutboxMessage]) -> int:
    """Publish, then record what the broker confirmed. Failures only log: the relay retries."""
    publisher = get_publisher()
    if publisher is None or not rows:
        return 0
    try:
        confirmed = publisher.publish(rows)
    except Exception:
        logger.warning(
            "publishing %d CloudEvents failed; the relay will retry", len(rows), exc_info=True
        )
        OUTBOX_PUBLISHED.labels("failed").inc(len(rows))
        return 0
    if confirmed:
        with unit_of_work() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(confirmed), OutboxMessage.sent_at.is_(None))
                .values(sent_at=datetime.now(UTC), claimed_until=None)
            )
    OUTBOX_PUBLISHED.labels("confirmed").inc(len(confirmed))
    if len(confirmed) < len(rows):
        OUTBOX_PUBLISHED.labels("failed").inc(len(rows) - len(confirmed))
    return len(confirmed)
