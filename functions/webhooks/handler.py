"""Outgoing webhooks: an organizer subscribes a URL to catalog types of CloudEvents about
their own events, reads the delivery log and asks for a delivery again."""

import uuid
from typing import Annotated

from fastapi import Query, Response
from mangum import Mangum

from shared.db import unit_of_work
from shared.errors import InvalidInput
from shared.kit import Function, Organizer
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.webhooks import service
from shared.webhooks.errors import (
    DeliveryNotFound,
    TooManyWebhooks,
    UnsafeTarget,
    WebhookNotFound,
)
from shared.webhooks.schemas import (
    DeliveryPage,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookPublic,
)

fn = Function(
    "webhooks",
    summary="Outgoing webhooks: subscribe a URL to CloudEvents, read its delivery log.",
    secrets=("rabbitmq_url", "cursor_secret"),
)


@fn.post(
    "/api/v1/webhooks",
    status_code=201,
    response_model=WebhookCreated,
    errors=(UnsafeTarget, TooManyWebhooks),
)
def create_webhook(body: WebhookCreate, user: Organizer) -> WebhookCreated:
    """The answer carries the signing secret, this once."""
    with unit_of_work() as session:
        return service.create(session, user.user_id, body)


@fn.get("/api/v1/webhooks", response_model=WebhookList)
def list_webhooks(user: Organizer) -> WebhookList:
    with unit_of_work() as session:
        return service.mine(session, user.user_id)


@fn.get("/api/v1/webhooks/{webhook_id}", response_model=WebhookPublic, errors=(WebhookNotFound,))
def get_webhook(webhook_id: uuid.UUID, user: Organizer) -> WebhookPublic:
    with unit_of_work() as session:
        return service.one(session, webhook_id, user.user_id)


@fn.delete("/api/v1/webhooks/{webhook_id}", status_code=204, errors=(WebhookNotFound,))
def delete_webhook(webhook_id: uuid.UUID, user: Organizer) -> Response:
    with unit_of_work() as session:
        service.delete(session, webhook_id, user.user_id)
    return Response(status_code=204)


@fn.get(
    "/api/v1/webhooks/{webhook_id}/deliveries",
    response_model=DeliveryPage,
    errors=(WebhookNotFound, InvalidInput),
)
def list_deliveries(
    webhook_id: uuid.UUID,
    user: Organizer,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> DeliveryPage:
    """Newest first."""
    with unit_of_work() as session:
        return service.deliveries(session, webhook_id, user.user_id, cursor=cursor, limit=limit)


@fn.post(
    "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=DeliveryPublic,
    errors=(WebhookNotFound, DeliveryNotFound),
)
def redeliver(webhook_id: uuid.UUID, delivery_id: uuid.UUID, user: Organizer) -> DeliveryPublic:
    """A new attempt now, with the same `webhook-id`."""
    with unit_of_work() as session:
        return service.redeliver(session, webhook_id, delivery_id, user.user_id)


app = fn.app()
handler = Mangum(app, lifespan="off")
