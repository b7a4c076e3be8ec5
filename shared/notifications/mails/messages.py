"""A plain message: the subject and text are given by whoever created the notification."""

from __future__ import annotations

from shared.notifications.mails.rendering import Rendered
from shared.notifications.models import Notification
from shared.notifications.schemas import Message


def message(notification: Notification, payload: Message) -> Rendered:
    return Rendered(subject=payload.subject, text=payload.text)
