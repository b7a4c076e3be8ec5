from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from shared.reviews.models import Review


class ReplyPublic(BaseModel):
    text: str
    by_user_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class ReviewPublic(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    user_id: uuid.UUID
    author_name: str
    rating: int
    text: str | None
    created_at: datetime
    updated_at: datetime
    reply: ReplyPublic | None

    @classmethod
    def of(cls, review: Review, author_name: str) -> ReviewPublic:
        reply = None
        if review.reply_text is not None and review.replied_at is not None:
            reply = ReplyPublic(
                text=review.reply_text,
                by_user_id=review.reply_by,
                created_at=review.replied_at,
                updated_at=review.reply_updated_at or review.replied_at,
            )
        return cls(
            id=review.id,
            event_id=review.event_id,
            user_id=review.user_id,
            author_name=author_name,
            rating=review.rating,
            text=review.text,
            created_at=review.created_at,
            updated_at=review.updated_at,
            reply=reply,
        )


class ReviewPage(BaseModel):
    items: list[ReviewPublic]
    next_cursor: str | None


class ModeratedReview(ReviewPublic):
    """A review as the admins' moderation list shows it: which event, and whether hidden."""

    event_title: str
    hidden_at: datetime | None


class ModeratedReviewPage(BaseModel):
    items: list[ModeratedReview]
    next_cursor: str | None
