"""What a notification row carries (one payload model per kind, see kinds) and what the in-app
list answers.

A payload holds raw values only (ISO times as the event had them, the reader's IANA zone): the
wording is made when the notice is rendered, so a template fix reaches rows still pending. It
never holds a secret: those are minted by the renderer at send time.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class Payload(BaseModel):
    """The payload of one kind; an unknown key is refused, so a misspelt one fails at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoPayload(Payload):
    """Account mails: everything they say comes from the account, when they are sent."""


class Message(Payload):
    """A plain message: subject and text given by whoever created the notification."""

    subject: str
    text: str


class EventNotice(Payload):
    """A notice about an event (or a seat at it), read in the reader's time zone."""

    event_id: uuid.UUID
    title: str
    # ISO 8601, as the event's row had it when the notice was made.
    starts_at: str
    reader_timezone: str = "UTC"


class SeatNotice(EventNotice):
    """A seat confirmed or given from the waitlist: its mail carries the ticket, whose code is
    signed when the mail is sent (never stored here). Rows made before tickets have none."""

    registration_id: uuid.UUID | None = None


class WaitlistNotice(EventNotice):
    position: int


class OfferNotice(EventNotice):
    """A seat offered from the waitlist, held until `offer_expires_at` (ISO 8601)."""

    offer_expires_at: str


class EventChangeNotice(EventNotice):
    # Field name -> (old, new), only the fields registered people are told about.
    changes: dict[str, tuple[Any, Any]]


class ReasonedNotice(EventNotice):
    """Cancelled, hidden or restored: the reason given, if any."""

    reason: str | None = None


class ReminderNotice(EventNotice):
    # Which reminder ("24h", "1h"; see models.REMINDER_KINDS).
    reminder: str
    where: str | None = None


class TeamNotice(EventNotice):
    """Added to (or removed from) an event's team: the role, "co_organizer" or "steward"."""

    role: str


class FollowedEventNotice(EventNotice):
    """An organizer the reader follows published an event."""

    organizer_name: str
    where: str | None = None


class ReviewNotice(EventNotice):
    """A review of the organizer's event, or a reply to the reader's review."""

    review_id: uuid.UUID
    rating: int


class AnnouncementNotice(EventNotice):
    """The owner or a co-organizer announced something (pinned in the discussion)."""

    message_id: uuid.UUID
    announcement: str
    text: str


class MentionNotice(EventNotice):
    """A message in the event's discussion that answers the reader or names them (see
    shared.discussions.mentions): who wrote it and its beginning."""

    message_id: uuid.UUID
    author_name: str
    text: str


class AchievementNotice(Payload):
    """An achievement the reader earned: the rule's code (its name is said in the reader's
    language when shown) and its points."""

    rule: str
    points: int


class ReportNotice(Payload):
    report_id: uuid.UUID
    # The report's kind ("event_attendance", "organizer_summary") and format ("csv"...).
    kind: str
    format: str
    event_id: uuid.UUID | None = None
    title: str | None = None
    error: str | None = None


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
    # The discussion message a reply or a mention is about (`#m-{id}` on the event's
    # discussion page); null for every other kind.
    message_id: uuid.UUID | None = None


class InboxPage(BaseModel):
    items: list[InboxItem]
    next_cursor: str | None
