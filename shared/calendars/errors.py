"""The errors of calendar feeds and imports."""

from __future__ import annotations

from shared.errors import DomainError, NotFound


class FeedNotFound(NotFound):
    title = "Calendar feed not found"
    slug = "calendar-feed-not-found"


class InvalidCalendar(DomainError):
    status = 422
    title = "Not an importable calendar"
    slug = "invalid-calendar"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, errors=[{"loc": ["body"], "msg": detail, "type": "value_error"}])
