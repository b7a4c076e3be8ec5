from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import (
    AnyHttpUrl,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from shared.events.questions import Question, Questions, read
from shared.events.statuses import WaitlistMode
from shared.events.withdrawn import WITHDRAWN_TITLE
from shared.validation import Number, RequestModel, SingleLine, TimeZoneName, WholeNumber

if TYPE_CHECKING:
    from sqlalchemy import Row

    from shared.events.models import Event

Title = Annotated[SingleLine, StringConstraints(min_length=1, max_length=200)]
TagName = Annotated[SingleLine, StringConstraints(min_length=1, max_length=50)]
CategorySlug = Annotated[SingleLine, StringConstraints(min_length=1, max_length=40)]
Capacity = Annotated[WholeNumber, Field(ge=1, le=1_000_000)]
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


class Venue(RequestModel):
    name: Annotated[SingleLine, StringConstraints(min_length=1, max_length=200)]
    address: Annotated[SingleLine, StringConstraints(min_length=1, max_length=500)]
    lat: Number | None = Field(default=None, ge=-90, le=90)
    lon: Number | None = Field(default=None, ge=-180, le=180)


class Waitlist(RequestModel):
    """How a freed seat reaches the waitlist: at once (`auto`), or `offer`ed to the first
    person waiting and held for `offer_hours`; within `auto_before_start_hours` of the start
    an offer would come too late, so promotion is automatic there."""

    mode: Literal["auto", "offer"] = "auto"
    offer_hours: Annotated[WholeNumber, Field(ge=1, le=72)] = 24
    auto_before_start_hours: Annotated[WholeNumber, Field(ge=0, le=168)] = 24

    @classmethod
    def of(cls, event: Event | Row[*tuple[Any, ...]]) -> Waitlist:
        return cls.model_construct(
            mode=WaitlistMode(event.waitlist_mode).value,
            offer_hours=event.offer_hours,
            auto_before_start_hours=event.auto_before_start_hours,
        )

    def apply_to(self, event: Event) -> None:
        event.waitlist_mode = WaitlistMode(self.mode)
        event.offer_hours = self.offer_hours
        event.auto_before_start_hours = self.auto_before_start_hours


def _plausible_time(value: datetime | None) -> datetime | None:
    # Far-off years are typos, and years past 9999 in UTC cannot be read back.
    if value is not None and not EARLIEST <= value <= LATEST:
        raise ValueError("must be between 2000-01-01 and 2999-12-31 (UTC)")
    return value


class EventCreate(RequestModel):
    title: Title
    description: str = Field(max_length=20_000)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    timezone: TimeZoneName = Field(max_length=64, description="IANA time zone, e.g. Europe/Berlin")
    category: CategorySlug
    tags: list[TagName] = Field(default_factory=list, max_length=20)
    venue: Venue | None = None
    online_url: AnyHttpUrl | None = Field(default=None, max_length=2048)
    capacity: Capacity | None = None
    status: Literal["draft", "published"] = "draft"
    waitlist: Waitlist = Field(default_factory=Waitlist)
    questions: Questions = Field(
        default_factory=list,
        description="The registration form: answered when joining (`{answers}`).",
    )

    _plausible = field_validator("starts_at", "ends_at")(_plausible_time)

    @model_validator(mode="after")
    def _ends_after_starts(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        # A draft may describe the past (an archive); nobody can join one already over.
        if self.status == "published" and self.ends_at <= datetime.now(UTC):
            raise ValueError("an event already over cannot be published; save it as a draft")
        return self


class EventUpdate(RequestModel):
    """Only the fields sent change; `null` clears venue, online_url and capacity (unlimited)."""

    title: Title | None = None
    description: str | None = Field(default=None, max_length=20_000)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    timezone: TimeZoneName | None = Field(default=None, max_length=64)
    category: CategorySlug | None = None
    tags: list[TagName] | None = Field(default=None, max_length=20)
    venue: Venue | None = None
    online_url: AnyHttpUrl | None = Field(default=None, max_length=2048)
    capacity: Capacity | None = None
    # Replaced as a whole; fields left out take their defaults.
    waitlist: Waitlist | None = None
    questions: Questions | None = Field(
        default=None,
        description="Replaces the whole form (`[]` removes it); answers already given keep "
        "the questions' labels as they were asked.",
    )
    _plausible = field_validator("starts_at", "ends_at")(_plausible_time)

    @model_validator(mode="after")
    def _required_stay_set(self) -> Self:
        required = ("title", "description", "starts_at", "ends_at", "timezone", "category")
        for name in (*required, "waitlist", "questions"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class Rating(BaseModel):
    """Stars over the event's visible reviews: `average` is null until the first one."""

    average: float | None = None
    count: int = 0

    @classmethod
    def of(cls, count: int, total: int) -> Rating:
        return cls.model_construct(average=round(total / count, 2) if count else None, count=count)


class EventPublic(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    category: str
    tags: list[str]
    venue: Venue | None
    online_url: str | None
    capacity: int | None
    status: str
    # approved, or (seen only by its organizer, its team and admins) pending or hidden.
    moderation: str
    organizer_id: uuid.UUID
    seats_taken: int
    seats_left: int | None
    waitlist_count: int
    # Read by the claim route's client too: how long an offer is held.
    waitlist: Waitlist = Field(default_factory=Waitlist)
    # Everyone who can see the event sees its form: they fill it in to join.
    questions: list[Question] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    # Hidden by the moderators, seen by someone registered: title and text are gone.
    withdrawn: bool = False
    rating: Rating = Field(default_factory=Rating)
    # The series this event is one date of (GET /series/{id}); null for an event made alone.
    series_id: uuid.UUID | None = None

    @classmethod
    def of(cls, event: Event | Row[*tuple[Any, ...]], *, withdrawn: bool = False) -> EventPublic:
        """From the ORM's event, or from a row of `repository.shown` (its `tag_names`)."""
        venue = None
        if event.venue_name and event.venue_address and not withdrawn:
            # Stored, so checked when written: rows kept from before a stricter rule still read.
            venue = Venue.model_construct(
                name=event.venue_name,
                address=event.venue_address,
                lat=event.venue_lat,
                lon=event.venue_lon,
            )
        seats_left = None if event.capacity is None else event.capacity - event.seats_taken
        # Built without validation, as its parts are (Venue, Waitlist, the questions): every
        # value comes typed from the database, checked when written. Validating them again was
        # a quarter of building the uncached list page's twenty events (issue 18's profile).
        return cls.model_construct(
            id=event.id,
            title=WITHDRAWN_TITLE if withdrawn else event.title,
            description="" if withdrawn else event.description,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            timezone=event.timezone,
            category=event.category_slug,
            tags=[] if withdrawn else _tag_names(event),
            venue=venue,
            online_url=None if withdrawn else event.online_url,
            capacity=event.capacity,
            status=event.status.value,
            moderation=event.moderation.value,
            organizer_id=event.organizer_id,
            seats_taken=event.seats_taken,
            seats_left=seats_left,
            waitlist_count=event.waitlist_count,
            waitlist=Waitlist.of(event),
            questions=[] if withdrawn else read(event.questions),
            created_at=event.created_at,
            updated_at=event.updated_at,
            withdrawn=withdrawn,
            rating=Rating.of(event.rating_count, event.rating_sum),
            series_id=event.series_id,
        )


def _tag_names(event: Event | Row[*tuple[Any, ...]]) -> list[str]:
    from sqlalchemy import Row  # loaded already: the event came from it

    if isinstance(event, Row):
        return event.tag_names or []  # sorted by the query; NULL without tags
    return sorted(tag.name for tag in event.tags)


class EventPage(BaseModel):
    items: list[EventPublic]
    next_cursor: str | None


class CategoryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    name: str


class CategoryList(BaseModel):
    items: list[CategoryPublic]
