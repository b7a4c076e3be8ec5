"""Publishing outbox rows: to RabbitMQ, to the Knative broker ingress (K_SINK), or to a
publisher the local runner installs. A row is marked sent only after the broker confirmed it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import update

from shared import process_state
from shared.config import get_settings
from shared.db import unit_of_work
from shared.metrics import OUTBOX_PUBLISHED
from shared.outbox.models import OutboxMessage
from shared.outbox.wire import Publisher

logger = logging.getLogger("eventmgr.outbox")


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
