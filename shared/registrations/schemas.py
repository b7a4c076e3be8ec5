from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from shared.events.schemas import EventPublic


class RegistrationPublic(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    user_id: uuid.UUID
    status: str
    waitlist_position: int | None = None
    # Only while `status` is "offered": the seat is held until then (claim it before).
    offer_expires_at: datetime | None = None


class MyRegistration(RegistrationPublic):
    created_at: datetime
    event: EventPublic


class MyRegistrations(BaseModel):
    items: list[MyRegistration]
    next_cursor: str | None
