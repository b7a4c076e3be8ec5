from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from shared.catalog import CATALOG
from shared.validation import RequestModel
from shared.webhooks.models import DeliveryStatus


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
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    types: list[str]
    description: str | None
    created_at: datetime


class WebhookCreated(WebhookPublic):
    # Shown this once: the receiver verifies signatures with it.
    secret: str


class WebhookList(BaseModel):
    items: list[WebhookPublic]


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    cloudevent_id: str
    # The row's `cloudevent_type`; by its own name too, so a dumped copy reads back.
    type: str = Field(validation_alias=AliasChoices("cloudevent_type", "type"))
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    created_at: datetime


class DeliveryPage(BaseModel):
    items: list[DeliveryPublic]
    next_cursor: str | None
