"""The errors of series."""

from __future__ import annotations

from shared.errors import DomainError, Forbidden, NotFound


class SeriesNotFound(NotFound):
    title = "Series not found"
    slug = "series-not-found"


class NotSeriesOwner(Forbidden):
    title = "Not the series' organizer"
    slug = "not-series-owner"


class InvalidRule(DomainError):
    status = 422
    title = "Invalid recurrence rule"
    slug = "invalid-rule"

    def __init__(self, detail: str) -> None:
        super().__init__(
            detail, errors=[{"loc": ["body", "rrule"], "msg": detail, "type": "value_error"}]
        )
