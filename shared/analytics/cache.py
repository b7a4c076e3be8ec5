"""Statistics answers cached briefly in Redis (`CACHE_ANALYTICS_SECONDS`).

An event's figures and a person's activity are forgotten as soon as `track_activity` commits
a change to them, so the owner sees a new registration at once. The popular categories are not
forgotten on every registration (a rush would keep that cache empty): they are at most the TTL
late, like the event lists. Only the answer without dates is cached: dates are endless and
would let a client fill Redis.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from shared.cache.versioned import VersionedCache
from shared.config import get_settings
from shared.db import after_commit

EVENTS = VersionedCache("analytics-event", lambda: get_settings().cache_analytics_seconds)
PEOPLE = VersionedCache("analytics-person", lambda: get_settings().cache_analytics_seconds)
CATEGORIES = VersionedCache("analytics-categories", lambda: get_settings().cache_analytics_seconds)
ALL = "all"


def forget_after_commit(session: Session, event_id: uuid.UUID, people: Iterable[uuid.UUID]) -> None:
    scopes = [str(person) for person in people]

    def forget() -> None:
        EVENTS.invalidate(str(event_id))
        PEOPLE.invalidate(*scopes)

    after_commit(session, forget)
