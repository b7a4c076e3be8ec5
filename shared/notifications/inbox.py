"""A person's in-app notifications: the same rows the mails come from, newest first.

Only the kinds the kinds table marks `in_app` are shown (those whose text holds no secret).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from shared.errors import NotFound
from shared.events.withdrawn import withdrawn_among
from shared.notifications import repository
from shared.notifications.kinds import IN_APP, render
from shared.notifications.models import Notification
from shared.notifications.schemas import InboxItem, InboxPage
from shared.pagination import cursor_at

# What a notice about an event hidden by the moderators says instead of the event's text.
WITHDRAWN = {
    "en": ("Event withdrawn", "This event was withdrawn by the moderators."),
    "ru": ("Событие снято", "Это событие снято модераторами."),
}


class NotificationNotFound(NotFound):
    title = "Notification not found"
    slug = "notification-not-found"


def inbox(session: Session, user_id: uuid.UUID, *, cursor: str | None, limit: int) -> InboxPage:
    rows = repository.inbox_rows(session, user_id, IN_APP, cursor=cursor, limit=limit + 1)
    page = rows[:limit]
    next_cursor = cursor_at(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    about = {row.id: _event_of(row) for row in page}
    withdrawn = withdrawn_among(session, {e for e in about.values() if e}, user_id)
    items = [_item(row, about[row.id], about[row.id] in withdrawn) for row in page]
    return InboxPage(items=items, next_cursor=next_cursor)


def _event_of(row: Notification) -> uuid.UUID | None:
    event_id: Any = row.payload.get("event_id")
    return uuid.UUID(str(event_id)) if event_id else None


def _item(row: Notification, event_id: uuid.UUID | None, withdrawn: bool) -> InboxItem:
    if withdrawn:
        title, text = WITHDRAWN.get(row.locale, WITHDRAWN["en"])
    else:
        rendered = render(row)
        title, text = rendered.subject, rendered.summary
    return InboxItem(
        id=row.id,
        kind=row.kind,
        title=title,
        text=text,
        event_id=event_id,
        created_at=row.created_at,
        read_at=row.read_at,
        withdrawn=withdrawn,
        message_id=_message_of(row),
    )


def _message_of(row: Notification) -> uuid.UUID | None:
    message_id: Any = row.payload.get("message_id")
    return uuid.UUID(str(message_id)) if message_id else None


def mark_read(session: Session, user_id: uuid.UUID, notification_id: uuid.UUID) -> None:
    """Reading twice changes nothing; someone else's notification does not exist for you."""
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != user_id or row.kind not in IN_APP:
        raise NotificationNotFound(f"No notification {notification_id}.")
    if row.read_at is None:
        row.read_at = datetime.now(UTC)
