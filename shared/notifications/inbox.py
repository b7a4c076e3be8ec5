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


class InboxItem(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    text: str
    event_id: uuid.UUID | None
    created_at: datetime
    read_at: datetime | None


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
    return InboxPage(items=[_item(row) for row in page], next_cursor=next_cursor)


def _item(row: Notification) -> InboxItem:
    rendered = render(row)
    event_id: Any = row.payload.get("event_id")
    return InboxItem(
        id=row.id,
        kind=row.kind,
        title=rendered.subject,
        text=rendered.summary,
        event_id=uuid.UUID(event_id) if event_id else None,
        created_at=row.created_at,
        read_at=row.read_at,
    )


def mark_read(session: Session, user_id: uuid.UUID, notification_id: uuid.UUID) -> None:
    """Reading twice changes nothing; someone else's notification does not exist for you."""
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != user_id or row.kind not in IN_APP_KINDS:
        raise NotificationNotFound(f"No notification {notification_id}.")
    if row.read_at is None:
        row.read_at = datetime.now(UTC)
