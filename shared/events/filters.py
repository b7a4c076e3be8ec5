"""What the public list is filtered by: built by a route, keyed by the cache, queried by the
repository."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class EventFilters:
    q: str | None = None
    category: str | None = None
    tag: str | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    organizer_id: uuid.UUID | None = None


def normalize_tag(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip()).lower()
