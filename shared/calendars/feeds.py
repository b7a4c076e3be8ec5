"""Personal calendar feeds: a secret link per person that calendar apps subscribe to.

The link's token is HMAC-SHA256(CALENDAR_FEED_SECRET, token id): it can be shown again
whenever the person asks, yet the database holds only the token id and the token's SHA-256
(what a request is looked up by), so a copy of the database opens no feed. Rotating draws a
new token id: the old link then finds nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared import process_state
from shared.calendars import repository
from shared.calendars.errors import FeedNotFound
from shared.calendars.ics import feed_calendar
from shared.calendars.models import CalendarFeed
from shared.calendars.schemas import FeedLink
from shared.config import get_settings
from shared.security.instance_keys import instance_key
from shared.security.secrets import digest
from shared.users import repository as users

FEED_PATH = "/api/v1/calendar/feeds/{token}.ics"
FEED_NAME = "Event Manager: my events"
# The latest events by start time; calendar apps handle this many comfortably.
MAX_FEED_EVENTS = 1000
MAX_TOKEN_LENGTH = 64


@dataclass(frozen=True)
class FeedContent:
    body: bytes
    last_modified: datetime


@process_state.cached
def _key() -> bytes:
    return instance_key("calendar_feed_secret", "feed links change whenever this process restarts")


def _token(token_id: uuid.UUID) -> str:
    mac = hmac.new(_key(), b"calendar-feed\0" + token_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _link(token: str) -> FeedLink:
    url = get_settings().public_url.rstrip("/") + FEED_PATH.format(token=token)
    return FeedLink(url=url, webcal_url="webcal://" + url.split("://", 1)[1])


def feed_link(session: Session, user_id: uuid.UUID) -> FeedLink:
    """The person's link, made on first request."""
    token_id = uuid.uuid4()
    session.execute(
        insert(CalendarFeed)
        .values(user_id=user_id, token_id=token_id, token_hash=digest(_token(token_id)))
        .on_conflict_do_nothing(index_elements=[CalendarFeed.user_id])
    )
    feed = repository.feed_of(session, user_id, lock=True)
    assert feed is not None
    token = _token(feed.token_id)
    if not hmac.compare_digest(digest(token), feed.token_hash):
        # CALENDAR_FEED_SECRET changed since: the link is derived anew (the old one is dead).
        feed.token_hash = digest(token)
    return _link(token)


def rotate(session: Session, user_id: uuid.UUID) -> FeedLink:
    feed_link(session, user_id)
    feed = repository.feed_of(session, user_id, lock=True)
    assert feed is not None
    feed.token_id = uuid.uuid4()
    token = _token(feed.token_id)
    feed.token_hash = digest(token)
    feed.issued_at = func.now()
    return _link(token)


def feed_for_token(session: Session, token: str) -> FeedContent:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise FeedNotFound("No such calendar feed.")
    feed = repository.feed_by_hash(session, digest(token))
    user = users.by_id(session, feed.user_id) if feed else None
    if feed is None or user is None or not user.is_active:
        raise FeedNotFound("No such calendar feed.")
    events = list(reversed(repository.registered_events(session, user.id, MAX_FEED_EVENTS)))
    moments = [feed.issued_at, feed.changed_at, repository.last_change(session, user.id)]
    last_modified = max(moment for moment in moments if moment is not None)
    return FeedContent(feed_calendar(events, name=FEED_NAME), last_modified)


def note_removed(session: Session, user_ids: Sequence[uuid.UUID]) -> None:
    """Entries left these people's feeds without a newer row to show for it (their event was
    deleted): the feeds' Last-Modified moves on, so If-Modified-Since sees the change."""
    if user_ids:
        repository.mark_changed(session, user_ids, datetime.now(UTC))
