"""Turns every catalog CloudEvent into one delivery per webhook subscribed to it (of the
event's owner, or of an admin), once per (webhook, CloudEvent id); the worker sends them."""

from mangum import Mangum
from sqlalchemy.orm import Session

from shared.catalog import CATALOG, CloudEventData
from shared.kit import Function
from shared.kit.consuming import ReceivedCloudEvent
from shared.webhooks import service

fn = Function(
    "deliver_webhooks",
    summary="Record a webhook delivery for each subscribed CloudEvent and hand it to the worker.",
    secrets=("rabbitmq_url",),
)


@fn.on(*CATALOG.values())
def record_deliveries(session: Session, cloudevent: ReceivedCloudEvent[CloudEventData]) -> None:
    payload = service.structured(
        cloudevent.id,
        cloudevent.type,
        cloudevent.source,
        cloudevent.subject,
        cloudevent.time,
        cloudevent.data,
    )
    service.record(session, payload, cloudevent.data)


app = fn.app()
handler = Mangum(app, lifespan="off")
