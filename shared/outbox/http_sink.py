"""Publishing to an HTTP sink (the Knative broker ingress at K_SINK), binary mode."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import httpx
from cloudevents.core.bindings.http import to_binary
from cloudevents.core.formats.json import JSONFormat

from shared.outbox.models import OutboxMessage
from shared.outbox.wire import to_cloudevent


class HttpSinkPublisher:
    def __init__(self, sink: str, *, timeout: float) -> None:
        self.sink = sink
        self.client = httpx.Client(timeout=timeout)

    def publish(self, messages: Sequence[OutboxMessage]) -> set[uuid.UUID]:
        confirmed: set[uuid.UUID] = set()
        for row in messages:
            message = to_binary(to_cloudevent(row), JSONFormat())
            headers = dict(message.headers)
            if row.traceparent:
                headers["traceparent"] = row.traceparent
            try:
                response = self.client.post(self.sink, content=message.body, headers=headers)
            except httpx.HTTPError:
                break  # the ingress is unreachable: the rest waits for the relay
            if not response.is_success:
                break
            confirmed.add(row.id)
        return confirmed
