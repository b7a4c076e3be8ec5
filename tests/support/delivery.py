"""Doing the dispatcher's part in-process: POST recorded CloudEvents to one consumer, signed as
the outbox signs them (consumers refuse unsigned ones)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any, TypeVar

from cloudevents.core.bindings.http import to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import select

from eventing.delivery import request_parts
from shared.db import unit_of_work
from shared.outbox.models import OutboxMessage
from shared.outbox.signing import SIGNATURE_EXTENSION, signature_of
from shared.outbox.wire import to_cloudevent

Sent = TypeVar("Sent")


def deliver_outbox(client, function: str, types: tuple[str, ...]) -> list[int]:
    """Every outbox row whose type starts with one of these (after `org.eventmanager.`),
    oldest first, as the dispatcher would send it (binary mode, signed, internal token);
    answers the consumer's status codes. Those it handled before, it skips itself."""
    prefixes = tuple(f"org.eventmanager.{kind}" for kind in types)
    with unit_of_work() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)).all()
    statuses = []
    for row in rows:
        if not row.type.startswith(prefixes):
            continue
        headers, body = request_parts(to_cloudevent(row))
        response = client.post(f"/function/{function}/", content=body, headers=headers)
        statuses.append(response.status_code)
    return statuses


def recount_ratings(client) -> None:
    """What the dispatcher does for track_activity: the review CloudEvents recount ratings."""
    for status in deliver_outbox(client, "track_activity", ("review.",)):
        assert status == 204, status


def delivery_round(
    rng: random.Random, waiting: list[Sent], delivered: list[Sent], share: float
) -> list[Sent]:
    """What one round of a scenario test delivers: a share of what waits (shuffled: late and
    out of order) and up to two already delivered, again (a redelivery after a lost
    acknowledgement), in any order."""
    rng.shuffle(waiting)
    batch = waiting[: round(len(waiting) * share)]
    batch += rng.sample(delivered, k=min(2, len(delivered)))
    rng.shuffle(batch)
    return batch


def signed_cloudevent(
    *,
    type: str,
    id: str,
    data: Any,
    source: str = "/eventmanager/test",
    subject: str | None = None,
    time: datetime | None = None,
) -> CloudEvent:
    """A CloudEvent signed as the outbox signs it (for CloudEvents no outbox row holds).
    Its time defaults to now, as the SDK would set it anyway."""
    time = time or datetime.now(UTC)
    attributes: dict[str, Any] = {
        "id": id,
        "type": type,
        "source": source,
        "specversion": "1.0",
        "datacontenttype": "application/json",
    }
    if subject:
        attributes["subject"] = subject
    attributes["time"] = time
    attributes[SIGNATURE_EXTENSION] = signature_of(
        id=id, type=type, source=source, subject=subject, time=time, data=data
    )
    return CloudEvent(attributes=attributes, data=data)


def binary_mode(cloudevent: CloudEvent) -> tuple[dict[str, str], bytes]:
    """Headers and body in HTTP binary mode, without authorization."""
    message = to_binary(cloudevent, JSONFormat())
    return dict(message.headers), message.body
