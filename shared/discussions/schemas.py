from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from shared.discussions.models import DiscussionMessage, MessageKind
from shared.validation import RequestModel, SingleLine

# Stored as given (line breaks and all); clients show it as text, never as HTML.
MessageText = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class MessageIn(RequestModel):
    text: MessageText
    reply_to: uuid.UUID | None = None


class AnnouncementIn(RequestModel):
    title: Annotated[SingleLine, StringConstraints(min_length=1, max_length=200)]
    text: MessageText


class Author(BaseModel):
    id: uuid.UUID | None
    name: str | None


class MessagePublic(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    author: Author
    text: str
    reply_to: uuid.UUID | None
    created_at: datetime
    pinned: bool
    kind: MessageKind
    # An announcement's title; None for a message.
    title: str | None = None
    # Its place in the event's stream (the SSE `id:`), for `?after=` and `Last-Event-ID`.
    seq: int

    @classmethod
    def of(cls, row: DiscussionMessage, author_name: str | None) -> MessagePublic:
        return cls(
            id=row.id,
            event_id=row.event_id,
            author=Author(id=row.author_id, name=author_name),
            text=row.text,
            reply_to=row.reply_to,
            created_at=row.created_at,
            pinned=row.pinned,
            kind=row.kind,
            title=row.title,
            seq=row.seq,
        )


class MessageList(BaseModel):
    items: list[MessagePublic]
