"""The errors of discussions."""

from __future__ import annotations

from shared.errors import Forbidden, NotFound


class NotInDiscussion(Forbidden):
    title = "Not in this discussion"
    slug = "not-in-discussion"


class MessageNotFound(NotFound):
    title = "Message not found"
    slug = "message-not-found"


class NotMessageAuthor(Forbidden):
    title = "Not the message's author"
    slug = "not-message-author"
