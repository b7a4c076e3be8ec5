from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from shared.catalog import CATALOG
from shared.validation import RequestModel
from shared.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery


class WebhookCreate(RequestModel):
    """`types` are full catalog types (`org.eventmanager.registration.created`)."""

    url: str = Field(min_length=1, max_length=2000)
    types: list[str] = Field(min_length=1, max_length=len(CATALOG))
    description: str | None = Field(default=None, max_length=500)

    @field_validator("types")
    @classmethod
    def _known(cls, types: list[str]) -> list[str]:
        unknown = sorted(set(types) - CATALOG.keys())
        if unknown:
            raise ValueError(f"not CloudEvent types of the catalog: {', '.join(unknown)}")
        return sorted(set(types))


class WebhookPublic(BaseModel):
    id: uuid.UUID
    url: str
    types: list[str]
    description: str | None
    created_at: datetime

    @classmethod
    def of(cls, webhook: Webhook) -> WebhookPublic:
        return cls(
            id=webhook.id,
            url=webhook.url,
            types=webhook.types,
            description=webhook.description,
            created_at=webhook.created_at,
        )


class WebhookCreated(WebhookPublic):
    # Shown this once: the receiver verifies signatures with it.
    secret: str


class WebhookList(BaseModel):
    items: list[WebhookPublic]


class DeliveryPublic(BaseModel):
    id: uuid.UUID
    cloudevent_id: str
    type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> DeliveryPublic:
        return cls(
            id=delivery.id,
            cloudevent_id=delivery.cloudevent_id,
            type=delivery.cloudevent_type,
            status=delivery.status,
            attempts=delivery.attempts,
            last_status_code=delivery.last_status_code,
            last_attempt_at=delivery.last_attempt_at,
            next_attempt_at=delivery.next_attempt_at,
            created_at=delivery.created_at,
        )


class DeliveryPage(BaseModel):
    items: list[DeliveryPublic]
    next_cursor: str | None
