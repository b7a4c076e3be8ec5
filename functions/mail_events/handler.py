"""SendGrid's signed Event Webhook: bounces, drops and spam reports suppress the address."""

from typing import Annotated

from fastapi import Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from mangum import Mangum

from shared.config import get_settings
from shared.db import unit_of_work
from shared.kit import Function
from shared.notifications.delivery import suppression

fn = Function(
    "mail_events",
    summary="Suppress addresses SendGrid reports as bounced, dropped or complaining.",
    extras=("sendgrid",),
)
Signature = Annotated[str | None, Header(alias="X-Twilio-Email-Event-Webhook-Signature")]
Timestamp = Annotated[str | None, Header(alias="X-Twilio-Email-Event-Webhook-Timestamp")]


@fn.post("/api/v1/webhooks/sendgrid", status_code=204, errors=(suppression.BadSignature,))
async def sendgrid_events(
    request: Request, signature: Signature = None, timestamp: Timestamp = None
) -> Response:
    key = get_settings().sendgrid_webhook_public_key
    if not key:
        raise suppression.BadSignature("No webhook verification key is configured.")
    body = await request.body()
    # Checking an ECDSA signature and writing rows block: off the event loop.
    await run_in_threadpool(_record, key, body, signature, timestamp)
    return Response(status_code=204)


def _record(key: str, body: bytes, signature: str | None, timestamp: str | None) -> None:
    suppression.verify(key, body, signature, timestamp)
    with unit_of_work() as session:
        suppression.record(session, body)


app = fn.app()
handler = Mangum(app, lifespan="off")
