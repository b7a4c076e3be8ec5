"""A person's in-app notifications: the same rows the mails come from, newest first.

Only kinds whose text holds no secret are shown: a verification or reset mail mints its link
when it is sent, and rendering it here would mint (and show) another.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from shared.errors import NotFound
from shared.events.withdrawn import withdrawn_among
from shared.notifications.models import Notification
from shared.notifications.templates import render
from shared.pagination import cursor_at, time_and_id

IN_APP_KINDS = (
    "registration_confirmed",
    "registration_waitlisted",
    "registration_promoted",
    "registration_removed",
    "event_changed",
    "event_cancelled",
    "event_deleted",
    "event_reminder",
    "event_hidden",
    "event_restored",
    "password_changed",
    # They point at the report, never at its file: no secret in the text.
    "report_ready",
    "report_failed",
)


# What a notice about an event hidden by the moderators says instead of the event's text.
WITHDRAWN = {
    "en": ("Event withdrawn", "This event was withdrawn by the moderators."),
    "ru": ("Событие снято", "Это событие снято модераторами."),
}


class InboxItem(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    text: str
    event_id: uuid.UUID | None
    created_at: datetime
    read_at: datetime | None
    # About an event hidden by the moderators: its text is not shown.
    withdrawn: bool = False


class InboxPage(BaseModel):
    items: list[InboxItem]
    next_cursor: str | None


class NotificationNotFound(NotFound):
    title = "Notification not found"
    slug = "notification-not-found"


def inbox(session: Session, user_id: uuid.UUID, *, cursor: str | None, limit: int) -> InboxPage:
    query = select(Notification).where(
        Notification.user_id == user_id, Notification.kind.in_(IN_APP_KINDS)
    )
    if cursor:
        query = query.where(
            tuple_(Notification.created_at, Notification.id) < tuple_(*time_and_id(cursor))
        )
    rows = list(
        session.scalars(
            query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit + 1)
        )
    )
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
    )


def mark_read(session: Session, user_id: uuid.UUID, notification_id: uuid.UUID) -> None:
    """Reading twice changes nothing; someone else's notification does not exist for you."""
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != user_id or row.kind not in IN_APP_KINDS:
        raise NotificationNotFound(f"No notification {notification_id}.")
    if row.read_at is None:
        row.read_at = datetime.now(UTC)
