from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, Self

from pydantic import AnyHttpUrl, BaseModel, Field, model_validator

from shared.events.questions import Questions
from shared.events.schemas import Capacity as EventCapacity
from shared.events.schemas import (
    CategorySlug,
    EventCreate,
    TagName,
    Title,
    Venue,
    Waitlist,
)
from shared.validation import RequestModel

RULE_EXAMPLE = "FREQ=WEEKLY;BYDAY=TU;COUNT=10"


class SeriesCreate(EventCreate):
    """The first occurrence (its `starts_at`, `ends_at` and zone give the time of day and the
    length of every occurrence) and the rule that repeats it."""

    rrule: str = Field(
        min_length=1,
        max_length=500,
        description="RFC 5545 RRULE value (e.g. `FREQ=WEEKLY;BYDAY=TU;COUNT=10`), DAILY or "
        "less frequent, with COUNT or UNTIL, at most 200 occurrences; DTSTART is `starts_at`",
        examples=[RULE_EXAMPLE],
    )


class SeriesUpdate(RequestModel):
    """What every future occurrence gets; times are changed per occurrence (PATCH the event:
    it shows as a RECURRENCE-ID override). `null` clears venue, online_url and capacity;
    `status: "published"` publishes the coming dates still drafts."""

    title: Title | None = None
    description: str | None = Field(default=None, max_length=20_000)
    category: CategorySlug | None = None
    tags: list[TagName] | None = Field(default=None, max_length=20)
    venue: Venue | None = None
    online_url: AnyHttpUrl | None = Field(default=None, max_length=2048)
    capacity: EventCapacity | None = None
    waitlist: Waitlist | None = None
    questions: Questions | None = None
    # Publishes the coming dates that are drafts; a series is not made a draft again.
    status: Literal["published"] | None = None

    @model_validator(mode="after")
    def _required_stay_set(self) -> Self:
        for name in ("title", "description", "category", "waitlist", "questions", "status"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class SeriesSummary(BaseModel):
    id: uuid.UUID
    organizer_id: uuid.UUID
    rrule: str
    timezone: str
    # The first occurrence as the rule made it (DTSTART) and its end.
    starts_at: datetime
    ends_at: datetime
    title: str
    created_at: datetime
    updated_at: datetime


class SeriesDate(BaseModel):
    """One date of a series as its page lists it: what its event shows now (moved, retitled
    or cancelled alone, it says so), without a second call per date."""

    id: uuid.UUID
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    status: str
    capacity: int | None
    seats_taken: int
    seats_left: int | None
    waitlist_count: int


class SeriesPublic(SeriesSummary):
    # What every coming date gets unless changed alone (the template PATCH changes).
    description: str = ""
    category: str = ""
    venue: Venue | None = None
    online_url: str | None = None
    capacity: int | None = None
    # The events of the series by date, cancelled ones included, deleted ones left out.
    occurrences: list[uuid.UUID]
    # The same dates with what a page shows of each; a date the caller may not see (a draft
    # or hidden event of someone else's) is left out here, its id stays in `occurrences`.
    dates: list[SeriesDate] = Field(default_factory=list)


class SeriesList(BaseModel):
    """The caller's series, newest first (`next_cursor` while more follow)."""

    items: list[SeriesSummary]
    next_cursor: str | None
