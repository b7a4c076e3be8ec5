from __future__ import annotations

import uuid

from pydantic import BaseModel


class RegistrationPublic(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    user_id: uuid.UUID
    status: str
    waitlist_position: int | None = None
