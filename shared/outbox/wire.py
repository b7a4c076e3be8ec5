"""What goes on the wire and who puts it there: an outbox row as a signed CloudEvent, and the
publisher protocol. A leaf of the outbox package, so `publishing.py` can choose among the
adapters (`http_sink.py`, `rabbitmq.py`) while they build the same CloudEvent without
importing it back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from cloudevents.core.v1.event import CloudEvent

from shared.outbox.models import OutboxMessage
from shared.outbox.signing import SIGNATURE_EXTENSION, signature_of


class Publisher(Protocol):
    def publish(self, messages: Sequence[OutboxMessage]) -> set[uuid.UUID]:
        """Hand the messages to the broker; answer the ids it confirmed."""


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
