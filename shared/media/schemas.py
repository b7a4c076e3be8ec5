from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class MediaPublic(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    created_at: datetime
    # A download link valid for MEDIA_URL_TTL_SECONDS: ask the list again for a fresh one.
    url: str


class MediaList(BaseModel):
    items: list[MediaPublic]
    # Every file of an event fits one page (MEDIA_MAX_PER_EVENT); kept for the list shape.
    next_cursor: str | None = None
